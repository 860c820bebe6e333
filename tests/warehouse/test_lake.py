"""The lake (pipelines/warehouse/lake.py): every load's raw and meta rows as Parquet.

A real warehouse file (the pipeline's own DDL) is filled with rows of every raw entity and
every meta table dbt reads, with values at the edges of their types (DECIMAL(38,2) at its
largest, dates of year 1 and 9999, instants given in several offsets, JSON, quotes, Unicode,
nulls). The Parquet files are read back with DuckDB and with pyarrow and compared with the
warehouse row by row, types included. Then: a second sync writes nothing, a new load is
caught up alone, a later load's update of an older quarantine row rewrites that partition
only, a load the warehouse lost (a restored backup) leaves the lake, and a sync killed with
SIGKILL at its worst moments leaves no half partition and is finished by the next.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.paths import PROJECT_ROOT
from pipelines.warehouse import lake, lock
from pipelines.warehouse.schema import ensure_schema

LOADS = (1, 2, 3)


def _value(type_: str, column: str, load_id: int, row: int):
    """A value of ``type_`` at an edge of its range, different per row."""
    t = type_.upper()
    if t.startswith("DECIMAL"):
        precision, scale = (int(x) for x in t[8:-1].split(","))
        digits = f"{'9' * (precision - scale)}.{'9' * scale}"
        return (Decimal(digits), Decimal("-" + digits), Decimal(f"0.0{load_id + 1}"))[row]
    if t == "DATE":
        return (date(1, 1, 1), date(9999, 12, 31), date(2026, 2, 28))[row]
    if t == "TIMESTAMP WITH TIME ZONE":
        zone = timezone(timedelta(hours=(8, -5, 0)[row]))
        return datetime(2026, 9, 30, 23, 59, 59, 999_999 if row else 0, tzinfo=zone)
    if t == "BIGINT":
        return (load_id, 2**63 - 1, -(2**63))[row] if column.endswith("load_id") else row + 1
    if t == "INTEGER":
        return (2**31 - 1, -(2**31), 0)[row]
    if t == "BOOLEAN":
        return row == 0
    if t == "DOUBLE":
        return (0.1, 1e300, -0.0)[row]
    if t == "JSON":
        return ('{"a": 1, "q": "it\'s \\"x\\""}', "[]", "null")[row]
    return (f"O'Brien 张伟 {load_id}", "ÉCOLE\u0301 \t tab", "")[row]


def make_warehouse(path: Path, loads=LOADS) -> None:
    con = duckdb.connect(str(path))
    ensure_schema(con)
    for load_id in loads:
        add_load(con, load_id)
    con.close()


def add_load(con: duckdb.DuckDBPyConnection, load_id: int, run_id: str | None = None) -> None:
    con.execute(
        "insert into meta.loads values (?, ?, ?, 'inbox', ?, ?, 'complete')",
        [
            load_id,
            run_id or f"run-{load_id}",
            date(2026, 9, load_id),
            datetime(2026, 9, load_id, 18, tzinfo=UTC),
            datetime(2026, 9, load_id, 18, 5, tzinfo=UTC),
        ],
    )
    for t in lake.lake_tables():
        if t.relation == "meta.loads":
            continue
        cols = con.execute(
            "select column_name, data_type, is_nullable from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [t.schema, t.name],
        ).fetchall()
        for row in range(4):  # the fourth: null wherever a null may be
            values = [
                load_id
                if name == t.load_column
                else None
                if row == 3 and nullable
                else _value(type_, name, load_id, row % 3)
                for name, type_, nullable in cols
            ]
            if t.relation == "meta.quarantine":
                values[0] = f"q-{load_id}-{row}"  # its primary key
            # decimals bound as text, cast in SQL: no float on the way
            values = [str(v) if isinstance(v, Decimal) else v for v in values]
            marks = ", ".join(f"cast(? as {type_})" for _, type_, _ in cols)
            con.execute(f"insert into {t.relation} values ({marks})", values)  # noqa: S608


def files_of(root: Path, table: lake.Table) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for part in (root / table.schema / table.name).glob("load_id=*"):
        found[int(part.name.split("=")[1])] = sorted(part.iterdir())
    return found


def assert_lake_equals_warehouse(root: Path, warehouse: Path) -> None:
    """Every table's partitions hold exactly its rows of that load, with its exact types
    (read back with DuckDB, then with pyarrow), and nothing else is in the lake."""
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    loads = {r[0] for r in con.execute("select load_id from meta.loads").fetchall()}
    seen_dirs = set()
    for t in lake.lake_tables():
        parts = files_of(root, t)
        assert set(parts) == loads, t.relation
        types = con.execute(f"describe {t.relation}").fetchall()
        for load_id, files in parts.items():
            seen_dirs.add(files[0].parent)
            assert len(files) == 1 and files[0].suffix == ".parquet", files
            source = f"read_parquet('{files[0]}', hive_partitioning = false)"
            assert con.execute(f"describe select * from {source}").fetchall() == [
                (name, type_, "YES", None, None, None) for name, type_, *_ in types
            ], t.relation
            where = f"where {t.load_column} = {load_id}"
            warehouse_rows = sorted(
                con.execute(f"select * from {t.relation} {where}").fetchall(), key=repr
            )
            assert sorted(con.execute(f"select * from {source}").fetchall(), key=repr) == (
                warehouse_rows
            ), (t.relation, load_id)
            # pyarrow: the same rows, the same values, money as decimal128, instants in UTC
            table = pq.read_table(files[0])
            arrow_rows = sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)
            assert arrow_rows == warehouse_rows, (t.relation, load_id)
            for field, (_, type_, *_) in zip(table.schema, types, strict=True):
                assert _arrow_type(type_) == field.type or (
                    type_ == "JSON" and field.type.extension_name == "arrow.json"
                ), (t.relation, field)
    everything = {p.parent for p in root.rglob("*.parquet")}
    assert everything == seen_dirs
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]
    con.close()


def _arrow_type(duckdb_type: str) -> pa.DataType | None:
    if duckdb_type.startswith("DECIMAL"):
        precision, scale = (int(x) for x in duckdb_type[8:-1].split(","))
        return pa.decimal128(precision, scale)
    return {
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "BOOLEAN": pa.bool_(),
        "DOUBLE": pa.float64(),
    }.get(duckdb_type)


def sync(warehouse: Path, root: Path) -> lake.SyncResult:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return lake.sync(con, str(root))


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    make_warehouse(home / "warehouse.duckdb")
    return home


def test_every_table_round_trips_exactly(home, tmp_path):
    root = tmp_path / "lake"
    done = sync(home / "warehouse.duckdb", root)
    tables = len(lake.lake_tables())
    assert (done.loads, done.written, done.removed) == (3, 3 * tables, 0)
    assert done.rows == 3 + 3 * 4 * (tables - 1)  # meta.loads: one row a load
    assert_lake_equals_warehouse(root, home / "warehouse.duckdb")
    # the layout the engines read: raw/<entity>/load_id=<N>/, meta/<table>/load_id=<N>/
    assert (root / "raw" / "opportunities" / "load_id=2").is_dir()
    assert (root / "meta" / "quarantine" / "load_id=3").is_dir()


def test_meta_tables_are_what_dbt_reads_from_meta():
    sources = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "meta" / "_meta__sources.yml"
    (meta,) = [s for s in yaml.safe_load(sources.read_text())["sources"] if s["name"] == "meta"]
    assert set(lake.META_TABLES) == {t["name"] for t in meta["tables"]}


def test_the_sync_goes_by_difference(home, tmp_path):
    root, warehouse = tmp_path / "lake", home / "warehouse.duckdb"
    tables = len(lake.lake_tables())
    sync(warehouse, root)
    assert sync(warehouse, root).written == 0  # nothing changed, nothing written

    con = duckdb.connect(str(warehouse))
    add_load(con, 4)  # a new night
    # ... which released a row quarantined in load 1 (a later load updates an older row)
    con.execute("update meta.quarantine set released_load_id = 4 where quarantine_id = 'q-1-0'")
    con.close()
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    done = sync(warehouse, root)
    assert done.written == tables + 1 and done.removed == 0
    changed = {p for p in root.rglob("*.parquet") if before.get(p) != p.stat().st_mtime_ns}
    assert {p.parent.name for p in changed} == {"load_id=4", "load_id=1"}
    assert {p.parent.parent.name for p in changed if p.parent.name == "load_id=1"} == {"quarantine"}
    assert_lake_equals_warehouse(root, warehouse)

    # an export that never happened (a crash, a full disk): the next sync writes it
    shutil.rmtree(root / "raw" / "accounts" / "load_id=2")
    assert sync(warehouse, root).written == 1
    assert_lake_equals_warehouse(root, warehouse)


def test_loads_the_warehouse_lost_leave_the_lake(home, tmp_path):
    """A restored older warehouse: its later loads leave the lake; a load id reused by the
    next night (another run) replaces the old partition."""
    root, warehouse = tmp_path / "lake", home / "warehouse.duckdb"
    sync(warehouse, root)
    older = tmp_path / "older.duckdb"
    make_warehouse(older, loads=(1, 2))
    done = sync(older, root)
    assert (done.written, done.removed) == (0, len(lake.lake_tables()))
    assert_lake_equals_warehouse(root, older)

    con = duckdb.connect(str(older))
    add_load(con, 3, run_id="the-next-night")
    con.execute("update raw.accounts set account_name = 'reused' where _load_id = 3")
    con.close()
    sync(older, root)
    assert_lake_equals_warehouse(root, older)


def test_the_lake_command(home, tmp_path, monkeypatch):
    monkeypatch.delenv("SALESOPS_LAKE_DIR", raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["lake", "sync", "--home", str(home)])
    assert result.exit_code != 0 and "SALESOPS_LAKE_DIR" in str(result.exception)
    monkeypatch.setenv("SALESOPS_LAKE_DIR", str(tmp_path / "lake"))
    result = runner.invoke(main, ["lake", "sync", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "3 loads" in result.output
    assert_lake_equals_warehouse(tmp_path / "lake", home / "warehouse.duckdb")
    # a run writing the warehouse: the sync waits for it, or refuses
    held = lock.acquire(home)
    try:
        result = runner.invoke(main, ["lake", "sync", "--home", str(home)])
        assert result.exit_code != 0 and "another run" in str(result.exception)
    finally:
        lock.release(held)


#: A sync in a process of its own, killed with SIGKILL at the ``at``-th partition: while the
#: Parquet file is half written, or between the two renames that replace a partition.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import duckdb
    from pipelines.warehouse import lake

    warehouse, root, moment, at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    calls = []
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        calls.append(dst)
        if moment == "mid-swap" and len(calls) == 2 * at:
            os.kill(os.getpid(), signal.SIGKILL)  # the old partition moved away, the new not in
        return real_replace(src, dst, *args, **kwargs)

    lake.os.replace = replace
    real_write = lake._Local.write

    def write(self, copy, key, name):
        def half(target):
            copy(target)
            if moment == "mid-copy" and len(calls) >= at:
                data = Path(target).read_bytes()
                Path(target).write_bytes(data[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
        return real_write(self, half, key, name)

    lake._Local.write = write
    with duckdb.connect(warehouse, read_only=True) as con:
        lake.sync(con, root)
    """
)


