"""Review packs in Dagster.

- ``reports/quarterly_review_pack``: the company pack of the current quarter, rendered
  from the run's copy after every nightly build (part of the nightly job). (The metric
  parameters the night built with are recorded by the night itself, when it publishes:
  :mod:`pipelines.warehouse.runs`.)
- ``reports/monthly_review_packs`` / ``reports/quarterly_review_packs``: every scope's
  packs of a month / (fiscal) quarter, partitioned, rendered from the published warehouse
  by their schedules on the 1st of the next period, then sent to each scope's readers
  (:mod:`pipelines.packs.delivery`; run config ``resend: true`` sends again what was sent,
  ``lock_wait_seconds`` how long delivery waits for a nightly run holding the warehouse;
  see docs/review-pack.md).
"""

import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.alerts.defs import alerts_config_path
from pipelines.core.errors import retry_only_transient
from pipelines.core.metric_params import fiscal_year_start_month as configured_fiscal_start
from pipelines.core.metric_params import fiscal_year_start_month as configured_start
from pipelines.core.periods import fiscal_quarter_of
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.packs import PackOptions, render_period, render_quarterly_pack
from pipelines.packs.delivery import deliver_packs, load_delivery_config, summarise_deliveries
from pipelines.packs.frame import NoDataForPeriod, NoDataForQuarter
from pipelines.transform.lineage import REVIEW_PACKS, exposure_deps
from pipelines.warehouse.resource import WarehouseResource


