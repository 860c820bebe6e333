"""The same dbt project on two engines: compare what DuckDB and Spark built, row by row.

DuckDB (the warehouse file) is the reference; Spark (dbt-spark, ``--target spark``) builds the
same models from the lake's Parquet (docs/scale-out.md). :func:`compare_engines` reads every
relation of the given schemas from both and compares them as multisets of rows: decimals and
integers exactly, doubles at 6 decimals, timestamps as UTC instants, dates as dates, JSON as
its parsed value. A relation missing on one side counts as differing. Columns named in
``ignore`` (e.g. a run's id and times, when the two engines' data come from two runs of the
same drop) are left out on both sides.

``salesops engines compare`` prints ``N/N <schema> identical`` and every differing row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

#: Places a DOUBLE is compared at: the engines sum and divide floats in different orders.
DOUBLE_PLACES = 6

#: How to install the Spark engine (the optional extra of pyproject.toml).
INSTALL_HINT = "pip install -e '.[spark]'  (and Java 17: apt-get install openjdk-17-jre-headless)"


@dataclass
class RelationDiff:
    relation: str
    duckdb_rows: int | None
    spark_rows: int | None
    only_duckdb: list[tuple] = field(default_factory=list)
    only_spark: list[tuple] = field(default_factory=list)
    columns_duckdb: list[str] = field(default_factory=list)
    columns_spark: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def identical(self) -> bool:
        return (
            self.error is None
            and self.columns_duckdb == self.columns_spark
            and not self.only_duckdb
            and not self.only_spark
        )


def spark_session(spark_dir: str | Path, master: str = "local[2]"):
    """A local Spark session on the metastore and warehouse folder dbt's ``spark`` target uses
    (dbt_project/profiles.yml: SALESOPS_SPARK_DIR), timestamps in UTC. In the process that ran
    dbt-spark it is that session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - the message is the point
        raise RuntimeError(f"pyspark is not installed: {INSTALL_HINT}") from exc
    folder = str(Path(spark_dir).resolve())
    return (
        SparkSession.builder.enableHiveSupport()
        .config("spark.master", os.environ.get("SALESOPS_SPARK_MASTER", master))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", f"{folder}/warehouse")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={folder}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def _normal(value: Any) -> Any:
    """A value both engines agree on when the data does."""
    if isinstance(value, float):
        return round(value, DOUBLE_PLACES) + 0.0  # -0.0 == 0.0
    if isinstance(value, Decimal):
        return value.normalize() if value == value else value
    if isinstance(value, dt.datetime):
        # pyspark hands a TIMESTAMP back as naive local time of this process; astimezone
        # reads a naive value as exactly that
        return value.astimezone(dt.UTC)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    return value


def _rows(rows: Iterable[Sequence[Any]]) -> Counter:
    return Counter(tuple(_normal(v) for v in row) for row in rows)


def duckdb_relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_catalog = current_database() order by table_name",
            [schema],
        ).fetchall()
    ]


def _select(con: duckdb.DuckDBPyConnection, relation: str, ignore: Collection[str]) -> str:
    if not ignore:
        return "*"
    columns = con.execute(f"select * from {relation} limit 0").description  # noqa: S608
    return ", ".join(name for name, *_ in columns if name not in ignore)  # plain identifiers


def compare_relation(
    con: duckdb.DuckDBPyConnection, spark, relation: str, ignore: Collection[str] = ()
) -> RelationDiff:
    """Compare `relation` (schema.name) on DuckDB (`con`) and Spark (`spark`), without the
    columns named in `ignore`."""
    diff = RelationDiff(relation, None, None)
    columns = _select(con, relation, ignore)
    duck = con.execute(f"select {columns} from {relation}")  # noqa: S608 - from the catalogue
    diff.columns_duckdb = [d[0] for d in duck.description]
    duck_rows = _rows(duck.fetchall())
    diff.duckdb_rows = sum(duck_rows.values())
    try:
        frame = spark.sql(f"select {columns} from {relation}")  # noqa: S608
        diff.columns_spark = list(frame.columns)
        spark_rows = _rows(tuple(row) for row in frame.collect())
    except Exception as exc:  # noqa: BLE001 - any Spark failure is a difference to report
        diff.error = str(exc).splitlines()[0][:300]
        return diff
    diff.spark_rows = sum(spark_rows.values())
    diff.only_duckdb = sorted((duck_rows - spark_rows).elements(), key=repr)
    diff.only_spark = sorted((spark_rows - duck_rows).elements(), key=repr)
    return diff


def compare_engines(
    duckdb_path: Path,
    spark,
    schemas: Sequence[str],
    models: Sequence[str] = (),
    ignore: Mapping[str, Collection[str]] | None = None,
) -> list[RelationDiff]:
    """Every relation of `schemas` in the DuckDB warehouse (only `models` when given),
    compared with Spark's relation of the same name; `ignore` maps a relation (schema.name) to
    columns left out of its comparison."""
    ignore = ignore or {}
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        diffs = []
        for schema in schemas:
            for name in duckdb_relations(con, schema):
                if models and name not in models:
                    continue
                relation = f"{schema}.{name}"
                diffs.append(compare_relation(con, spark, relation, ignore.get(relation, ())))
        return diffs
    finally:
        con.close()


def report(diffs: Sequence[RelationDiff], label: str, max_rows: int = 20) -> str:
    """Text: each differing relation with its differing rows, then `N/N <label> identical`."""
    lines = []
    for diff in diffs:
        if diff.identical:
            continue
        lines.append(
            f"DIFFERS {diff.relation}: duckdb {diff.duckdb_rows} rows, spark {diff.spark_rows}"
        )
        if diff.error:
            lines.append(f"  spark: {diff.error}")
        if diff.columns_duckdb != diff.columns_spark and not diff.error:
            lines.append(f"  columns duckdb {diff.columns_duckdb}")
            lines.append(f"  columns spark  {diff.columns_spark}")
        for side, rows in (("duckdb", diff.only_duckdb), ("spark ", diff.only_spark)):
            for row in rows[:max_rows]:
                lines.append(f"  only {side} {row!r}")
            if len(rows) > max_rows:
                lines.append(f"  only {side} ... {len(rows) - max_rows} more")
    same = sum(d.identical for d in diffs)
    lines.append(f"{same}/{len(diffs)} {label} identical")
    return "\n".join(lines)
