"""The nightly run on Spark (SALESOPS_ENGINE=spark): the same job, the same asset graph, the
marts brought back into the run's DuckDB copy equal to a DuckDB night's, packs rendered.

The DuckDB night is the shared small night (tests/conftest.py: a small demo drop, built once per
session); the Spark night loads the same drop into a home of its own, with its lake, and builds
on a real local Spark session (docs/scale-out.md, "The nightly run on Spark").
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ops.runner import run_nightly
from pipelines.transform import engines, spark_marts
from pipelines.warehouse import lake
from tests.conftest import SMALL_NIGHT


def require_spark() -> None:
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        pytest.fail(f"pyspark / dbt-spark are not installed: {engines.INSTALL_HINT}")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17: apt-get install openjdk-17-jre-headless")


class DuckDBAsSpark:
    """A DuckDB warehouse read through the `spark.sql(...)` interface engines.compare_relation
    uses (columns, collect), so a Spark night's marts compare with a DuckDB night's."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)
        self.con.execute("set TimeZone = 'UTC'")

    def sql(self, query: str):
        result = self.con.execute(query)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()

        class Frame:
            pass

        frame = Frame()
        frame.columns = columns
        frame.collect = lambda: rows
        return frame


def column_types(path: Path, schema: str) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_catalog = current_database() "
            "order by table_name, ordinal_position",
            [schema],
        ).fetchall()
    finally:
        con.close()
    types: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        types.setdefault(table, []).append((column, type_))
    return types


@pytest.fixture(scope="module")
def spark_night(small_night, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The small night's drop, run by the nightly job with engine spark (once per module)."""
    require_spark()
    root = tmp_path_factory.mktemp("spark_night")
    home, lake_dir, spark_dir = root / "home", root / "lake", root / "spark"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)  # as the small night
        mp.setenv("SALESOPS_ENGINE", "spark")
        mp.setenv("SALESOPS_LAKE_DIR", str(lake_dir))
        mp.setenv("SALESOPS_SPARK_DIR", str(spark_dir))
        mp.setenv("SALESOPS_SPARK_MASTER", "local[2]")
        mp.setenv("SALESOPS_SPARK_SHUFFLE_PARTITIONS", "1")
        summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
    return {
        "summary": summary,
        "home": home,
        "lake": lake_dir,
        "spark": spark_dir,
        "warehouse": home / "warehouse.duckdb",
        "duckdb_warehouse": Path(small_night["home"]) / "warehouse.duckdb",
        "inbox": Path(small_night["inbox"]),
    }


def test_the_spark_night_succeeds_and_built_on_spark(spark_night) -> None:
    summary = spark_night["summary"]
    assert summary["status"] == "success", summary.get("error")
    tables = spark_night["spark"] / "warehouse" / "marts.db"
    # the marts were built by Spark (its table files), the forecast and findings on DuckDB
    assert (tables / "fct_sales_performance").is_dir()
    assert not (tables / "fct_sales_forecast").exists()
    assert not (tables / "fct_dq_findings").exists()
    # every model but those six came back from Spark into the run's copy
    events = [
        json.loads(line)
        for log in (spark_night["home"] / "logs").glob(f"*_{summary['run_id']}.jsonl")
        for line in log.read_text().splitlines()
    ]
    back = [e for e in events if e.get("event") == "spark_brought_back"]
    assert len(back) == 1, events[-5:]
    assert back[0]["fields"]["relations"] >= 100


def test_sparks_log_stays_out_of_dbts_events(spark_night) -> None:
    """The local Spark's log goes to its own file and its console progress bar is off: neither
    may reach the output dagster-dbt reads dbt's events from, where a line written into an
    event's line lost that event (the model's asset was not materialised, and the review pack
    waiting for it was skipped)."""
    run_id = spark_night["summary"]["run_id"]
    dbt_log = (spark_night["home"] / "runs" / run_id / "dbt.log").read_text(encoding="utf-8")
    assert len(re.findall(r"\bOK created \S+ \S+ model ", dbt_log)) >= 100
    assert not re.search(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) ", dbt_log, re.M)
    assert "[Stage " not in dbt_log  # Spark's console progress bar
    assert (spark_night["spark"] / "spark.log").is_file()


def test_every_mart_equals_the_duckdb_night(spark_night) -> None:
    diffs = engines.compare_engines(
        spark_night["duckdb_warehouse"], DuckDBAsSpark(spark_night["warehouse"]), ["marts"]
    )
    text = engines.report(diffs, "marts")
    print(text)
    assert len(diffs) >= 20, text
    assert all(d.identical for d in diffs), text


