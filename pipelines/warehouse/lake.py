"""The lake: the warehouse's raw data as Parquet, one folder per load, for other engines.

Layout under the lake location (``SALESOPS_LAKE_DIR``; docs/operations.md, "The lake")::

    <lake>/raw/<entity>/load_id=<N>/part-<digest>.parquet    rows of raw.<entity> with _load_id N
    <lake>/meta/<table>/load_id=<N>/part-<digest>.parquet    rows of meta.<table> with load_id N

for every entity of the contract and every meta table dbt reads (:data:`META_TABLES`, the
``meta`` sources of dbt_project/models/staging/meta). Every load of ``meta.loads`` has a
partition in every table, empty when the load brought no rows to it, so a table's folders
list exactly the lake's loads. Column types are the warehouse's: DECIMAL(p,s) money, DATE
dates, TIMESTAMPTZ as UTC instants, JSON as JSON text.

A partition is one file named by a digest of what it holds: the load (id, run, start), the
table's columns and types, and, for the meta tables (whose older rows a later load updates,
e.g. ``meta.quarantine.released_load_id``), the content of its rows. :func:`sync` makes the lake
equal to the warehouse by difference: it writes every partition that is missing or whose digest
changed, and removes the partitions of loads ``meta.loads`` does not have (a restored older
warehouse). A partition is written in a hidden folder beside its place and renamed into place
(on an object store: one object, written whole or not at all), so a reader, or a sync killed at
any moment, never sees half of one; a killed sync's leftovers are removed by the next.

The nightly run syncs after it published its warehouse, still holding the writer lock, so the
lake only ever holds published loads; ``salesops lake sync`` does the same by hand.

A Spark night (``SALESOPS_ENGINE`` spark / spark_thrift; docs/scale-out.md) must have its load
in the lake before dbt reads it there: it syncs its working copy *ahead* of publishing
(:func:`mark_ahead` first leaves a marker in the run's folder). Until it publishes, that load's
``meta.loads`` row in the lake says ``status = 'running'``; a published load's says
``complete``. When the run fails, :func:`repair` makes the lake equal to the published
warehouse again (the job's failure hook, still under the run's lock): the run's load is
removed, and the meta partitions of earlier loads it changed are rewritten as published. A run
killed before the hook ran leaves the marker; the next sync of any kind (a night of either
engine, ``salesops lake sync``) puts the lake back in line by difference, since a partition's
digest covers the run and the rows that made it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.core import run_log
from pipelines.core.contract import ENTITIES
from pipelines.core.errors import SalesOpsError
from pipelines.warehouse import lock
from pipelines.warehouse.schema import ensure_schema

#: The meta tables the dbt project reads (its ``meta`` sources), with their load column.
META_TABLES: tuple[str, ...] = ("loads", "load_files", "quarantine", "row_findings")

#: Prefix of the hidden folders a sync writes a partition in (and of the one it moves a
#: replaced partition to); engines skip names starting with "." or "_".
_TEMP = ".tmp-"
_OLD = ".old-"
_PARTITION = re.compile(r"load_id=(\d+)")


@dataclass(frozen=True)
class Table:
    schema: str  # raw | meta
    name: str
    load_column: str  # _load_id | load_id
    #: rows of earlier loads can change (meta tables): the digest covers their content
    mutable: bool

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


def lake_tables() -> tuple[Table, ...]:
    raw = tuple(Table("raw", e.name, "_load_id", False) for e in ENTITIES)
    return raw + tuple(Table("meta", t, "load_id", True) for t in META_TABLES)


@dataclass
class SyncResult:
    lake: str
    loads: int = 0
    written: int = 0
    removed: int = 0
    rows: int = 0
    seconds: float = 0.0


def is_url(location: str) -> bool:
    """An object-store location (``s3://``, ``gs://``, ``az://``, ``https://`` ...)."""
    return "://" in location


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database() "
        "order by ordinal_position",
        [table.schema, table.name],
    ).fetchall()
    return ",".join(f"{name} {type_}" for name, type_ in rows)


