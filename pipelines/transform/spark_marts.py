"""The nightly dbt build on Spark: what runs where, and the Spark-built tables brought back into
the run's DuckDB copy with the types DuckDB's own build gives them (docs/scale-out.md, "The
nightly run on Spark").

On a Spark night (``SALESOPS_ENGINE`` spark or spark_thrift) the dbt assets

1. build every node but :data:`ON_DUCKDB` on Spark (``--target spark`` / ``spark_thrift``),
   reading the lake, which holds the run's load by then;
2. learn the column types DuckDB's build gives every one of those models: the project is
   built on DuckDB over *empty* copies of the run's raw and meta tables (:func:`shape_warehouse`,
   a scratch file; SQL types do not depend on the rows), so the types are DuckDB's own, never
   a mapping of Spark's (a DuckDB ``sum`` of integers is a HUGEINT, Spark's a BIGINT);
3. replace each table Spark built in the run's copy by a table of Spark's rows, read from the
   table's Parquet files under the Spark warehouse folder and cast to DuckDB's types
   (:func:`bring_back`): DECIMAL money, DATE dates, TIMESTAMPTZ instants (Spark writes UTC),
   JSON; a model that is a view on Spark (no files) is created again on DuckDB, as a view over
   what was brought back (its data tests ran on Spark);
4. build :data:`ON_DUCKDB` on DuckDB, from the upstream brought back.

Packs, alerts and publishing then read the run's copy as on a DuckDB night.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

#: dbt target of each Spark engine (dbt_project/profiles.yml).
SPARK_TARGETS = {"spark": "spark", "spark_thrift": "spark_thrift"}

#: Built on DuckDB on a Spark night, from the Spark-built upstream brought back: the Python
#: model (dbt-spark runs Python models only on Databricks / Dataproc) and its readers, and the
#: findings history (fct_dq_findings merges with its previous state, which a plain Parquet
#: table on Spark cannot; on DuckDB it keeps closed findings and first_seen_load as every
#: night does) and its reader.
ON_DUCKDB = ("int_statistical_forecasts+", "fct_dq_findings+")

#: The dbt schemas a build writes (never copied into the shape warehouse).
DBT_SCHEMAS = ("staging", "intermediate", "marts")

#: Folder of HOME the local Spark (engine spark) keeps its metastore and tables in by default.
SPARK_HOME_FOLDER = "spark"


def is_spark(engine: str) -> bool:
    return engine in SPARK_TARGETS


def spark_dir(settings: Any, home: Path) -> Path:
    """The local Spark's folder (engine spark): SALESOPS_SPARK_DIR, else HOME/spark."""
    return Path(settings.spark_dir or Path(home) / SPARK_HOME_FOLDER).expanduser().resolve()


def spark_warehouse_dir(settings: Any, home: Path) -> str:
    """Where the tables Spark builds lie, as this machine reads them."""
    if settings.spark_warehouse_dir:
        location = settings.spark_warehouse_dir
        return location if "://" in location else str(Path(location).expanduser().resolve())
    if settings.engine == "spark_thrift":
        from pipelines.core.errors import SalesOpsError

        raise SalesOpsError(
            "engine spark_thrift needs the Spark warehouse folder the run reads the marts from",
            "set SALESOPS_SPARK_WAREHOUSE_DIR to the server's spark.sql.warehouse.dir as this "
            "machine reads it (a folder, or an object-store URL such as s3://bucket/warehouse)",
        )
    return str(spark_dir(settings, home) / "warehouse")


def spark_environment(settings: Any, home: Path, lake: str) -> dict[str, str]:
    """Environment of the dbt that builds on Spark (what dbt_project/profiles.yml reads)."""
    env = {"SALESOPS_LAKE_DIR": lake}
    if settings.engine == "spark":
        folder = spark_dir(settings, home)
        env["SALESOPS_SPARK_DIR"] = str(folder)
        env["SALESOPS_SPARK_LOG4J"] = str(spark_log_config(folder))
    return env


