"""Dagster's run, event-log and schedule storage on a real PostgreSQL server, and the embedded
SQLite default when $DAGSTER_HOME has no dagster.yaml.

The module starts a throw-away PostgreSQL cluster from Debian's server binaries
(/usr/lib/postgresql/<version>/bin, package `postgresql`) on a free port of 127.0.0.1, as an
unprivileged user when the tests run as root (PostgreSQL refuses to run as root). It creates
the role and database Dagster uses, writes $DAGSTER_HOME/dagster.yaml from the example in
docs/operations.md ("Dagster's storage in PostgreSQL"), runs the real nightly job with that
instance (pipelines.ops.runner.run_nightly, as `salesops run` does: the next night of a copy of
the shared small night's home), turns a schedule on with Dagster's own CLI, and reads what was
stored from PostgreSQL itself.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.core.paths import PROJECT_ROOT
from pipelines.ops.runner import run_nightly
from tests.conftest import SMALL_NIGHT

FIX = (
    "Fix: install Debian's package `postgresql` (apt-get install postgresql; "
    "scripts/test.sh does it when run as root)"
)
PASSWORD = "night-shift-7"  # of the throw-away cluster's `dagster` role
OPERATIONS_DOC = PROJECT_ROOT / "docs" / "operations.md"


def server_binaries() -> Path:
    """The newest PostgreSQL server bin folder Debian's packages installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.fail(f"PostgreSQL's server (initdb, pg_ctl) is not installed. {FIX}")
    return found[-1].parent


def as_server_user() -> tuple[list[str], str | None]:
    """The command prefix that runs PostgreSQL's programs as an unprivileged user, and that
    user (None: the current user, who is not root)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):  # `postgres` comes with Debian's package
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    pytest.fail("running as root and neither a `postgres` nor a `nobody` user exists")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def documented_dagster_yaml() -> dict:
    """The dagster.yaml example of docs/operations.md's PostgreSQL section."""
    section = OPERATIONS_DOC.read_text(encoding="utf-8").split(
        "## Dagster's storage in PostgreSQL"
    )[1]
    block = re.search(r"( *)```yaml\n( *# \$DAGSTER_HOME/dagster\.yaml\n.*?)\n *```", section, re.S)
    assert block, "docs/operations.md: the PostgreSQL section has no dagster.yaml example"
    return yaml.safe_load(textwrap.dedent(block.group(2)))


@pytest.fixture(scope="module")
def server() -> Iterator[dict]:
    """A PostgreSQL server with a `dagster` role (password) owning a `dagster` database."""
    bindir = server_binaries()
    prefix, user = as_server_user()
    # Not under pytest's tmp_path (nor $TMPDIR): its parents may be private to root, and the
    # server runs as another user. A short path, too: it holds the server's unix socket.
    root = Path(tempfile.mkdtemp(prefix="salesops-pg-", dir="/tmp" if user else None))
    if user:
        shutil.chown(root, user)
    data, log, port = root / "data", root / "server.log", free_port()
    pwfile = root / "admin-password"
    pwfile.write_text("admin\n")
    if user:
        shutil.chown(pwfile, user)

    def pg(program: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*prefix, str(bindir / program), *args], capture_output=True, text=True, timeout=60
        )

    init = pg(
        "initdb", "-D", str(data), "-U", "admin", f"--pwfile={pwfile}",
        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
    )  # fmt: skip
    assert init.returncode == 0, f"initdb failed: {init.stderr}"
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = pg("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        assert started.returncode == 0, (
            f"the PostgreSQL server did not start: {started.stderr}\n"
            + (log.read_text() if log.exists() else "")
        )
        import psycopg2

        admin = psycopg2.connect(
            host="127.0.0.1", port=port, user="admin", password="admin", dbname="postgres"
        )
        admin.autocommit = True
        with admin.cursor() as cur:  # what `createuser --pwprompt` and `createdb -O` do
            cur.execute(f"CREATE ROLE dagster LOGIN PASSWORD '{PASSWORD}'")
            cur.execute("CREATE DATABASE dagster OWNER dagster")
        admin.close()
        yield {"port": port, "log": log}
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def query(server: dict, sql: str, *params) -> list[tuple]:
    """Rows of one query, as the `dagster` role, straight from PostgreSQL."""
    import psycopg2

    con = psycopg2.connect(
        host="127.0.0.1", port=server["port"], user="dagster", password=PASSWORD, dbname="dagster"
    )
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def night(server, small_night, tmp_path_factory) -> dict:
    """A real nightly run whose instance is configured for PostgreSQL by the documented
    dagster.yaml (the next night of a copy of the shared small night's home: its drop again),
    then the nightly schedule turned on with `dagster schedule start`."""
    root = tmp_path_factory.mktemp("pg-night")
    inbox, home, dagster_home = small_night["inbox"], root / "home", root / "dagster"
    shutil.copytree(small_night["home"], home)
    dagster_home.mkdir()
    config = documented_dagster_yaml()
    db = config["storage"]["postgres"]["postgres_db"]
    db.update(hostname="127.0.0.1", port=server["port"], db_name="dagster", username="dagster")
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"DAGSTER_HOME": str(dagster_home), "DAGSTER_PG_PASSWORD": PASSWORD}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        summary = run_nightly(inbox, home=home, as_of=SMALL_NIGHT, echo=False)
        with dg.DagsterInstance.get() as instance:  # another process's view: a second UI
            seen = instance.get_run_by_id(summary["run_id"])
            storages = {
                "run": type(instance.run_storage).__name__,
                "event_log": type(instance.event_log_storage).__name__,
                "schedule": type(instance.schedule_storage).__name__,
            }
    schedule = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "schedule", "start", "nightly_load_schedule", "-w", "workspace.yaml",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env, "DAGSTER_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    return {
        "summary": summary,
        "dagster_home": dagster_home,
        "seen": seen,
        "storages": storages,
        "schedule": schedule,
    }


