"""The whole dbt project on Apache Spark equals DuckDB's, on a real local Spark session.

A tiny demo drop (scale 0.02) goes through a real nightly run on DuckDB, which also writes the
lake (SALESOPS_LAKE_DIR); dbt then runs the project once on Spark (`--target spark`, reading
the lake) and every staging, intermediate and mart relation is compared row by row
(pipelines/transform/engines.py). Not on Spark, each with its reason (docs/scale-out.md):
the Python model int_statistical_forecasts (dbt-spark runs Python models only on Databricks
/ Dataproc) and the models that read it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from datetime import date
from decimal import Decimal

import pytest

from pipelines.demo.generator import generate_drop
from pipelines.ops.runner import run_nightly
from tests.support import oracle
from tests.support.dbt_warehouse import PROJECT_DIR

AS_OF = date(2026, 9, 30)

#: Not built on Spark: the Python model and the models that read it (docs/scale-out.md).
NOT_ON_SPARK = "int_statistical_forecasts+"
NOT_ON_SPARK_MODELS = {
    "int_statistical_forecasts",
    "int_sales_forecast",
    "fct_sales_forecast",
    "fct_forecast_accuracy",
}


def _require_spark() -> None:
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        pytest.fail("pyspark / dbt-spark are not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17: apt-get install openjdk-17-jre-headless")


@pytest.fixture(scope="module")
def engines_built(tmp_path_factory: pytest.TempPathFactory):
    """One tiny night on DuckDB (the lake written) and the same project built once on Spark."""
    _require_spark()
    from dbt.cli.main import dbtRunner

    from pipelines.transform import engines

    root = tmp_path_factory.mktemp("spark_parity")
    inbox, home, lake_dir, spark_dir = (root / n for n in ("inbox", "home", "lake", "spark"))
    generate_drop(inbox, seed=11, scale=0.02, end_date=AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SALESOPS_LAKE_DIR", str(lake_dir))
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)
        summary = run_nightly(inbox, home=home, as_of=AS_OF, echo=False)
        assert summary["status"] == "success", summary.get("error")

        mp.setenv("SALESOPS_SPARK_DIR", str(spark_dir))
        mp.setenv("SALESOPS_SPARK_MASTER", "local[2]")
        mp.setenv("SALESOPS_SPARK_SHUFFLE_PARTITIONS", "1")
        spark_vars = {"as_of_date": AS_OF.isoformat(), "load_id": 1, "lake_dir": str(lake_dir)}
        result = dbtRunner().invoke(
            [
                "run",
                "--exclude",
                NOT_ON_SPARK,
                "--target",
                "spark",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(root / "spark_target"),
                "--log-path",
                str(root / "spark_logs"),
                "--vars",
                json.dumps(spark_vars),
                "--quiet",
            ]
        )
    failed = [
        (r.node.name, r.status, r.message) for r in result.result or [] if r.status != "success"
    ]
    spark = engines.spark_session(spark_dir)
    return {
        "inbox": inbox,
        "warehouse": home / "warehouse.duckdb",
        "spark": spark,
        "dbt_success": result.success,
        "failed": failed,
        "exception": result.exception,
    }


def test_every_model_builds_on_spark(engines_built) -> None:
    assert engines_built["dbt_success"], engines_built["exception"] or engines_built["failed"]


@pytest.mark.parametrize("schema", ["staging", "intermediate", "marts"])
def test_every_relation_on_spark_equals_duckdb(engines_built, schema: str) -> None:
    from pipelines.transform import engines

    diffs = engines.compare_engines(engines_built["warehouse"], engines_built["spark"], [schema])
    diffs = [d for d in diffs if d.relation.split(".")[1] not in NOT_ON_SPARK_MODELS]
    text = engines.report(diffs, schema)
    print(text)
    assert len(diffs) >= 20, text
    assert all(d.identical for d in diffs), text


def test_spark_revenue_matches_the_files(engines_built) -> None:
    """Spark's company revenue and orders per quarter, against the drop's files (plain Python)."""
    drop = oracle.load_drop(engines_built["inbox"])
    revenue = oracle.revenue_by_quarter(drop, AS_OF)
    orders = oracle.orders_by_quarter(drop, AS_OF)
    rows = engines_built["spark"].sql(
        "select period, revenue, orders from marts.fct_sales_performance "
        "where period_type = 'quarter' and level = 'company' and scope_id = 'all'"
    )
    spark = {r["period"]: (r["revenue"], r["orders"]) for r in rows.collect()}
    assert revenue, "the drop has booked orders"
    for quarter in sorted(revenue):
        assert spark[quarter] == (revenue[quarter], orders[quarter]), quarter
    assert all(spark[q][0] == Decimal(0) for q in spark if q not in revenue)