def expected_partitions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, int], str]:
    """(schema, table, load_id) -> file name, for every table and every load of meta.loads."""
    loads = con.execute(
        "select load_id, run_id, cast(started_at as varchar) from meta.loads order by load_id"
    ).fetchall()
    wanted: dict[tuple[str, str, int], str] = {}
    for table in lake_tables():
        columns = _columns(con, table)
        content: dict[int, str] = {}
        if table.mutable:
            content = {
                load_id: f"{n}:{h}"
                for load_id, n, h in con.execute(
                    f"select {table.load_column}, count(*), bit_xor(hash(t)) "  # noqa: S608
                    f"from {table.relation} as t group by all"
                ).fetchall()
            }
        for load_id, run_id, started_at in loads:
            key = f"{load_id}|{run_id}|{started_at}|{columns}|{content.get(load_id, '0')}"
            digest = hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()[:16]
            wanted[(table.schema, table.name, load_id)] = f"part-{digest}.parquet"
    return wanted


# --- where the files go ----------------------------------------------------------------
class _Local:
    """A folder on this machine: partitions written beside their place and renamed in."""

    def __init__(self, root: str) -> None:
        self.root = Path(root).expanduser().resolve()

    def existing(self) -> dict[tuple[str, str, int], set[str]]:
        found: dict[tuple[str, str, int], set[str]] = {}
        for schema in ("raw", "meta"):
            for table_dir in sorted((self.root / schema).glob("*")):
                if not table_dir.is_dir():
                    continue
                for part in table_dir.iterdir():
                    if part.name.startswith((_TEMP, _OLD)):  # a killed sync's leftovers
                        shutil.rmtree(part, ignore_errors=True)
                        continue
                    m = _PARTITION.fullmatch(part.name)
                    if m and part.is_dir():
                        key = (schema, table_dir.name, int(m.group(1)))
                        found[key] = {f.name for f in part.iterdir()}
        return found

    def write(self, copy: Callable[[str], None], key: tuple[str, str, int], name: str) -> None:
        schema, table, load_id = key
        final = self.root / schema / table / f"load_id={load_id}"
        temp = final.with_name(f"{_TEMP}{final.name}-{os.getpid()}")
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        copy(str(temp / name))
        _fsync_dir(temp)
        swap(temp, final)
        _fsync_dir(final.parent)

    def remove(self, key: tuple[str, str, int]) -> None:
        schema, table, load_id = key
        shutil.rmtree(self.root / schema / table / f"load_id={load_id}", ignore_errors=True)