def build_report_asset(dbt_assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["reports", "quarterly_review_pack"]),
        deps=exposure_deps(dbt_assets, REVIEW_PACKS),
        group_name="reports",
        kinds={"html"},
        description="Quarterly review pack (one self-contained HTML file) for the quarter "
        "containing the run's business date. Published to HOME/reports/ with the warehouse.",
    )
    @retry_only_transient
    def quarterly_review_pack(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:

        started = time.perf_counter()
        work_path = warehouse.open_working_copy()  # the run's copy (made here if run alone)
        # the fiscal year start of this run's home (its metrics file), as dbt used it
        fiscal_start = configured_fiscal_start(
            warehouse.home_path, warehouse.settings.metrics_config
        )
        quarter = fiscal_quarter_of(warehouse.business_date, fiscal_start).label
        staged_dir = warehouse.run_dir / "reports" / quarter
        try:
            path = render_quarterly_pack(
                work_path,
                quarter,
                staged_dir,
                as_of_date=warehouse.business_date,
                reporting_currency=warehouse.settings.reporting_currency,
            )
        except NoDataForQuarter as exc:
            # e.g. the first night of a quarter, before any order or target of it arrived:
            # the load itself is good, so it is published; the pack follows on a later night.
            say("report", f"{quarter} review pack skipped: {exc}")
            context.log.warning(f"review pack skipped: {exc}")
            return dg.MaterializeResult(metadata={"quarter": quarter, "skipped": str(exc)})
        published = warehouse.home_path / "reports" / quarter / path.name
        say("report", f"{quarter} review pack rendered ({time.perf_counter() - started:.1f}s)")
        return dg.MaterializeResult(
            metadata={"quarter": quarter, "path": dg.MetadataValue.path(str(published))}
        )

    return quarterly_review_pack


# --------------------------------------------------------------------------- period packs


def fiscal_year_start_month(settings: Settings) -> int:
    """The marts' fiscal year start: dbt var ``fiscal_year_start_month``, as the metrics file
    (HOME/metrics.yaml) sets it for the runs."""
    return configured_start(Path(settings.home), settings.metrics_config)


def quarter_start_months(start_month: int) -> list[int]:
    """Months in which a (fiscal) quarter starts: 1 -> [1, 4, 7, 10], 2 -> [2, 5, 8, 11]."""
    return sorted((start_month - 1 + 3 * i) % 12 + 1 for i in range(4))


def period_partitions(
    settings: Settings, fiscal_start: int | None = None
) -> tuple[dg.MonthlyPartitionsDefinition, dg.TimeWindowPartitionsDefinition]:
    """Month and (fiscal) quarter partitions in the business timezone.

    A month's key is its label (``2026-07``); a quarter's key is its first day
    (``2026-07-01``), labelled like the marts by :func:`partition_period_label`.
    Each window closes at ``SALESOPS_REPORT_TIME`` on the 1st of the next period,
    which is when the schedule renders it.
    """
    fiscal_start = fiscal_start or fiscal_year_start_month(settings)
    hour, minute = (int(x) for x in settings.report_time.split(":"))
    first = datetime.strptime(settings.report_first_month, "%Y-%m")
    monthly = dg.MonthlyPartitionsDefinition(
        start_date=first.strftime("%Y-%m"),
        fmt="%Y-%m",
        timezone=settings.business_timezone,
        hour_offset=hour,
        minute_offset=minute,
        end_offset=0,
    )
    months = quarter_start_months(fiscal_start)
    # the first quarter start on or after the first month
    while first.month not in months:
        first = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    quarterly = dg.TimeWindowPartitionsDefinition(
        cron_schedule=f"{minute} {hour} 1 {','.join(map(str, months))} *",
        start=first.replace(hour=hour, minute=minute),
        fmt="%Y-%m-%d",
        timezone=settings.business_timezone,
        end_offset=0,
    )
    return monthly, quarterly


def partition_period_label(key: str, fiscal_start: int) -> str:
    """``2026-07`` (a month key) -> ``2026-07``; ``2026-07-01`` (a quarter key) -> ``2026Q3``."""
    if len(key) == 7:
        return key
    return fiscal_quarter_of(date.fromisoformat(key), fiscal_start).label


def last_load_finished(warehouse_path: Path) -> datetime | None:
    """When the last load of the warehouse finished: the packs' "generated" time, so that
    rendering the same warehouse again writes the same files (None: no load recorded)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        row = con.execute("select max(finished_at) from meta.loads").fetchone()
    return row[0] if row else None


class PackRunConfig(dg.Config):
    """Run config of the period packs."""

    #: Send the packs to their readers (meta.pack_deliveries records each delivery).
    deliver: bool = True
    #: Send again files already delivered to a reader for this period.
    resend: bool = False
    #: Seconds delivery waits for the warehouse writer lock (a nightly run holding it) before
    #: it fails, having sent nothing.
    lock_wait_seconds: float = 1800


def render_period_packs(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    fiscal_start: int,
    config: PackRunConfig | None = None,
) -> dg.MaterializeResult:
    """Render every scope's pack of the partition's period from the published warehouse,
    then deliver each to its scope's readers."""
    config = config or PackRunConfig()

    settings = warehouse.settings
    period = partition_period_label(context.partition_key, fiscal_start)
    out_dir = warehouse.home_path / "reports" / period
    started = time.perf_counter()
    try:
        packs, index = render_period(
            warehouse.live_path,
            period,
            out_dir,
            langs=[x.strip() for x in settings.report_languages.split(",") if x.strip()],
            formats=settings.report_formats.split(","),
            options=PackOptions(
                reporting_currency=settings.reporting_currency,
                wan_units=settings.report_wan_units,
                unmask_contacts=settings.report_unmask_contacts,
                # the same warehouse renders the same files, so a re-run resends nothing
                generated_at=last_load_finished(warehouse.live_path),
            ),
        )
    except NoDataForPeriod as exc:
        context.log.warning(f"{period} packs skipped: {exc}")
        return dg.MaterializeResult(metadata={"period": period, "skipped": str(exc)})
    say("report", f"{period}: {len(packs)} packs ({time.perf_counter() - started:.1f}s)")
    metadata = {
        "period": period,
        "packs": len(packs),
        "index": dg.MetadataValue.path(str(index)),
    }
    if config.deliver:
        delivery = load_delivery_config(
            alerts_config_path(warehouse.home_path, settings.alerts_config), out_dir / "outbox"
        )
        results = deliver_packs(
            warehouse.live_path,
            packs,
            delivery,
            resend=config.resend,
            lock_wait_seconds=config.lock_wait_seconds,
            min_free_mb=settings.min_free_mb,
        )
        summary = summarise_deliveries(results)
        say("report", f"{period}: packs sent {summary['sent']}, failed {summary['failed']}")
        for failure in summary["failures"]:
            context.log.warning(f"pack not delivered: {failure}")
        metadata["delivery"] = dg.MetadataValue.json(summary)
    return dg.MaterializeResult(metadata=metadata)


@dataclass(frozen=True)
class PeriodPacks:
    assets: list[dg.AssetsDefinition]
    jobs: list
    schedules: list[dg.ScheduleDefinition]


def build_period_packs(dbt_assets: dg.AssetsDefinition, settings: Settings) -> PeriodPacks:
    """Monthly and quarterly packs of every scope: partitioned assets, jobs and schedules.

    Each reads the published warehouse (as it is after the nightly load) and renders the
    period that just ended, as of its end, on the 1st at SALESOPS_REPORT_TIME.
    """
    fiscal_start = fiscal_year_start_month(settings)
    monthly_parts, quarterly_parts = period_partitions(settings, fiscal_start)
    deps = exposure_deps(dbt_assets, REVIEW_PACKS)

    @dg.asset(
        key=dg.AssetKey(["reports", "monthly_review_packs"]),
        deps=deps,
        partitions_def=monthly_parts,
        group_name="review_packs",
        kinds={"html", "pdf", "xlsx"},
        description="Monthly review packs of the company, every region, team and rep, "
        "with an index page, in HOME/reports/<month>/.",
    )
    def monthly_review_packs(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: PackRunConfig
    ) -> dg.MaterializeResult:
        return render_period_packs(context, warehouse, fiscal_start, config)

    @dg.asset(
        key=dg.AssetKey(["reports", "quarterly_review_packs"]),
        deps=deps,
        partitions_def=quarterly_parts,
        group_name="review_packs",
        kinds={"html", "pdf", "xlsx"},
        description="Quarterly review packs (fiscal quarters, dbt var fiscal_year_start_month) "
        "of the company, every region, team and rep, with an index, in HOME/reports/<quarter>/.",
    )
    def quarterly_review_packs(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: PackRunConfig
    ) -> dg.MaterializeResult:
        return render_period_packs(context, warehouse, fiscal_start, config)

    status = (
        dg.DefaultScheduleStatus.RUNNING
        if settings.automation_on
        else dg.DefaultScheduleStatus.STOPPED
    )
    jobs, schedules = [], []
    for asset, name in (
        (monthly_review_packs, "monthly_review_packs"),
        (quarterly_review_packs, "quarterly_review_packs"),
    ):
        job = dg.define_asset_job(
            f"{name}_job", selection=[asset], executor_def=dg.in_process_executor
        )
        jobs.append(job)
        schedules.append(
            dg.build_schedule_from_partitioned_job(
                job, name=f"{name}_schedule", default_status=status
            )
        )
    return PeriodPacks([monthly_review_packs, quarterly_review_packs], jobs, schedules)
