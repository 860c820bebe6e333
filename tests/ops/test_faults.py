"""Faults of an unattended night: an unusable home, a full disk, a busy warehouse.

The real nightly job runs in-process (``pipelines.ops.runner.run_nightly``). Permanent
failures stop the run before anything is changed and are not retried; a warehouse held
by another run is retried by Dagster's ``RetryPolicy`` and the run then succeeds.
"""

from __future__ import annotations

import errno
import os
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.core import refusals
from pipelines.core.errors import (
    FileRejected,
    HomeNotUsable,
    SalesOpsError,
    WarehouseBusy,
    as_step_failure,
    is_transient,
)
from pipelines.ops.runner import run_nightly
from pipelines.warehouse import lock

AS_OF = date(2026, 9, 30)
MIB = 2**20
RETRY_DELAY = 300  # seconds


def events(run_id: str, event_type: dg.DagsterEventType, step: str | None = None) -> list:
    """Events of one run from the persistent instance under $DAGSTER_HOME."""
    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id, of_type=event_type)
    return [r for r in records if step is None or r.dagster_event.step_key == step]


@pytest.fixture(scope="module")
def night(small_night, tmp_path_factory):
    """One successful nightly run that first found the warehouse locked by another run.

    It is the shared small night (tests/conftest.py): the builder held the real lock
    (pipelines.warehouse.lock); when the run's first attempt at ``raw__drop`` was refused, a
    timer thread released it, and the step's retry succeeded. Its home and its Dagster
    instance are copied here, for the tests that run more nights on them.
    """
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(small_night["home"], root / "home")
    shutil.copytree(small_night["dagster_home"], root / "dagster")
    return {
        "root": root,
        "home": root / "home",
        "inbox": small_night["inbox"],
        "summary": small_night["summary"],
        "refusals": small_night["refusals"],
    }


@pytest.fixture
def dagster_home(night, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(night["root"] / "dagster"))


def test_a_busy_warehouse_is_retried_with_dagsters_retry_policy(night, dagster_home):
    summary = night["summary"]
    assert summary["status"] == "success", summary.get("error")
    assert night["refusals"], "the first attempt should have found the warehouse locked"
    run_id = summary["run_id"]
    retried = events(run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY, "raw__drop")
    assert len(retried) == len(night["refusals"]) >= 1
    assert not events(run_id, dg.DagsterEventType.STEP_FAILURE)
    # each retry restarted the step (STEP_RESTARTED, not STEP_START); others ran once
    restarts = events(run_id, dg.DagsterEventType.STEP_RESTARTED)
    assert [r.dagster_event.step_key for r in restarts] == ["raw__drop"] * len(retried)
    starts = [r.dagster_event.step_key for r in events(run_id, dg.DagsterEventType.STEP_START)]
    assert sorted(starts) == sorted(set(starts)) and "raw__drop" in starts
    # the warehouse was published; no working copy is left behind
    assert (night["home"] / "warehouse.duckdb").exists()
    assert not list((night["home"] / "work").glob("*.duckdb*"))


def test_a_lock_held_throughout_fails_after_the_retries_with_its_message(
    night, dagster_home, monkeypatch
):
    home = night["home"]
    before = (home / "warehouse.duckdb").read_bytes()
    monkeypatch.setenv("SALESOPS_RETRY_MAX", "2")
    monkeypatch.setenv("SALESOPS_RETRY_DELAY_SECONDS", "0.05")
    held = lock.acquire(home)
    try:
        summary = run_nightly(night["inbox"], home=home, as_of=AS_OF, echo=False)
    finally:
        lock.release(held)
    assert summary["status"] == "failed"
    assert summary["failed_step"] == "raw__drop"
    assert summary["error"].startswith("another run is writing to the warehouse")
    assert "Fix:" in summary["error"]
    retried = events(summary["run_id"], dg.DagsterEventType.STEP_UP_FOR_RETRY, "raw__drop")
    assert len(retried) == 2
    assert (home / "warehouse.duckdb").read_bytes() == before


def test_a_full_disk_stops_the_run_before_anything_is_changed(night, dagster_home, monkeypatch):
    home = night["home"]
    live = home / "warehouse.duckdb"
    before, mtime = live.read_bytes(), live.stat().st_mtime_ns
    free_mb = shutil.disk_usage(home).free // MIB
    monkeypatch.setenv("SALESOPS_MIN_FREE_MB", str(free_mb + 1024))  # more than there is
    summary = run_nightly(night["inbox"], home=home, as_of=AS_OF, echo=False)
    assert summary["status"] == "failed"
    # resource setup, i.e. before the first step: no step started, nothing retried
    assert summary["failed_step"] == "run start"
    assert not events(summary["run_id"], dg.DagsterEventType.STEP_START)
    error = summary["error"]
    assert error.startswith(f"not enough free disk space for a run in {home}: ")
    assert "MiB free" in error and "MiB needed" in error
    assert f"SALESOPS_MIN_FREE_MB={free_mb + 1024}" in error
    assert "Fix: free at least" in error
    assert live.read_bytes() == before and live.stat().st_mtime_ns == mtime
    assert not list((home / "work").glob("*.duckdb*"))


