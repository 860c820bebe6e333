"""The nightly schedule and the inbox sensor, evaluated with Dagster's own contexts."""

from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.ops.definitions import NIGHTLY_JOB, build_definitions
from pipelines.warehouse.resource import WarehouseResource


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESOPS_INBOX_ROOT", str(tmp_path / "drops"))
    (tmp_path / "drops").mkdir()
    return tmp_path / "drops"


@pytest.fixture
def definitions(env):
    # built under the test's environment: the schedule and sensor keep the settings they
    # were built with, as a code location does
    return build_definitions()


def drop(root, name, marker=True):
    folder = root / name
    folder.mkdir()
    (folder / "sales_reps.csv").write_text("rep_id,rep_name,team,region\nR1,A,T,R\n")
    if marker:
        (folder / "_READY").write_text("")
    return folder


def schedule_context(definitions, tick: datetime) -> dg.ScheduleEvaluationContext:
    # the repository lets Dagster check each request's partition key against the job's
    return dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=definitions.get_repository_def()
    )


def sensor_context(definitions) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(repository_def=definitions.get_repository_def())


def test_schedule_loads_yesterdays_folder(env, definitions):
    schedule = definitions.resolve_schedule_def("nightly_load_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    tick = datetime(2026, 10, 2, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    skipped = schedule.evaluate_tick(schedule_context(definitions, tick))
    assert not skipped.run_requests and "2026-10-01" in skipped.skip_message

    folder = drop(env, "2026-10-01")
    result = schedule.evaluate_tick(schedule_context(definitions, tick))
    (request,) = result.run_requests
    config = request.run_config["resources"]["warehouse"]["config"]
    assert config["as_of_date"] == "2026-10-01" and config["inbox"] == str(folder)
    # the run is for the partition of that business date, and keeps its run key
    assert request.partition_key == "2026-10-01"
    assert request.run_key.startswith("2026-10-01:")
    job = definitions.resolve_job_def(NIGHTLY_JOB)
    assert dg.validate_run_config(job, request.run_config)


def test_sensor_loads_complete_drops_once(env, definitions):
    sensor = definitions.resolve_sensor_def("inbox_sensor")
    drop(env, "2026-10-01")
    drop(env, "2026-10-02", marker=False)  # still arriving
    (env / "not-a-date").mkdir()
    first = sensor.evaluate_tick(sensor_context(definitions))
    assert [
        r.run_config["resources"]["warehouse"]["config"]["as_of_date"] for r in first.run_requests
    ] == ["2026-10-01"]
    assert [r.partition_key for r in first.run_requests] == ["2026-10-01"]
    again = sensor.evaluate_tick(sensor_context(definitions))
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]

    # a corrected re-delivery of the same date is a new run key (it loads again)
    (env / "2026-10-01" / "accounts.csv").write_text("account_id\n")
    changed = sensor.evaluate_tick(sensor_context(definitions))
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key


def test_sensor_can_wait_for_a_stable_folder_instead_of_a_marker(env, monkeypatch):
    from pipelines.core.settings import Settings
    from pipelines.ops.automation import complete_drops

    monkeypatch.setenv("SALESOPS_STABLE_MINUTES", "10")
    folder = drop(env, "2026-10-03", marker=False)
    settings = Settings()
    assert complete_drops(settings, now=time.time()) == []
    old = time.time() - 11 * 60
    for path in folder.iterdir():
        os.utime(path, (old, old))
    assert [d.isoformat() for d, _ in complete_drops(settings)] == ["2026-10-03"]


def test_the_nightly_job_is_partitioned_by_business_date(env, definitions, monkeypatch):
    from pipelines.core.settings import Settings
    from pipelines.ingest.defs import DROP_KEY

    job = definitions.resolve_job_def(NIGHTLY_JOB)
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.timezone == Settings().business_timezone == "Asia/Shanghai"
    assert partitions.start.date().isoformat() == "2020-01-01"
    graph = definitions.resolve_asset_graph()
    assert graph.get(DROP_KEY).partitions_def == partitions
    # the last partition is yesterday in the business timezone, by hand
    shanghai_yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date().toordinal() - 1
    assert partitions.get_last_partition_key() == (
        datetime.fromordinal(shanghai_yesterday).date().isoformat()
    )


def test_the_sensor_leaves_out_folders_dated_outside_the_partitions(env, definitions):
    sensor = definitions.resolve_sensor_def("inbox_sensor")
    drop(env, "2019-12-31")  # before SALESOPS_PARTITIONS_START
    drop(env, "2099-01-01")  # not over yet
    drop(env, "2026-10-01")
    result = sensor.evaluate_tick(sensor_context(definitions))
    assert [r.partition_key for r in result.run_requests] == ["2026-10-01"]


def test_the_resource_takes_the_business_date_and_inbox_from_the_partition(env, tmp_path):
    from pipelines.core.partitions import business_date_partitions
    from pipelines.core.settings import Settings

    seen = {}

    @dg.asset(partitions_def=business_date_partitions(Settings()))
    def probe(warehouse: WarehouseResource) -> None:
        seen.update(date=warehouse.business_date.isoformat(), inbox=warehouse.inbox_path)

    def materialize(partition: str, **config) -> dg.ExecuteInProcessResult:
        resource = WarehouseResource(home=str(tmp_path / "home"), **config)
        return dg.materialize(
            [probe],
            partition_key=partition,
            resources={"warehouse": resource},
            raise_on_error=False,
        )

    assert materialize("2026-10-01").success
    assert seen == {"date": "2026-10-01", "inbox": (env / "2026-10-01").resolve()}
    assert materialize("2026-10-02", inbox=str(tmp_path / "x")).success
    assert seen == {"date": "2026-10-02", "inbox": (tmp_path / "x").resolve()}
    mismatch = materialize("2026-10-03", as_of_date="2026-09-30")
    assert not mismatch.success
    failure = next(e for e in mismatch.all_events if e.is_failure)
    assert "partition 2026-10-03 but its as_of_date is 2026-09-30" in str(
        failure.event_specific_data
    )