def spark_log_config(folder: Path) -> Path:
    """A log4j2 configuration that writes the local Spark's log to ``folder/spark.log``. The
    in-process Spark shares dbt's output, which dagster-dbt reads dbt's events from (its
    standard error included): a Spark log line written into one of them loses that event, and
    with it the asset it reports."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "log4j2.properties"
    path.write_text(
        "rootLogger.level = warn\n"
        "rootLogger.appenderRef.file.ref = file\n"
        "appender.file.type = File\n"
        "appender.file.name = file\n"
        f"appender.file.fileName = {folder / 'spark.log'}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n\n",
        encoding="utf-8",
    )
    return path


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` set in os.environ meanwhile (dagster-dbt passes os.environ to dbt)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Model:
    unique_id: str
    schema: str
    name: str  # the relation's name (alias)
    materialized: str = "table"  # as built (on Spark: table, view ...)

    @property
    def is_view(self) -> bool:
        return self.materialized in ("view", "ephemeral")

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


def built_models(manifest: Mapping[str, Any], run_results: Mapping[str, Any]) -> list[Model]:
    """The models a dbt invocation built (its ``run_results.json``), with the materialization
    of that invocation's ``manifest`` (a Spark build's: staging models are tables there)."""
    models = []
    for result in run_results.get("results", []):
        node = manifest["nodes"].get(result["unique_id"])
        if node is None or node.get("resource_type") != "model":
            continue
        if result.get("status") != "success":
            continue
        models.append(
            Model(
                node["unique_id"],
                node["schema"],
                node.get("alias") or node["name"],
                node.get("config", {}).get("materialized", "table"),
            )
        )
    return sorted(models, key=lambda m: m.relation)


def on_duckdb_names(manifest: Mapping[str, Any]) -> set[str]:
    """The models of :data:`ON_DUCKDB`: each named model and every model downstream of it."""
    by_name = {
        n["name"]: uid for uid, n in manifest["nodes"].items() if n.get("resource_type") == "model"
    }
    children = manifest.get("child_map", {})
    todo = [by_name[s.rstrip("+")] for s in ON_DUCKDB]
    seen: set[str] = set()
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        todo.extend(c for c in children.get(uid, []) if c.startswith("model."))
    return {manifest["nodes"][uid]["name"] for uid in seen}


def shape_warehouse(copy: Path, shape: Path) -> None:
    """A DuckDB file ``shape`` holding every raw and meta table (every table outside the dbt
    schemas) of the run's copy ``copy``, empty: the sources a shape build reads."""
    shape.unlink(missing_ok=True)
    con = duckdb.connect(str(shape))
    try:
        con.execute(f"attach '{_sql_text(str(copy))}' as run_copy (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'run_copy' and table_type = 'BASE TABLE' "
            f"and table_schema not in {DBT_SCHEMAS!r} order by all"
        ).fetchall()
        for schema, name in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(
                f'create table "{schema}"."{name}" as '  # noqa: S608 - names from the catalogue
                f'select * from run_copy."{schema}"."{name}" limit 0'
            )
        con.execute("detach run_copy")
    finally:
        con.close()


def column_types(con: duckdb.DuckDBPyConnection, model: Model) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database() "
        "order by ordinal_position",
        [model.schema, model.name],
    ).fetchall()


def table_location(warehouse_dir: str, model: Model) -> str:
    """The folder of a managed Spark table: <warehouse>/<schema>.db/<table>."""
    return f"{warehouse_dir.rstrip('/')}/{model.schema}.db/{model.name}"


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _has_parquet(location: str) -> bool:
    if "://" in location:
        return True  # an object store: read_parquet lists it (an empty table has a file)
    folder = Path(location)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the Spark table folder {location} does not exist: is SALESOPS_SPARK_WAREHOUSE_DIR "
            "the Spark warehouse folder dbt built into?"
        )
    return any(p.suffix == ".parquet" for p in folder.glob("*.parquet"))


def _existing_kind(con: duckdb.DuckDBPyConnection, model: Model) -> str | None:
    row = con.execute(
        "select table_type from information_schema.tables where table_schema = ? "
        "and table_name = ? and table_catalog = current_database()",
        [model.schema, model.name],
    ).fetchone()
    return row[0] if row else None


def bring_back(
    con: duckdb.DuckDBPyConnection,
    shape: duckdb.DuckDBPyConnection,
    warehouse_dir: str,
    models: Iterable[Model],
) -> dict[str, int]:
    """Replace each of ``models`` in the run's copy (``con``, session time zone UTC) by a table
    of the rows Spark built, read from its Parquet files under ``warehouse_dir``, with the
    columns and types the shape build (``shape``) gave it. One transaction: every model or
    none. Returns rows per relation."""
    counts: dict[str, int] = {}
    con.execute("begin")
    try:
        for model in models:
            columns = column_types(shape, model)
            if not columns:
                raise RuntimeError(f"DuckDB's build of the project has no {model.relation}")
            location = table_location(warehouse_dir, model)
            cast = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in columns)
            if _has_parquet(location):
                source = f"read_parquet('{_sql_text(location)}/*.parquet')"
                select = f"select {cast} from {source}"  # noqa: S608
            else:  # Spark writes no file for an empty table
                nulls = ", ".join(f'null as "{c}"' for c, _ in columns)
                select = f"select {cast} from (select {nulls}) where false"  # noqa: S608
            kind = _existing_kind(con, model)
            con.execute(f'create schema if not exists "{model.schema}"')
            if kind == "VIEW":
                con.execute(f"drop view {model.relation}")
            elif kind is not None:
                con.execute(f"drop table {model.relation}")
            con.execute(f"create table {model.relation} as {select}")
            counts[model.relation] = con.execute(
                f"select count(*) from {model.relation}"  # noqa: S608
            ).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