def test_the_run_and_its_status_are_stored_in_postgresql(server, night):
    summary = night["summary"]
    assert summary["status"] == "success", summary.get("error")
    runs = query(server, "SELECT run_id, pipeline_name, status FROM runs")
    assert runs == [(summary["run_id"], "nightly_load", "SUCCESS")]
    tags = dict(
        query(server, "SELECT key, value FROM run_tags WHERE run_id = %s", summary["run_id"])
    )
    assert tags["dagster/partition"] == SMALL_NIGHT.isoformat()
    # the instance every process builds from the same dagster.yaml reads it back
    assert night["storages"] == {
        "run": "PostgresRunStorage",
        "event_log": "PostgresEventLogStorage",
        "schedule": "PostgresScheduleStorage",
    }
    assert night["seen"] is not None and night["seen"].status == dg.DagsterRunStatus.SUCCESS


def test_the_runs_events_are_stored_in_postgresql(server, night):
    run_id = night["summary"]["run_id"]
    counts = dict(
        query(
            server,
            "SELECT dagster_event_type, count(*) FROM event_logs WHERE run_id = %s "
            "AND dagster_event_type IS NOT NULL GROUP BY 1",
            run_id,
        )
    )
    assert counts["PIPELINE_START"] == counts["PIPELINE_SUCCESS"] == 1
    assert "PIPELINE_FAILURE" not in counts and "STEP_FAILURE" not in counts
    started = query(
        server,
        "SELECT step_key FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
        run_id,
        "STEP_START",
    )
    succeeded = query(
        server,
        "SELECT step_key FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
        run_id,
        "STEP_SUCCESS",
    )
    steps = sorted(key for (key,) in started)
    assert steps == sorted(key for (key,) in succeeded)
    # the run summary's step timings were read from the same event log
    assert steps == sorted(s["step"] for s in night["summary"]["steps"])
    assert "raw__drop" in steps
    # every asset the run materialized is indexed in PostgreSQL's asset tables
    materialized = {
        key
        for (key,) in query(
            server,
            "SELECT DISTINCT asset_key FROM event_logs WHERE run_id = %s "
            "AND dagster_event_type = 'ASSET_MATERIALIZATION'",
            run_id,
        )
    }
    assert len(materialized) == counts["ASSET_MATERIALIZATION"] > 0
    indexed = {key for (key,) in query(server, "SELECT asset_key FROM asset_keys")}
    assert materialized <= indexed


def test_schedule_state_is_stored_in_postgresql(server, night):
    schedule = night["schedule"]
    assert schedule.returncode == 0, schedule.stdout + schedule.stderr
    rows = query(server, "SELECT instigator_body, instigator_type, status FROM instigators")
    states = {(json.loads(body)["origin"]["job_name"], kind, status) for body, kind, status in rows}
    assert states == {("nightly_load_schedule", "SCHEDULE", "RUNNING")}


def test_nothing_is_kept_in_sqlite_under_dagster_home(night):
    """With PostgreSQL configured, $DAGSTER_HOME keeps only the config and the step logs."""
    kept = sorted(p.relative_to(night["dagster_home"]) for p in night["dagster_home"].rglob("*"))
    assert not [p for p in kept if p.suffix == ".db" or p.parts[0] in ("history", "schedules")]


def test_without_dagster_yaml_the_embedded_sqlite_default_is_unchanged(small_night, tmp_path):
    """The shared small night ran with a $DAGSTER_HOME without dagster.yaml (tests/conftest.py):
    its run, events and schedule storage are SQLite files there."""
    dagster_home, run_id = small_night["dagster_home"], small_night["summary"]["run_id"]
    assert not (dagster_home / "dagster.yaml").exists()
    with sqlite3.connect(f"file:{dagster_home / 'history' / 'runs.db'}?mode=ro", uri=True) as con:
        runs = con.execute("SELECT run_id, pipeline_name, status FROM runs").fetchall()
    assert (run_id, "nightly_load", "SUCCESS") in runs
    events_db = dagster_home / "history" / "runs" / f"{run_id}.db"
    with sqlite3.connect(f"file:{events_db}?mode=ro", uri=True) as con:
        ends = con.execute(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'PIPELINE_SUCCESS'"
        ).fetchone()
    assert ends == (1,)
    with pytest.MonkeyPatch.context() as mp:
        empty = tmp_path / "dagster"
        empty.mkdir()
        mp.setenv("DAGSTER_HOME", str(empty))
        with dg.DagsterInstance.get() as instance:
            storages = (
                type(instance.run_storage).__name__,
                type(instance.event_log_storage).__name__,
                type(instance.schedule_storage).__name__,
            )
    assert storages == ("SqliteRunStorage", "SqliteEventLogStorage", "SqliteScheduleStorage")
    assert (empty / "schedules" / "schedules.db").exists()
