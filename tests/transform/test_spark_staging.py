"""The staging layer on Apache Spark equals DuckDB's, on a real local Spark session.

A tiny hand-made warehouse (two loads: a superseded order, a deletion marker, an order placed
at 20:00 UTC on 06-30, which is 07-01 in Shanghai) is synced to the lake as Parquet; dbt
builds the staging models on DuckDB (from the warehouse) and on Spark (`--target spark`, from
the lake), and every staging relation is compared row by row (pipelines/transform/engines.py).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse import lake
from tests.support.dbt_warehouse import PROJECT_DIR, build_warehouse, run_dbt, ts

AS_OF = "2026-09-30"

RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [
        (1, dict(rep_id="R1", rep_name="Alice", team="East A", region="East")),
        (1, dict(rep_id="R2", rep_name="Bob", team="North A", region="North")),
    ],
    "accounts": [
        (1, dict(account_id="A1", account_name="Acme Ltd", owner_rep_id="R1")),
        (1, dict(account_id="A2", account_name="Beta Old", owner_rep_id="R2")),
        (2, dict(account_id="A2", account_name="Beta Co", owner_rep_id="R2")),
    ],
    "orders": [
        # 20:00 UTC on 06-30 is 04:00 on 07-01 in Shanghai
        (1, dict(order_id="O1", account_id="A1", rep_id="R1", currency="CNY",
                 ordered_at="2026-06-30 20:00:00+00:00", total_amount="300.00",
                 status="delivered")),
        (1, dict(order_id="O2", account_id="A2", rep_id="R2", currency="USD",
                 ordered_at=ts("2026-08-20 10:00:00"), total_amount="100.00",
                 status="open")),
        # load 2: O2 superseded (new amount), O3 exported once then deleted
        (2, dict(order_id="O2", account_id="A2", rep_id="R2", currency="USD",
                 ordered_at=ts("2026-08-20 10:00:00"), total_amount="120.50",
                 status="delivered")),
        (1, dict(order_id="O3", account_id="A1", rep_id="R1", currency="CNY",
                 ordered_at=ts("2026-09-01 09:00:00"), total_amount="10.00",
                 status="open")),
        (2, dict(order_id="O3", account_id="A1", rep_id="R1", currency="CNY",
                 ordered_at=ts("2026-09-01 09:00:00"), total_amount="10.00",
                 status="open", _deleted=True)),
    ],
}  # fmt: skip


def _require_spark() -> None:
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        pytest.fail("pyspark / dbt-spark are not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17: apt-get install openjdk-17-jre-headless")


def test_staging_on_spark_equals_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _require_spark()
    from dbt.cli.main import dbtRunner

    from pipelines.transform import engines

    db = tmp_path / "warehouse.duckdb"
    build_warehouse(
        db,
        RAW,
        loads={1: "2026-09-29", 2: AS_OF},
        loaded_at=dt.datetime(2026, 9, 30, 1, tzinfo=dt.UTC),
    )
    con = duckdb.connect(str(db))
    try:
        lake.sync(con, str(tmp_path / "lake"))
    finally:
        con.close()

    run_dbt(["run", "--select", "staging"], db=db, tmp=tmp_path / "duck", as_of=AS_OF, load_id=2)
    # dbt-duckdb keeps its connection (with its settings) open in this process: read a copy
    built = tmp_path / "built.duckdb"
    shutil.copy(db, built)
    if db.with_name(db.name + ".wal").exists():
        shutil.copy(db.with_name(db.name + ".wal"), built.with_name(built.name + ".wal"))

    spark_dir = tmp_path / "spark"
    monkeypatch.setenv("SALESOPS_SPARK_DIR", str(spark_dir))
    monkeypatch.setenv("SALESOPS_SPARK_MASTER", "local[1]")
    spark_vars = {"as_of_date": AS_OF, "load_id": 2, "lake_dir": str(tmp_path / "lake")}
    result = dbtRunner().invoke(
        [
            "run",
            "--select",
            "staging",
            "--target",
            "spark",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(tmp_path / "spark_target"),
            "--log-path",
            str(tmp_path / "spark_logs"),
            "--vars",
            json.dumps(spark_vars),
            "--quiet",
        ]
    )
    assert result.success, result.exception or [
        (r.node.name, r.status, r.message) for r in result.result or [] if r.status != "success"
    ]

    spark = engines.spark_session(spark_dir)
    diffs = engines.compare_engines(built, spark, ["staging"])
    text = engines.report(diffs, "staging relations")
    assert len(diffs) >= 30, text
    assert all(d.identical for d in diffs), text

    # the figures themselves, from the raw rows above: the current, not deleted orders, each
    # on its Shanghai date
    orders = {
        row["order_id"]: (str(row["ordered_date"]), str(row["total_amount"]))
        for row in spark.sql("select * from staging.stg_erp__orders").collect()
    }
    assert orders == {"O1": ("2026-07-01", "300.000000"), "O2": ("2026-08-20", "120.500000")}
    accounts = spark.sql("select account_id, account_name from staging.stg_crm__accounts")
    assert sorted(tuple(r) for r in accounts.collect()) == [("A1", "Acme Ltd"), ("A2", "Beta Co")]
