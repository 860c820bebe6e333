"""The nightly schedule and the inbox sensor, evaluated with Dagster's own contexts."""

from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.definitions import NIGHTLY_JOB, build_definitions


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESOPS_INBOX_ROOT", str(tmp_path / "drops"))
    (tmp_path / "drops").mkdir()
    return tmp_path / "drops"


@pytest.fixture(scope="module")
def definitions():
    return build_definitions()


def drop(root, name, marker=True):
    folder = root / name
    folder.mkdir()
    (folder / "sales_reps.csv").write_text("rep_id,rep_name,team,region\nR1,A,T,R\n")
    if marker:
        (folder / "_READY").write_text("")
    return folder


def test_schedule_loads_yesterdays_folder(env, definitions):
    schedule = definitions.resolve_schedule_def("nightly_load_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    tick = datetime(2026, 10, 2, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    skipped = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
    assert not skipped.run_requests and "2026-10-01" in skipped.skip_message

    folder = drop(env, "2026-10-01")
    result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
    (request,) = result.run_requests
    config = request.run_config["resources"]["warehouse"]["config"]
    assert config["as_of_date"] == "2026-10-01" and config["inbox"] == str(folder)
    job = definitions.resolve_job_def(NIGHTLY_JOB)
    assert dg.validate_run_config(job, request.run_config)


def test_sensor_loads_complete_drops_once(env, definitions):
    sensor = definitions.resolve_sensor_def("inbox_sensor")
    drop(env, "2026-10-01")
    drop(env, "2026-10-02", marker=False)  # still arriving
    (env / "not-a-date").mkdir()
    first = sensor.evaluate_tick(dg.build_sensor_context())
    assert [
        r.run_config["resources"]["warehouse"]["config"]["as_of_date"] for r in first.run_requests
    ] == ["2026-10-01"]
    again = sensor.evaluate_tick(dg.build_sensor_context())
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]

    # a corrected re-delivery of the same date is a new run key (it loads again)
    (env / "2026-10-01" / "accounts.csv").write_text("account_id\n")
    changed = sensor.evaluate_tick(dg.build_sensor_context())
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key


def test_sensor_can_wait_for_a_stable_folder_instead_of_a_marker(env, monkeypatch):
    from pipelines.defs.automation import complete_drops
    from pipelines.settings import Settings

    monkeypatch.setenv("SALESOPS_STABLE_MINUTES", "10")
    folder = drop(env, "2026-10-03", marker=False)
    settings = Settings()
    assert complete_drops(settings, now=time.time()) == []
    old = time.time() - 11 * 60
    for path in folder.iterdir():
        os.utime(path, (old, old))
    assert [d.isoformat() for d, _ in complete_drops(settings)] == ["2026-10-03"]
