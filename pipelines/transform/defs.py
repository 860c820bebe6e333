"""The dbt project as Dagster assets (dagster-dbt), built against the run's database copy."""

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets

from pipelines.core import run_log
from pipelines.core.errors import SalesOpsError, retry_only_transient
from pipelines.core.metric_params import metric_defaults
from pipelines.core.progress import say
from pipelines.ingest.drop import current_load_id
from pipelines.transform import spark_marts
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
from pipelines.warehouse import lake
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


@dataclass
class _Counts:
    models: int = 0
    tests: int = 0
    not_passed: int = 0


@dataclass
class _BuildRun:
    """One night's dbt invocations: where they write, and what they built so far."""

    context: dg.AssetExecutionContext
    warehouse: WarehouseResource
    target_path: Path
    dbt_log_path: Path
    log_path: Path
    counts: _Counts
    last_said: float = field(default_factory=time.monotonic)

    def args(self, run_vars: Mapping[str, Any], *extra: str) -> list[str]:
        return [
            "build",
            "--exclude-resource-type",
            "unit_test",
            *extra,
            "--vars",
            json.dumps(dict(run_vars)),
            "--log-path",
            str(self.dbt_log_path),
        ]

    def stream(
        self,
        dbt: DbtCliResource,
        run_vars: Mapping[str, Any],
        *extra: str,
        target_path: Path | None = None,
    ) -> Iterator[Any]:
        """``dbt build`` (with ``extra`` options) as Dagster events; returns the invocation."""
        invocation = dbt.cli(
            self.args(run_vars, *extra),
            context=self.context,
            target_path=target_path or self.target_path,
        )
        events = invocation.stream()
        with self.log_path.open("a", encoding="utf-8") as log:
            while True:
                # dagster-dbt echoes every dbt line to stdout; keep them in the run's dbt.log.
                with contextlib.redirect_stdout(log):
                    event = next(events, None)
                if event is None:
                    break
                if isinstance(event, dg.Output):
                    self.counts.models += 1
                elif isinstance(event, dg.AssetCheckResult):
                    self.counts.tests += 1
                    self.counts.not_passed += 0 if event.passed else 1
                if time.monotonic() - self.last_said >= PROGRESS_EVERY_SECONDS:
                    say(
                        "dbt",
                        f"{self.counts.models} models built, {self.counts.tests} tests run so far",
                    )
                    self.last_said = time.monotonic()
                yield event
        return invocation


def _start_plain_dbt(
    run: _BuildRun,
    dbt: DbtCliResource,
    run_vars: Mapping[str, Any],
    *extra: str,
    log_path: Path | None = None,
) -> DbtCliInvocation:
    """``dbt run`` on DuckDB outside Dagster's events (nothing it builds is an asset output of
    its own: the shape build's scratch file, views Spark already reported), started."""
    log_path = log_path or run.dbt_log_path
    args = ["run", "--vars", json.dumps(dict(run_vars)), "--log-path", str(log_path)]
    return dbt.cli([*args, *extra, "--quiet"], target_path=run.target_path, raise_on_error=False)


def _finish_plain_dbt(
    run: _BuildRun, invocation: DbtCliInvocation, what: str, log_path: Path | None = None
) -> None:
    with run.log_path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        invocation.wait()
    if not invocation.is_successful():
        raise SalesOpsError(
            f"{what} failed", f"see {log_path or run.dbt_log_path} and {run.log_path}"
        )


def _plain_dbt(
    run: _BuildRun, dbt: DbtCliResource, run_vars: Mapping[str, Any], *extra: str, what: str
) -> None:
    _finish_plain_dbt(run, _start_plain_dbt(run, dbt, run_vars, *extra), what)


def _stop(invocation: DbtCliInvocation) -> None:
    """End a dbt process started alongside a build that failed."""
    if invocation.process.poll() is None:
        invocation.process.terminate()
        try:
            invocation.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            invocation.process.kill()
            invocation.process.wait()