@pytest.mark.parametrize("moment", ["mid-copy", "mid-swap"])
def test_a_sync_killed_midway_leaves_no_half_partition(home, tmp_path, moment):
    root, warehouse = tmp_path / "lake", home / "warehouse.duckdb"
    sync(warehouse, root)
    con = duckdb.connect(str(warehouse))
    add_load(con, 4)
    # every partition of load 1..3 of the quarantine changes: the sync replaces them
    con.execute("update meta.quarantine set resolved_load_id = 4 where load_id < 4")
    con.close()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(warehouse), str(root), moment, "3"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # what a reader sees: whole partitions only, each equal to the warehouse's rows of a
    # load as some sync wrote them (hidden leftovers are not read by the engines)
    check = duckdb.connect(str(warehouse), read_only=True)
    for t in lake.lake_tables():
        for load_id, files in files_of(root, t).items():
            assert len(files) == 1, files
            rows = duckdb.sql(f"select count(*) from read_parquet('{files[0]}')").fetchall()
            expected = check.execute(
                f"select count(*) from {t.relation} where {t.load_column} = {load_id}"
            ).fetchall()
            assert rows == expected, (t.relation, load_id)
    check.close()
    assert [p for p in root.rglob("*") if p.name.startswith(".")]  # the killed sync's debris
    sync(warehouse, root)  # the next night finishes the job and clears the debris
    assert_lake_equals_warehouse(root, warehouse)
