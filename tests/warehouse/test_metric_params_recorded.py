"""The night records the metric parameters it built with when it publishes its load
(``meta.metric_params``), whether or not it renders a pack; a failed night records none.

The nights here are real Dagster runs of the warehouse resource (working copy, writer lock,
publish) with one small asset that records a load, as the ingest step does: no pack asset.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from pipelines.core.paths import PROJECT_ROOT
from pipelines.warehouse.resource import WarehouseResource

#: The vars dbt_project.yml declares, read here on their own (the shipped defaults).
SHIPPED = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]


@dg.asset
def night_load(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
    """What the ingest step does to meta.loads: a new load of the run's business date."""
    with warehouse.connect() as con:
        con.execute(
            """insert into meta.loads (load_id, run_id, as_of_date, inbox, started_at, status)
               select coalesce(max(load_id), 0) + 1, ?, ?, 'inbox', ?, 'running'
               from meta.loads""",
            [context.run_id, warehouse.business_date, datetime.now(UTC)],
        )


@dg.asset(deps=[night_load])
def night_fails() -> None:
    raise RuntimeError("dbt build failed")


def night(home: Path, day: str, metrics: str, fail: bool = False) -> bool:
    home.mkdir(exist_ok=True)
    (home / "metrics.yaml").write_text(metrics, encoding="utf-8")
    result = dg.materialize(
        [night_load, night_fails] if fail else [night_load],
        resources={"warehouse": WarehouseResource(home=str(home), as_of_date=day)},
        raise_on_error=False,
    )
    return result.success


def recorded(home: Path) -> dict[date, tuple[int, dict]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select as_of_date, load_id, params from meta.metric_params").fetchall()
    return {d: (load_id, json.loads(params)) for d, load_id, params in rows}


def in_force(**overrides) -> dict:
    """Every metric parameter of the recorded row: the shipped value unless overridden."""
    return {**SHIPPED, **overrides}


#: What the pipeline sets itself on every run: not parameters, so not recorded.
RUN_CONTEXT = {
    "warehouse_path",
    "as_of_date",
    "history_as_of_date",
    "load_id",
    "business_timezone",
    "reporting_currency",
}


def check_params(got: dict, want: dict) -> None:
    """The recorded row holds every shipped parameter (the run context left out) at ``want``."""
    assert set(got) == set(want) - RUN_CONTEXT
    assert got == {k: want[k] for k in got}


def test_each_night_records_the_parameters_in_force_under_its_load(tmp_path):
    home = tmp_path / "home"
    assert night(home, "2026-10-01", "fiscal_year_start_month: 4\n")
    first = recorded(home)
    assert list(first) == [date(2026, 10, 1)]
    load_id, params = first[date(2026, 10, 1)]
    assert load_id == 1
    check_params(params, in_force(fiscal_year_start_month=4))

    # the next night, with a changed metrics file: its own row, under its own load
    changed = "fiscal_year_start_month: 7\nstage_probabilities: {proposal: 0.55}\n"
    assert night(home, "2026-10-02", changed)
    second = recorded(home)
    assert second[date(2026, 10, 1)] == first[date(2026, 10, 1)]  # the first night's, kept
    load_id, params = second[date(2026, 10, 2)]
    assert load_id == 2
    stages = {**SHIPPED["stage_probabilities"], "proposal": 0.55}
    check_params(params, in_force(fiscal_year_start_month=7, stage_probabilities=stages))


def test_a_failed_night_records_no_parameters(tmp_path):
    home = tmp_path / "home"
    assert night(home, "2026-10-01", "fiscal_year_start_month: 4\n")
    live = home / "warehouse.duckdb"
    before = hashlib.sha256(live.read_bytes()).hexdigest()

    assert not night(home, "2026-10-02", "fiscal_year_start_month: 10\n", fail=True)

    assert hashlib.sha256(live.read_bytes()).hexdigest() == before
    assert list(recorded(home)) == [date(2026, 10, 1)]
    assert recorded(home)[date(2026, 10, 1)][1]["fiscal_year_start_month"] == 4
