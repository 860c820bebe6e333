"""The Dagster definitions load, and the asset graph has the shape the README describes."""

from __future__ import annotations

import dagster as dg

from pipelines.core.contract import ENTITIES
from pipelines.ops.definitions import NIGHTLY_JOB, build_definitions, defs


def test_definitions_load_with_every_layer():
    definitions = build_definitions()
    job = definitions.resolve_job_def(NIGHTLY_JOB)
    assert job is not None
    graph = definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for e in ENTITIES:
        assert f"raw/{e.name}" in keys
    for mart in (
        "fct_sales_performance",
        "fct_funnel_conversion",
        "fct_lead_sources",
        "fct_receivables_aging",
        "dq_findings",
    ):
        assert any(k.endswith(mart) for k in keys), mart
    assert "reports/quarterly_review_pack" in keys
    assert {"reports/monthly_review_packs", "reports/quarterly_review_packs"} <= keys
    checks = {c.name for c in graph.asset_check_keys}
    assert "contract_suite" in checks


def test_period_packs_have_their_own_partitioned_jobs_and_schedules():
    definitions = build_definitions()
    schedules = {s.name: s for s in definitions.get_repository_def().schedule_defs}
    # after the nightly load (02:00): the 1st of each month / of each quarter at 04:00
    assert schedules["monthly_review_packs_schedule"].cron_schedule == "0 4 1 * *"
    assert schedules["quarterly_review_packs_schedule"].cron_schedule == "0 4 1 1,4,7,10 *"
    for name in ("monthly_review_packs_schedule", "quarterly_review_packs_schedule"):
        assert schedules[name].execution_timezone == "Asia/Shanghai"
    nightly = definitions.resolve_job_def(NIGHTLY_JOB)
    graph = definitions.resolve_asset_graph()
    packs = dg.AssetKey(["reports", "monthly_review_packs"])
    assert graph.get(packs).partitions_def is not None
    assert (
        packs not in nightly.asset_layer.selected_asset_keys
    )  # the nightly job stays unpartitioned


def test_dbt_sources_link_to_ingest_assets():
    graph = build_definitions().resolve_asset_graph()
    stg = next(k for k in graph.get_all_asset_keys() if k.path[-1] == "stg_crm__accounts")
    assert dg.AssetKey(["raw", "accounts"]) in graph.get(stg).parent_keys


def test_workspace_entry_point_is_a_lazy_definitions_function():
    # workspace.yaml loads pipelines.ops.definitions; `defs` builds on demand, not at import.
    assert callable(defs)


def test_workspace_yaml_validates_as_dagster_dev_loads_it(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pipelines.core.paths import PROJECT_ROOT

    dagster = Path(sys.executable).parent / "dagster"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "DAGSTER_DISABLE_TELEMETRY": "1"}
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr


def test_the_freshness_check_runs_in_its_own_job_only():
    definitions = build_definitions()
    nightly = set(definitions.resolve_job_def(NIGHTLY_JOB).graph.node_dict)
    freshness = set(definitions.resolve_job_def("drop_freshness_check").graph.node_dict)
    assert freshness == {"raw__drop_drop_arrived_by_deadline"}
    assert "raw__drop" in nightly and not nightly & freshness