@pytest.mark.parametrize("schema", ["marts", "intermediate"])
def test_types_are_duckdbs(spark_night, schema: str) -> None:
    """Every mart (and intermediate relation) has the columns and types a DuckDB night gives
    it: DECIMAL money, DATE dates, TIMESTAMP WITH TIME ZONE instants, JSON."""
    duck = column_types(spark_night["duckdb_warehouse"], schema)
    spark = column_types(spark_night["warehouse"], schema)
    assert duck
    assert spark == duck


def test_a_pack_is_rendered_from_the_spark_marts(spark_night) -> None:
    report = spark_night["summary"].get("report")
    assert report and Path(report).is_file()
    assert Path(report).stat().st_size > 10_000


def test_the_lake_holds_the_published_load(spark_night) -> None:
    con = duckdb.connect()
    try:
        statuses = con.execute(
            f"select status, count(*) from read_parquet('{spark_night['lake']}/meta/loads/*/*.parquet') "  # noqa: E501
            "group by all"
        ).fetchall()
    finally:
        con.close()
    assert statuses == [("complete", 1)]
    run_dir = spark_night["home"] / "runs" / spark_night["summary"]["run_id"]
    assert not (run_dir / "shape.duckdb").exists()


def test_a_failed_spark_night_takes_its_load_out_of_the_lake(small_night, tmp_path) -> None:
    """The run writes its load to the lake before dbt; its dbt build fails (no Thrift server
    listens): the failure hook puts the lake back as published (here: no warehouse, no loads)."""
    home, lake_dir = tmp_path / "home", tmp_path / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)
        mp.setenv("SALESOPS_ENGINE", "spark_thrift")
        mp.setenv("SALESOPS_LAKE_DIR", str(lake_dir))
        mp.setenv("SALESOPS_SPARK_WAREHOUSE_DIR", str(tmp_path / "spark-warehouse"))
        mp.setenv("SALESOPS_SPARK_PORT", "9")  # nothing listens there
        mp.setenv("SALESOPS_RETRY_MAX", "0")
        summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
    assert summary["status"] == "failed"
    assert "dbt" in summary["failed_step"]
    assert not (home / "warehouse.duckdb").exists()
    assert lake_dir.is_dir()  # the run wrote it ahead ...
    assert not list(lake_dir.rglob("*.parquet"))  # ... and took it back
    assert not (home / "runs" / summary["run_id"] / lake.AHEAD_MARKER).exists()


def test_on_duckdb_is_the_forecast_and_findings_subgraph() -> None:
    from pipelines.transform.fact_fingerprints import load_manifest
    from pipelines.transform.project import ensure_manifest

    manifest = load_manifest(ensure_manifest().manifest_path)
    assert spark_marts.on_duckdb_names(manifest) == {
        "int_statistical_forecasts",
        "int_sales_forecast",
        "fct_sales_forecast",
        "fct_forecast_accuracy",
        "fct_dq_findings",
        "dq_findings",
    }


def _lake_files(lake_dir: Path) -> dict[str, str]:
    return {
        str(p.parent.relative_to(lake_dir)): p.name
        for p in lake_dir.rglob("*.parquet")
        if not any(part.startswith(".") for part in p.parts)
    }


def test_repair_puts_the_lake_back_as_published(small_night, tmp_path) -> None:
    """A run's copy written to the lake ahead of publishing (a new load, an earlier load's meta
    rows changed), then the run fails: repair makes the lake the published warehouse's again."""
    live = Path(small_night["home"]) / "warehouse.duckdb"
    lake_dir = tmp_path / "lake"

    def utc(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("set TimeZone = 'UTC'")

    published = duckdb.connect(str(live), read_only=True)
    try:
        utc(published)
        lake.sync(published, str(lake_dir))
    finally:
        published.close()
    as_published = _lake_files(lake_dir)

    copy = tmp_path / "run-copy.duckdb"
    shutil.copy2(live, copy)
    con = duckdb.connect(str(copy))
    try:
        utc(con)
        con.execute(
            "insert into meta.loads select 2, 'failed-run', as_of_date, inbox, now(), null, "
            "'running' from meta.loads where load_id = 1"
        )
        con.execute("update meta.quarantine set released_load_id = 2")  # earlier rows changed
        lake.sync(con, str(lake_dir))
    finally:
        con.close()
    ahead = _lake_files(lake_dir)
    assert any("load_id=2" in folder for folder in ahead)
    assert ahead != as_published

    done = lake.repair(live, str(lake_dir), utc)
    assert done.removed > 0
    assert _lake_files(lake_dir) == as_published
