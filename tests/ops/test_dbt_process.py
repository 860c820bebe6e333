"""How a run invokes dbt: it writes under the warehouse home, never into the project folder,
and its dbt child dies with it.

Night 1 is the shared small night (tests/conftest.py, home H1). Night 2 runs on a copy of H1
without its dbt folder (home H2), one after the other (the shared `small_next_night`, which
test_dbt_keeps_parse also reads); another run of night 2, on another copy, is killed with
SIGKILL while dbt builds (test_end_to_end kills whole process groups; this kills the run
alone)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SMALL_NEXT_NIGHT, SMALL_NIGHT

NIGHT2 = SMALL_NEXT_NIGHT


def copy_without_dbt(home: Path, to: Path) -> Path:
    shutil.copytree(home, to, ignore=shutil.ignore_patterns("dbt"))
    return to


def run_results(home: Path) -> dict:
    return json.loads((home / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def drop2(small_night, small_next_night, tmp_path_factory) -> dict:
    """Night 2's drop (the small night's first account renamed) and H1."""
    root = tmp_path_factory.mktemp("dbt-process")
    return {"root": root, "inbox": small_next_night["inbox"], "h1": small_night["home"]}


@pytest.fixture(scope="module")
def night2(small_night, small_next_night) -> dict:
    """Night 2 on H2 (a copy of H1 without its dbt folder), the project folder watched."""
    return {**small_next_night, "h1": small_night["home"]}


def test_a_run_writes_nothing_into_the_dbt_project(night2) -> None:
    assert night2["summary"]["status"] == "success", night2["summary"].get("error")
    assert night2["project_after"] == night2["project_before"]


def test_dbt_writes_its_target_and_logs_under_the_home(night2) -> None:
    home = night2["home"]
    results = run_results(home)
    assert results["args"]["vars"]["warehouse_path"].startswith(str(home / "work"))
    # (the exposures end as no-op)
    assert {r["status"] for r in results["results"]} <= {"success", "pass", "no-op"}
    assert (home / "dbt" / "target" / "partial_parse.msgpack").is_file()
    assert (home / "dbt" / "logs" / "dbt.log").is_file()


def test_two_homes_keep_their_own_run_results(night2) -> None:
    h1, h2 = night2["h1"], night2["home"]
    # H1's night ran first; H2's run, after it, left H1's artefacts as they were.
    assert (h1 / "dbt" / "target" / "run_results.json").read_bytes() == night2["h1_results"]
    vars1 = run_results(h1)["args"]["vars"]
    vars2 = run_results(h2)["args"]["vars"]
    assert vars1["warehouse_path"].startswith(str(h1 / "work"))
    assert (vars1["as_of_date"], vars2["as_of_date"]) == (
        SMALL_NIGHT.isoformat(),
        NIGHT2.isoformat(),
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_killed_run_takes_its_dbt_with_it_and_leaves_the_warehouse(drop2) -> None:
    home = copy_without_dbt(drop2["h1"], drop2["root"] / "home-killed")
    live = home / "warehouse.duckdb"
    digest = hashlib.sha256(live.read_bytes()).hexdigest()
    salesops = Path(sys.executable).parent / "salesops"
    args = [str(salesops), "run", "--inbox", str(drop2["inbox"]), "--home", str(home)]
    proc = subprocess.Popen(
        [*args, "--as-of", NIGHT2.isoformat()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        dbt = None
        deadline = time.monotonic() + 120
        while dbt is None and time.monotonic() < deadline and proc.poll() is None:
            for child in _children(proc.pid):
                line = _cmdline(child)
                if "dbt" in line and " build " in line:
                    dbt = child
            time.sleep(0.05)
        assert dbt is not None, "no dbt build child seen"
        time.sleep(1.0)  # dbt is parsing or building
        assert _alive(dbt)
        os.kill(proc.pid, signal.SIGKILL)  # the run only: no cleanup, no signal to dbt
        proc.wait(timeout=30)
        gone_by = time.monotonic() + 5
        while _alive(dbt) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not _alive(dbt), _cmdline(dbt)
    finally:
        # what is left of the session this test started (the run, or a surviving dbt)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert hashlib.sha256(live.read_bytes()).hexdigest() == digest