def _spark_night(run: _BuildRun, dbt: DbtCliResource, run_vars: Mapping[str, Any]) -> Iterator[Any]:
    """The build of a Spark night (pipelines/transform/spark_marts.py): the run's load into the
    lake, every node but ``ON_DUCKDB`` on Spark, what Spark built brought back into the run's
    copy with DuckDB's types, then ``ON_DUCKDB`` on DuckDB from it."""
    warehouse = run.warehouse
    settings = warehouse.settings
    home = warehouse.home_path
    if not settings.lake_dir:
        raise SalesOpsError(
            f"engine {settings.engine} reads the raw data from the lake, and no lake is set",
            "set SALESOPS_LAKE_DIR (a folder or an object-store URL; docs/scale-out.md)",
        )
    # The run's load must be in the lake before Spark reads it; a failed run puts the lake
    # back as the published warehouse has it (pipelines/ops/definitions.py, lake_repair).
    lake.mark_ahead(warehouse.run_dir)
    with warehouse.connect() as con:
        done = lake.sync(con, settings.lake_dir, echo=lambda line: say("lake", line))
    say("lake", f"the run's loads are in the lake {settings.lake_dir} ({done.seconds:g}s)")
    warehouse_dir = spark_marts.spark_warehouse_dir(settings, home)
    target = spark_marts.SPARK_TARGETS[settings.engine]
    spark_vars = {k: v for k, v in run_vars.items() if k != "warehouse_path"}
    spark_vars["lake_dir"] = settings.lake_dir
    exclude = " ".join(spark_marts.ON_DUCKDB)  # one value: dagster-dbt reads one per option
    duck_dbt = run_dbt_resource(dbt, home)
    # The shape build (DuckDB's column types, from empty copies of the run's raw and meta
    # tables) depends on nothing Spark builds: it runs while Spark builds, in a dbt process of
    # its own (its own log folder), and is waited for after.
    shape, shape_log = warehouse.run_dir / "shape.duckdb", run.dbt_log_path / "shape"
    spark_marts.shape_warehouse(warehouse.work_path, shape)
    shaping = _start_plain_dbt(
        run,
        duck_dbt,
        {**run_vars, "warehouse_path": str(shape)},
        "--exclude",
        exclude,
        log_path=shape_log,
    )
    say("dbt", f"building on Spark (target {target}); on DuckDB: {exclude}")
    try:
        with spark_marts.environment(
            spark_marts.spark_environment(settings, home, settings.lake_dir)
        ):
            invocation = yield from run.stream(
                run_dbt_resource(dbt, home, target=target),
                spark_vars,
                "--exclude",
                exclude,
                # its own partial-parse cache: another adapter's parse is not DuckDB's
                target_path=run.target_path.with_name(f"target-{target}"),
            )
    except BaseException:
        _stop(shaping)
        shape.unlink(missing_ok=True)
        raise
    built = spark_marts.built_models(
        invocation.get_artifact("manifest.json"), invocation.get_artifact("run_results.json")
    )
    started = time.monotonic()
    _finish_plain_dbt(
        run, shaping, "the DuckDB build of the project's column types", log_path=shape_log
    )
    with warehouse.connect() as con, duckdb.connect(str(shape), read_only=True) as types:
        rows = spark_marts.bring_back(
            con, types, warehouse_dir, [m for m in built if not m.is_view]
        )
    shape.unlink(missing_ok=True)
    views = [m.name for m in built if m.is_view]
    if views:  # views on Spark: the same views on DuckDB, over what was brought back
        _plain_dbt(run, duck_dbt, run_vars, "--select", " ".join(views), what="the views")
    say(
        "dbt",
        f"{len(rows)} tables brought back from Spark ({sum(rows.values()):,} rows) and "
        f"{len(views)} views made on DuckDB ({time.monotonic() - started:.0f}s)",
    )
    run_log.emit(
        "info",
        "dbt",
        "spark_brought_back",
        relations=len(rows),
        rows=sum(rows.values()),
        views=len(views),
    )
    # the rest (ON_DUCKDB) on DuckDB, as Dagster events: every model built above excluded
    on_spark = sorted(m.name for m in built)
    yield from run.stream(duck_dbt, run_vars, "--exclude", " ".join(on_spark))


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
        say("dbt", f"dbt build (load {load_id}, as of {warehouse.business_date})")
        counts = _Counts()
        log_path = warehouse.run_dir / "dbt.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        run = _BuildRun(context, warehouse, target_path, dbt_log_path, log_path, counts)
        engine = warehouse.settings.engine
        if spark_marts.is_spark(engine):
            yield from _spark_night(run, dbt, run_vars)
        else:
            yield from run.stream(run_dbt_resource(dbt, warehouse.home_path), run_vars)
        with warehouse.connect() as con:
            record_fingerprints(con, facts, load_id)
        say(
            "dbt",
            f"{counts.models} models built, {counts.tests} tests run, {counts.not_passed} warned; "
            f"log {log_path}",
        )
        run_log.emit(
            "info",
            "dbt",
            "dbt_built",
            engine=engine,
            models=counts.models,
            tests=counts.tests,
            warned=counts.not_passed,
            log=log_path,
        )

    return salesops_dbt_assets
