"""Builders the ingest tests share: a new warehouse, export files, a file loaded; one column
of text typed, its failure checked, and the same values read a million times over."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from pipelines.core.contract import Column, Entity, entity
from pipelines.ingest.files.table import RawTable
from pipelines.ingest.load import FileResult, ingest_file
from pipelines.ingest.profiles.model import Profile
from pipelines.ingest.values.parse import (
    ROW_INDEX,
    ParseFailure,
    ValueFormats,
    expected_format,
    parse_frame,
)
from pipelines.ingest.values.readers import parse_values
from pipelines.warehouse.schema import ensure_schema

#: The business timezone the tests load in, and the clock time of their loads.
TZ = "Asia/Shanghai"
NOW = datetime(2026, 10, 1, tzinfo=UTC)


def new_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """An empty warehouse (raw and meta schemas) at ``path``, in UTC as the pipeline's."""
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    ensure_schema(con)
    return con


def write_export(dir_: Path, name: str, data: str | bytes) -> Path:
    """An export file ``dir_/name`` holding ``data`` (text is written as UTF-8)."""
    dir_.mkdir(parents=True, exist_ok=True)
    path = dir_ / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def table_rows(table: RawTable) -> list[tuple]:
    """A file's rows as read (row number first)."""
    return table.frame.rows()


def column(table: RawTable, name: str) -> list:
    """One column of a file as read."""
    return table.frame[name].to_list()


def register_load(con: duckdb.DuckDBPyConnection, load_id: int, as_of: date) -> None:
    """The ``meta.loads`` row of load ``load_id`` (once)."""
    con.execute(
        "insert or ignore into meta.loads values (?, ?, ?, 'inbox', now(), null, 'running')",
        [load_id, f"run{load_id}", as_of],
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    entity_name: str,
    path: Path,
    load_id: int,
    profile: Profile | None = None,
    now: datetime = NOW,
) -> FileResult:
    """``path`` loaded as ``entity_name`` in load ``load_id`` (run ``run<load_id>``)."""
    return ingest_file(
        con,
        entity(entity_name),
        path,
        load_id=load_id,
        run_id=f"run{load_id}",
        timezone=TZ,
        now=now,
        profile=profile,
    )


# ------------------------------------------------------------------ typed values

SH = "Asia/Shanghai"
NY = "America/New_York"
YMD, MDY, DMY = ValueFormats(), ValueFormats(date_order="MDY"), ValueFormats(date_order="DMY")
#: Times a list of values is repeated to read it as a column of millions of cells.
REPEAT = 200_000


def local(tz: str, *args: int) -> datetime:
    """The UTC instant of a wall-clock time in ``tz``."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def parse_column(type_: str, values: list[str | None], formats: ValueFormats | str = SH):
    """Parse one column of ``type_`` through parse_frame: (typed values, failures)."""
    e = Entity("t", (Column("v", type_),), key=("v",))
    text = (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .with_row_index(ROW_INDEX, offset=2)
        .with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    )
    typed, failures = parse_frame(text, e, formats)
    return typed["v"].to_list(), failures


def assert_fails(type_: str, value: str, formats: ValueFormats) -> ParseFailure:
    typed, failures = parse_column(type_, ["", value], formats)
    assert typed == [None, None]
    assert len(failures) == 1, failures
    f = failures[0]
    assert (f.row_index, f.column, f.value) == (3, "v", value)
    assert f.expected == expected_format(type_, formats)
    assert value in f.message and "v: cannot read" in f.message
    return f


def assert_repeats_identically(type_: str, cases: list[tuple[str, ValueFormats]]) -> None:
    """Each case's value read once and as a column of REPEAT copies gives the same answer."""
    by_formats: dict[ValueFormats, list[str]] = {}
    for value, formats in cases:
        by_formats.setdefault(formats, []).append(value)
    for formats, values in by_formats.items():
        once = parse_values(pl.Series("v", values, dtype=pl.String), type_, formats)
        many = pl.Series("v", values * REPEAT, dtype=pl.String)
        start = time.perf_counter()
        repeated = parse_values(many, type_, formats)
        elapsed = time.perf_counter() - start
        print(f"{type_} x{len(many):,} rows ({formats.date_order}): {elapsed:.2f}s")
        assert repeated.len() == many.len()
        assert repeated.null_count() == once.null_count() * REPEAT
        expected = pl.concat([once] * REPEAT)
        assert repeated.equals(expected)