def swap(temp: Path, final: Path) -> None:
    """Put the complete partition ``temp`` in the place of ``final`` (which may exist)."""
    if final.exists():
        old = final.with_name(f"{_OLD}{final.name}-{os.getpid()}")
        os.replace(final, old)
        os.replace(temp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp, final)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _ObjectStore:
    """An object store URL, written through DuckDB (httpfs): a partition is one object,
    written in one upload; listing through DuckDB's ``glob``, removal through pyarrow.fs."""

    def __init__(self, root: str, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root.rstrip("/")
        self.con = con

    def existing(self) -> dict[tuple[str, str, int], set[str]]:
        found: dict[tuple[str, str, int], set[str]] = {}
        pattern = f"{self.root}/*/*/load_id=*/*.parquet"
        for (path,) in self.con.execute(f"select file from glob({_quote(pattern)})").fetchall():
            parts = path[len(self.root) + 1 :].split("/")
            m = _PARTITION.fullmatch(parts[2])
            if len(parts) == 4 and parts[0] in ("raw", "meta") and m:
                found.setdefault((parts[0], parts[1], int(m.group(1))), set()).add(parts[3])
        return found

    def _dir(self, key: tuple[str, str, int]) -> str:
        schema, table, load_id = key
        return f"{self.root}/{schema}/{table}/load_id={load_id}"

    def write(self, copy: Callable[[str], None], key: tuple[str, str, int], name: str) -> None:
        stale = self.existing().get(key, set()) - {name}
        copy(f"{self._dir(key)}/{name}")
        for old in stale:
            self._delete(f"{self._dir(key)}/{old}")

    def remove(self, key: tuple[str, str, int]) -> None:
        for name in self.existing().get(key, set()):
            self._delete(f"{self._dir(key)}/{name}")

    def _delete(self, url: str) -> None:
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(url)
        filesystem.delete_file(path)


# --- the sync -----------------------------------------------------------------------------
def sync(
    con: duckdb.DuckDBPyConnection,
    lake: str,
    echo: Callable[[str], None] | None = None,
) -> SyncResult:
    """Make the lake at ``lake`` hold exactly the loads of the warehouse ``con`` reads.

    Writes the missing and changed partitions, removes those of loads the warehouse does not
    have; returns what it did. Safe to run again at any time, and after a sync that died.
    """
    started = time.monotonic()
    result = SyncResult(lake=lake)
    store = _ObjectStore(lake, con) if is_url(lake) else _Local(lake)
    wanted = expected_partitions(con)
    have = store.existing()
    result.loads = len({load_id for _, _, load_id in wanted})
    tables = {(t.schema, t.name): t for t in lake_tables()}

    for key in sorted(set(have) - set(wanted)):
        if key[:2] in tables:  # a load the warehouse no longer has (a restored backup)
            store.remove(key)
            result.removed += 1

    todo = sorted(
        (k for k, name in wanted.items() if have.get(k) != {name}), key=lambda k: (k[2], k)
    )
    by_load: dict[int, list[tuple[str, str, int]]] = {}
    for key in todo:
        by_load.setdefault(key[2], []).append(key)
    for load_id, keys in by_load.items():
        rows = 0
        for key in keys:
            table = tables[key[:2]]
            sql = f"select * from {table.relation} where {table.load_column} = {load_id}"  # noqa: S608

            def copy(target: str, sql: str = sql) -> None:
                con.execute(f"copy ({sql}) to {_quote(target)} (format parquet, compression zstd)")

            store.write(copy, key, wanted[key])
            rows += con.execute(
                f"select count(*) from {table.relation} where {table.load_column} = ?",  # noqa: S608
                [load_id],
            ).fetchall()[0][0]
            result.written += 1
        result.rows += rows
        if echo:
            echo(f"load {load_id}: {len(keys)} table partitions written ({rows:,} rows)")
    result.seconds = round(time.monotonic() - started, 2)
    run_log.emit(
        "info",
        "lake",
        "lake_synced",
        lake=lake,
        loads=result.loads,
        partitions_written=result.written,
        partitions_removed=result.removed,
        rows=result.rows,
        seconds=result.seconds,
    )
    return result


#: Marker a run leaves in its folder (HOME/runs/<run_id>/) once it wrote the lake ahead of
#: publishing.
AHEAD_MARKER = "lake-ahead"


def mark_ahead(run_dir: Path) -> None:
    """Note that this run writes its loads to the lake before it publishes."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / AHEAD_MARKER).touch()


def is_ahead(run_dir: Path) -> bool:
    return (run_dir / AHEAD_MARKER).exists()


def repair(
    live: Path, lake: str, prepare: Callable[[duckdb.DuckDBPyConnection], None]
) -> SyncResult:
    """Make the lake equal to the published warehouse ``live`` again (the caller holds the
    writer lock), after a run that wrote the lake ahead of publishing failed; with no published
    warehouse, the lake's tables are emptied. ``prepare`` sets up a connection (time zone ...)."""
    published = live.exists()
    con = duckdb.connect(str(live), read_only=True) if published else duckdb.connect(":memory:")
    try:
        prepare(con)
        if not live.exists():
            ensure_schema(con)  # no loads: every partition goes
        return sync(con, lake)
    finally:
        con.close()


@contextmanager
def live_reader(live: Path, wait_seconds: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published warehouse ``live`` (HOME/warehouse.duckdb),
    holding the writer lock (so no run publishes, and no other sync writes the lake,
    meanwhile)."""
    home = live.parent
    if not live.exists():
        raise SalesOpsError(
            f"there is no warehouse at {live}", "check --home, or run `salesops run` first"
        )
    handle = lock.acquire(home, wait_seconds)
    try:
        con = duckdb.connect(str(live), read_only=True)
        try:
            yield con
        finally:
            con.close()
    finally:
        lock.release(handle)
