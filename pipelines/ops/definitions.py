"""The one Dagster ``Definitions`` of the project (loaded by workspace.yaml).

Nothing happens at import time: the dbt manifest is prepared (parsed when
stale) only when Dagster, the CLI or a test asks for the definitions.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.alerts.defs import build_alerts_asset, build_run_failure_sensor
from pipelines.core.partitions import business_date_partitions
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.ingest.defs import build_ingest_assets
from pipelines.ops.automation import build_automation
from pipelines.ops.freshness import build_freshness
from pipelines.packs.defs import build_period_packs, build_report_asset
from pipelines.transform.defs import build_dbt_assets
from pipelines.transform.project import dbt_executable, ensure_manifest
from pipelines.warehouse import lake
from pipelines.warehouse.resource import WarehouseResource, configure_connection

NIGHTLY_JOB = "nightly_load"


def nightly_retry_policy(settings: Settings) -> dg.RetryPolicy | None:
    """Step retries for transient failures: SALESOPS_RETRY_MAX times, exponential backoff.

    The n-th retry waits ``SALESOPS_RETRY_DELAY_SECONDS x (2**n - 1)`` (1x, 3x, 7x, ...),
    plus or minus one delay of jitter so that two waiting runs do not collide again.
    Permanent failures raise ``dagster.Failure(allow_retries=False)``
    (:func:`pipelines.core.errors.retry_only_transient`) and skip the policy.
    """
    if settings.retry_max == 0:
        return None
    return dg.RetryPolicy(
        max_retries=settings.retry_max,
        delay=settings.retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


@dg.failure_hook(required_resource_keys={"warehouse"})
def lake_repair(context: dg.HookContext) -> None:
    """A failed step of a run that wrote its load to the lake ahead of publishing (a Spark
    night, pipelines/transform/defs.py) puts the lake back as the published warehouse has it
    (pipelines/warehouse/lake.py, ``repair``); the run still holds the writer lock."""
    warehouse: WarehouseResource = context.resources.warehouse
    settings = warehouse.settings
    if not settings.lake_dir or not lake.is_ahead(warehouse.run_dir):
        return
    try:
        done = lake.repair(
            warehouse.live_path,
            settings.lake_dir,
            lambda con: configure_connection(con, settings),
        )
    except Exception as exc:  # noqa: BLE001 - the step's own failure is what the run reports
        say("lake", f"the lake {settings.lake_dir} was not put back after the failure: {exc}")
        return
    (warehouse.run_dir / lake.AHEAD_MARKER).unlink(missing_ok=True)
    say(
        "lake",
        f"the lake {settings.lake_dir} is back to the published loads "
        f"({done.removed} partitions removed, {done.written} rewritten)",
    )


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, under ``settings`` (read from the
    environment when not given: the code location's entry point)."""
    settings = settings or Settings()
    project = ensure_manifest()
    ingest_assets = build_ingest_assets(business_date_partitions(settings))
    dbt_assets = build_dbt_assets(project)
    report = build_report_asset(dbt_assets)
    alerts = build_alerts_asset(dbt_assets)
    packs = build_period_packs(
        dbt_assets, settings
    )  # monthly / quarterly packs: own jobs and schedules
    freshness_check, freshness_job, freshness_schedule = build_freshness(settings)
    nightly = dg.define_asset_job(
        NIGHTLY_JOB,
        # every asset and check, except the period packs and the freshness check: they run
        # on their own schedules
        selection=dg.AssetSelection.all()
        - dg.AssetSelection.assets(*packs.assets)
        - dg.AssetSelection.checks(freshness_check),
        description="Ingest the night's drop (one daily partition per business date), "
        "validate it, build the dbt project, render the quarterly review pack and send the "
        "data-quality alerts; the warehouse changes only if every step succeeds.",
        executor_def=dg.in_process_executor,
        op_retry_policy=nightly_retry_policy(settings),
        hooks={lake_repair},
    )
    schedule, sensor = build_automation(nightly, settings)
    failure_alert = build_run_failure_sensor(nightly, sensor.default_status, settings)
    return dg.Definitions(
        assets=[*ingest_assets, dbt_assets, report, alerts, *packs.assets],
        asset_checks=[freshness_check],
        jobs=[nightly, freshness_job, *packs.jobs],
        schedules=[schedule, freshness_schedule, *packs.schedules],
        sensors=[sensor, failure_alert],
        resources={
            "warehouse": WarehouseResource(),
            "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
        },
        # DuckDB allows one writing process: every step runs in the run's process.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
