"""Builders the ingest tests share: a new warehouse, export files, a file loaded; one column
of text typed, its failure checked, and the same values read a million times over; a
vendor's whole drop written, loaded and checked."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract import Column, Entity, entity, load_order
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.files.table import RawTable
from pipelines.ingest.load import FileResult, ingest_file
from pipelines.ingest.profiles.loader import load_profile
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


# ------------------------------------------------------------------ a vendor's whole drop

#: The clock time of a vendor drop's load (the night of business date 2026-03-02).
DROP_NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def csv_bytes(
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    crlf: bool = True,
    quote_all: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def load_drop(con, inbox: Path, profile_name: str) -> dict[str, FileResult]:
    """Load every file of the drop, entities in dependency order (one load)."""
    profile = load_profile(profile_name)
    drop = scan_inbox(inbox, profile)
    assert drop.ignored == []
    con.execute(
        "insert into meta.loads values (1, 'run1', ?, ?, now(), null, 'running')",
        [date(2026, 3, 2), str(inbox)],
    )
    results = {}
    for e in load_order():
        path = drop.entity_files.get(e.name)
        if path is None:
            continue
        results[e.name] = ingest_file(
            con,
            e,
            path,
            load_id=1,
            run_id="run1",
            timezone=SH,
            now=DROP_NOW,
            profile=profile,
        )
    for r in results.values():
        assert r.status == "loaded", r.message
        assert r.rows_in == r.rows_loaded + r.rows_quarantined
    return results


def counts(results: dict[str, FileResult]) -> dict[str, tuple[int, int, int]]:
    return {e: (r.rows_in, r.rows_loaded, r.rows_quarantined) for e, r in results.items()}


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def quarantined(con) -> list[tuple]:
    return rows(
        con,
        "select entity, record_id, rule, column_name, value_seen from meta.quarantine "
        "order by entity, source_row",
    )


def check_cli(profile_name: str, inbox: Path, expected: dict[str, tuple[str, int]]) -> str:
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", profile_name, "--inbox", str(inbox)]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for file_name, (entity_name, n) in expected.items():
        assert f"{file_name} -> {entity_name}: {n} rows" in out, out
    assert "WOULD BE REJECTED" not in out
    assert "matches no entity" not in out
    return out
