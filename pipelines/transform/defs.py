"""The dbt project as Dagster assets (dagster-dbt), built against the run's database copy."""

import contextlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from pipelines.core import run_log
from pipelines.core.errors import retry_only_transient
from pipelines.core.metric_params import metric_defaults
from pipelines.core.progress import say
from pipelines.ingest.drop import current_load_id
from pipelines.transform.fact_fingerprints import (
    Fingerprint,
    drop_for_full_rebuild,
    fact_fingerprints,
    load_manifest,
    record_fingerprints,
    stale_facts,
)
from pipelines.transform.fx_preflight import check_reporting_currency
from pipelines.transform.project import SalesOpsDbtTranslator, dbt_paths, run_dbt_resource
from pipelines.warehouse.resource import WarehouseResource

MARTS_GROUP = "marts"


def dbt_vars(warehouse: WarehouseResource, load_id: int) -> dict[str, Any]:
    settings = warehouse.settings
    return {
        **warehouse.metric_params,
        "warehouse_path": str(warehouse.work_path),
        "as_of_date": warehouse.business_date.isoformat(),
        "load_id": load_id,
        "business_timezone": settings.business_timezone,
        "reporting_currency": settings.reporting_currency,
    }


def selected_fact_fingerprints(
    context: dg.AssetExecutionContext, manifest_path: Path, run_vars: Mapping[str, Any]
) -> list[Fingerprint]:
    """The fingerprints of the incremental facts this run builds (its asset selection)."""
    manifest = load_manifest(manifest_path)
    translator = SalesOpsDbtTranslator()
    selected = context.selected_asset_keys
    models = [
        node["name"]
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model" and translator.get_asset_key(node) in selected
    ]
    return fact_fingerprints(manifest, {**metric_defaults(), **run_vars}, models)


def rebuild_stale_facts(con: duckdb.DuckDBPyConnection, fingerprints: list[Fingerprint]) -> None:
    """Drop (in the run's copy) the facts built with another fingerprint, so this run's dbt
    builds them in full; say why."""
    stale = stale_facts(con, fingerprints)
    for model, reasons in stale.items():
        say("dbt", f"{model} is rebuilt in full: {'; '.join(reasons)}")
        run_log.emit("warning", "dbt", "fact_full_rebuild", model=model, reasons=reasons)
    drop_for_full_rebuild(con, fingerprints, stale)


#: On a long dbt build, how often the progress line says how far it got.
PROGRESS_EVERY_SECONDS = 30


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=SalesOpsDbtTranslator(),
    )
    @retry_only_transient  # a failed dbt build is not retried: a model or test needs fixing
    def salesops_dbt_assets(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        with warehouse.connect() as con:
            load_id = current_load_id(con, context.run_id)
            # Before dbt changes anything: a currency no rate converts stops the run here.
            check_reporting_currency(
                con, warehouse.settings.reporting_currency, warehouse.settings.business_timezone
            )
            run_vars = dbt_vars(warehouse, load_id)
            facts = selected_fact_fingerprints(context, project.manifest_path, run_vars)
            rebuild_stale_facts(con, facts)
        # dbt unit tests check the SQL on fixed rows, not the night's data: they run in the
        # project's test suite (scripts/test.sh), not on every night (DECISIONS.md).
        # dbt writes under the home, never into the project folder (code, maybe read-only and
        # shared by other homes); the target folder keeps dbt's partial-parse cache.
        target_path, dbt_log_path = dbt_paths(warehouse.home_path)
        args = [
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(run_vars),
            "--log-path",
            str(dbt_log_path),
        ]
        say("dbt", f"dbt build (load {load_id}, as of {warehouse.business_date})")
        models = tests = not_passed = 0
        log_path = warehouse.run_dir / "dbt.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        dbt = run_dbt_resource(dbt, warehouse.home_path)
        events = dbt.cli(args, context=context, target_path=target_path).stream()
        last_said = time.monotonic()
        with log_path.open("a", encoding="utf-8") as log:
            while True:
                # dagster-dbt echoes every dbt line to stdout; keep them in the run's dbt.log.
                with contextlib.redirect_stdout(log):
                    event = next(events, None)
                if event is None:
                    break
                if isinstance(event, dg.Output):
                    models += 1
                elif isinstance(event, dg.AssetCheckResult):
                    tests += 1
                    not_passed += 0 if event.passed else 1
                if time.monotonic() - last_said >= PROGRESS_EVERY_SECONDS:
                    say("dbt", f"{models} models built, {tests} tests run so far")
                    last_said = time.monotonic()
                yield event
        with warehouse.connect() as con:
            record_fingerprints(con, facts, load_id)
        say("dbt", f"{models} models built, {tests} tests run, {not_passed} warned; log {log_path}")
        run_log.emit(
            "info", "dbt", "dbt_built", models=models, tests=tests, warned=not_passed, log=log_path
        )

    return salesops_dbt_assets