def test_a_permanent_error_in_a_step_fails_at_once_without_retries(tmp_path, monkeypatch):
    (tmp_path / "dagster").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("SALESOPS_RETRY_MAX", "3")
    # A retry would show in the time: Dagster waits RETRY_DELAY +/- RETRY_DELAY (jitter) before
    # the first, so the bound below catches at least 3 retries in 4. The run itself takes
    # seconds (37.8 s on a busy machine: too close to the 30 s of delay and bound used before).
    monkeypatch.setenv("SALESOPS_RETRY_DELAY_SECONDS", str(RETRY_DELAY))
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    home.mkdir()
    (inbox).mkdir()
    (inbox / "sales_reps.csv").write_text("rep_id,rep_name,team,region\nR1,A,T,R\n")
    garbage = b"not a DuckDB file, e.g. half a download\n" * 100
    (home / "warehouse.duckdb").write_bytes(garbage)
    summary = run_nightly(inbox, home=home, as_of=AS_OF, echo=False)
    assert summary["status"] == "failed"
    assert summary["failed_step"] == "raw__drop"
    assert summary["error"].startswith(f"the warehouse {home / 'warehouse.duckdb'} cannot be")
    assert "Fix: restore the last good backup" in summary["error"]
    assert summary["seconds_total"] < RETRY_DELAY / 2
    run_id = summary["run_id"]
    assert not events(run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert not events(run_id, dg.DagsterEventType.STEP_RESTARTED)
    assert (home / "warehouse.duckdb").read_bytes() == garbage
    assert not list((home / "work").glob("*.duckdb*"))


def run_job_with_home(home: Path, inbox: Path) -> tuple[str, str]:
    """Run the real job with ``home`` (run_nightly cannot write its summary there)."""
    from pipelines.ops.definitions import NIGHTLY_JOB, build_definitions
    from pipelines.warehouse.run_summary import failure_of

    job = build_definitions().resolve_job_def(NIGHTLY_JOB)
    config = {"home": str(home), "inbox": str(inbox), "as_of_date": AS_OF.isoformat()}
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            run_config={"resources": {"warehouse": {"config": config}}},
            instance=instance,
            raise_on_error=False,
        )
        assert not result.success
        return failure_of(instance, result.run_id)


def test_a_home_that_cannot_be_created_is_named_with_the_fix(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the home's parent should be\n")
    home = blocker / "salesops"
    step, message = run_job_with_home(home, tmp_path)
    assert step == "run start"
    assert message.startswith(f"the home folder {home} cannot be created or written (")
    assert "Fix: choose a writable --home" in message
    assert blocker.read_text().startswith("a regular file")


def test_a_read_only_home_is_named_with_the_fix(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    try:
        try:
            (home / "probe").write_text("")
        except PermissionError:
            pass
        else:
            pytest.skip(
                "file permissions do not stop this user (root / CAP_DAC_OVERRIDE); "
                "test_a_home_that_cannot_be_created_is_named_with_the_fix covers the check"
            )
        step, message = run_job_with_home(home, tmp_path)
    finally:
        home.chmod(0o755)
    assert step == "run start"
    assert message.startswith(f"the home folder {home} cannot be created or written (")
    assert "Permission denied" in message and "Fix:" in message
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (WarehouseBusy("another run is writing", "wait"), True),
        (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), True),
        (OSError(errno.EBUSY, "Device or resource busy"), True),
        (duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock'), True),
        (duckdb.IOException("No space left on device"), False),
        (duckdb.IOException('The file "w" exists, but it is not a valid DuckDB database'), False),
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
        (SalesOpsError("the inbox does not exist", "point --inbox at it"), False),
        (FileRejected("a.csv", "not a CSV", "export again", reason=refusals.BAD_HEADER), False),
        (HomeNotUsable("not enough free disk space", "free some"), False),
        (KeyError("a bug"), False),
    ],
)
def test_transient_or_permanent(exc, transient):
    assert is_transient(exc) is transient
    raised = as_step_failure(exc)
    if transient:
        assert raised is exc  # the RetryPolicy applies
    else:
        assert isinstance(raised, dg.Failure) and raised.allow_retries is False
        assert raised.__cause__ is exc or raised is exc


def test_a_salesops_error_becomes_a_failure_with_problem_and_fix():
    failure = as_step_failure(SalesOpsError("the inbox does not exist", "point --inbox at it"))
    assert failure.description == "the inbox does not exist\n  Fix: point --inbox at it"
    assert failure.metadata["fix"].value == "point --inbox at it"


def test_a_retry_policy_is_on_every_step_of_the_job(monkeypatch):
    from pipelines.core.settings import Settings
    from pipelines.ops.definitions import nightly_retry_policy

    monkeypatch.setenv("SALESOPS_RETRY_MAX", "5")
    monkeypatch.setenv("SALESOPS_RETRY_DELAY_SECONDS", "10")
    policy = nightly_retry_policy(Settings())
    assert policy.max_retries == 5 and policy.delay == 10
    assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.jitter == dg.Jitter.PLUS_MINUS
    # exponential: the n-th retry waits delay x (2**n - 1), +/- one delay of jitter
    for attempt, factor in ((1, 1), (2, 3), (3, 7)):
        assert 10 * factor - 10 <= policy.calculate_delay(attempt) <= 10 * factor + 10
    monkeypatch.setenv("SALESOPS_RETRY_MAX", "0")
    assert nightly_retry_policy(Settings()) is None
    monkeypatch.setenv("SALESOPS_RETRY_DELAY_SECONDS", "-1")
    with pytest.raises(ValueError, match="must not be negative"):
        Settings()


def test_the_default_settings_match_the_docs():
    from pipelines.core.settings import Settings

    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("SALESOPS_")]:
            mp.delenv(key)
        settings = Settings()
    assert (settings.retry_max, settings.retry_delay_seconds, settings.min_free_mb) == (3, 30, 512)
