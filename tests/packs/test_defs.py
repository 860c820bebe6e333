"""The packs in Dagster: partitions by (fiscal) period, the partitioned asset.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

import shutil

import dagster as dg

from pipelines.core.settings import Settings
from pipelines.ops.definitions import build_definitions
from pipelines.packs.defs import build_period_packs, partition_period_label, period_partitions
from pipelines.warehouse.resource import WarehouseResource


def test_quarter_partitions_follow_the_fiscal_year():
    settings = Settings(report_first_month="2025-01", report_time="04:30")
    monthly, quarterly = period_partitions(settings, fiscal_start=1)
    assert monthly.get_partition_keys()[:2] == ["2025-01", "2025-02"]
    assert quarterly.get_partition_keys()[:2] == ["2025-01-01", "2025-04-01"]
    assert quarterly.cron_schedule == "30 4 1 1,4,7,10 *"
    assert partition_period_label("2026-07-01", 1) == "2026Q3"
    assert partition_period_label("2026-07", 1) == "2026-07"
    # fiscal year from February: quarters start Feb, May, Aug, Nov; Feb 2026 opens FY2026 Q1
    _, fiscal = period_partitions(settings, fiscal_start=2)
    assert fiscal.get_partition_keys()[:2] == ["2025-02-01", "2025-05-01"]
    assert fiscal.cron_schedule == "30 4 1 2,5,8,11 *"
    assert partition_period_label("2026-02-01", 2) == "2026Q1"
    assert partition_period_label("2026-11-01", 2) == "2026Q4"
    assert partition_period_label("2027-01-01", 2) == "2026Q4"  # Jan is in the Nov-Jan quarter


def test_monthly_pack_asset_renders_a_partition(hand_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_REPORT_FORMATS", "html")
    monkeypatch.setenv("SALESOPS_REPORT_LANGUAGES", "en")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(hand_warehouse, home / "warehouse.duckdb")
    graph = build_definitions().resolve_asset_graph()
    dbt_assets = next(
        graph.get(k).assets_def for k in graph.get_all_asset_keys()
        if k.path[-1] == "fct_sales_performance"
    )  # fmt: skip
    packs = build_period_packs(dbt_assets, Settings())
    result = dg.materialize(
        [packs.assets[0]],
        partition_key="2026-09",
        resources={"warehouse": WarehouseResource(home=str(home))},
    )
    assert result.success
    out = home / "reports" / "2026-09"
    # the month has only a company row in this warehouse
    assert (out / "review-pack_2026-09_company.html").is_file()
    assert (out / "index_2026-09.html").is_file()
    (mat,) = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert mat.partition == "2026-09"
    meta = mat.metadata
    assert meta["period"].value == "2026-09" and meta["packs"].value == 1
