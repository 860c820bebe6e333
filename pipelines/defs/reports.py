"""The quarterly review pack, rendered from the marts after every nightly build."""

import time

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.errors import retry_only_transient
from pipelines.periods import Quarter
from pipelines.progress import say
from pipelines.warehouse.resource import WarehouseResource

#: The marts the pack reads.
PACK_MARTS = (
    "fct_sales_performance",
    "fct_funnel_conversion",
    "fct_receivables_aging",
    "dq_findings",
    "dim_sales_reps",
    "dim_accounts",
)


def build_report_asset(dbt_assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["reports", "quarterly_review_pack"]),
        deps=[get_asset_key_for_model([dbt_assets], m) for m in PACK_MARTS],
        group_name="reports",
        kinds={"html"},
        description="Quarterly review pack (one self-contained HTML file) for the quarter "
        "containing the run's business date. Published to HOME/reports/ with the warehouse.",
    )
    @retry_only_transient
    def quarterly_review_pack(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        from pipelines.reports import render_quarterly_pack
        from pipelines.reports.data import NoDataForQuarter

        started = time.perf_counter()
        work_path = warehouse.open_working_copy()  # the run's copy (made here if run alone)
        quarter = Quarter.of(warehouse.business_date).label
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
