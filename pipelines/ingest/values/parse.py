"""Turn an export's text cells into contract-typed columns.

Pure functions over polars frames. Every cell that has a value but cannot be
parsed becomes a :class:`ParseFailure` (column, value, expected format) and a
null in the typed frame; nothing is coerced silently. How values are written
(date order, decimal mark, zone, ...) is a :class:`ValueFormats`; the
expressions that read them live in :mod:`pipelines.ingest.values.readers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.values.expected import expected_format
from pipelines.ingest.values.formats import ValueFormats, normalised
from pipelines.ingest.values.moments import local_time_notes
from pipelines.ingest.values.readers import DTYPES, plain_reader, read_values
from pipelines.ingest.values.stages import IN, OUT

__all__ = [
    "EXPECTED_FORMAT",
    "ROW_INDEX",
    "ParseFailure",
    "ValueFormats",
    "expected_format",
    "normalise_text",
    "parse_frame",
    "parse_frame_failures",
    "resolved_local_times",
]

ROW_INDEX = "_row_index"

#: What each type accepts under the default formats (see :func:`expected_format`).
EXPECTED_FORMAT: dict[str, str] = {
    t: expected_format(t, ValueFormats())
    for t in ("date", "timestamp", "decimal", "rate", "int", "bool")
}


@dataclass(frozen=True)
class ParseFailure:
    row_index: int
    column: str
    value: str
    expected: str

    @property
    def message(self) -> str:
        return f"{self.column}: cannot read {self.value!r}; expected {self.expected}"


def normalise_text(df: pl.DataFrame) -> pl.DataFrame:
    """Trim every cell; an empty cell is null."""
    return df.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None)
        for c in df.columns
        if c != ROW_INDEX
    )


def _as_formats(formats: ValueFormats | str) -> ValueFormats:
    if isinstance(formats, ValueFormats):
        return formats
    if isinstance(formats, str):
        return ValueFormats(timezone=formats)
    raise TypeError(f"formats must be a ValueFormats or a timezone name, not {formats!r}")


def parse_frame(
    text: pl.DataFrame,
    entity: Entity,
    formats: ValueFormats | str,
    column_formats: Mapping[str, ValueFormats] | None = None,
) -> tuple[pl.DataFrame, list[ParseFailure]]:
    """Type every contract column of ``text`` (all-string, normalised).

    ``formats`` says how the export writes its values (a bare string is the
    timezone of timestamps written without one, other settings default);
    ``column_formats`` overrides it for single contract columns by name.

    Columns the contract marks with an allowed set are lower-cased so that
    ``Won`` and ``won`` mean the same; the set itself is checked by the
    validation suite, not here. Returns the typed frame (same rows, same
    order, ``_row_index`` kept) and one failure per unreadable cell, column by
    column in contract order, rows in frame order.
    """
    typed, unread = parse_frame_failures(text, entity, formats, column_formats)
    failures = [
        ParseFailure(row_index, column, value, expected)
        for row_index, column, value, expected, _ in unread.iter_rows()
    ]
    return typed, failures


def _read_columns(
    text: pl.DataFrame, entity: Entity, chosen: dict[str, ValueFormats]
) -> pl.DataFrame:
    """Every contract column typed: the plain spelling fast, the rest by the full readers."""
    plain = {
        c.name: expr
        for c in entity.columns
        if (expr := plain_reader(c.name, c.type, chosen[c.name])) is not None
    }
    fast = text.select(ROW_INDEX, *(e.alias(n) for n, e in plain.items()))
    slow = [c for c in entity.columns if c.name not in plain]
    # One lazy pipeline per column, run together. The streaming engine works in
    # batches: a reader's many intermediate columns never exist for all rows at once.
    columns = pl.collect_all(
        [read_values(text, c.name, c.type, chosen[c.name]) for c in slow], engine="streaming"
    )
    out = {c.name: col for c, col in zip(slow, columns, strict=True)}
    for name in plain:
        type_ = entity.column(name).type
        typed = fast[name].cast(DTYPES[type_])
        rest = (text[name].is_not_null() & typed.is_null()).arg_true()
        if len(rest):  # other spellings: the full reader, on those rows only
            others = read_values(text[rest], name, type_, chosen[name]).collect()[name]
            typed = typed.scatter(rest, others)
        out[name] = typed.to_frame(name)
    return pl.concat(
        [text.select(ROW_INDEX), *(out[c.name] for c in entity.columns)], how="horizontal"
    )


def parse_frame_failures(
    text: pl.DataFrame,
    entity: Entity,
    formats: ValueFormats | str,
    column_formats: Mapping[str, ValueFormats] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`parse_frame`, with the failures as a frame.

    Failures: ``_row_index``, ``column``, ``value``, ``expected``, plus
    ``position`` (the column's place in the contract), in the same order.
    """
    base = _as_formats(formats)
    overrides = dict(column_formats or {})
    unknown = set(overrides) - set(entity.column_names)
    if unknown:
        raise ValueError(
            f"column_formats names {sorted(unknown)}, not columns of {entity.name} "
            f"({', '.join(entity.column_names)})"
        )
    chosen = {c.name: _as_formats(overrides.get(c.name, base)) for c in entity.columns}

    typed = _read_columns(text, entity, chosen)
    typed = typed.with_columns(
        pl.col(c.name).str.to_lowercase() for c in entity.columns if c.allowed
    )

    schema = {
        ROW_INDEX: pl.Int64,
        "column": pl.String,
        "value": pl.String,
        "expected": pl.String,
        "position": pl.Int32,
    }
    checked = [(i, c) for i, c in enumerate(entity.columns) if c.type != "text"]
    if not checked:
        return typed, pl.DataFrame(schema=schema)
    # One vectorised pass marks every cell that had a value and came out null; the finer
    # tests run on those cells only (usually none), not on every cell of the column.
    unread = pl.concat(
        [
            text.select(
                pl.col(ROW_INDEX).cast(pl.Int64),
                pl.lit(c.name).alias("column"),
                pl.col(c.name).cast(pl.String).alias("value"),
                pl.lit(expected_format(c.type, chosen[c.name])).alias("expected"),
                pl.lit(i, dtype=pl.Int32).alias("position"),
            )
            .filter(pl.col("value").is_not_null() & typed[c.name].is_null())
            .filter(
                (pl.col("value").str.strip_chars() != "")
                # an id of invisible characters only is empty, not unreadable
                & (pl.col("value").str.contains("\x00", literal=True) if c.type == "id" else True)
            )
            for i, c in checked
        ]
    )
    return typed, unread.select(list(schema)).cast(schema)


def _chosen_formats(
    entity: Entity,
    formats: ValueFormats | str,
    column_formats: Mapping[str, ValueFormats] | None,
) -> dict[str, ValueFormats]:
    base = _as_formats(formats)
    return {c.name: _as_formats((column_formats or {}).get(c.name, base)) for c in entity.columns}


def resolved_local_times(
    text: pl.DataFrame,
    typed: pl.DataFrame,
    entity: Entity,
    formats: ValueFormats | str,
    column_formats: Mapping[str, ValueFormats] | None = None,
) -> pl.DataFrame:
    """Timestamp cells written as a wall-clock time the business timezone skips (DST gap)
    or repeats (DST fold), which :func:`parse_frame` resolved by rule.

    One row per such cell: ``_row_index``, ``column``, ``value`` (as written), ``note``
    (``gap``: moved forward by the gap; ``ambiguous``: the first occurrence). Only cells
    whose instant lies within a day of a change of offset are read again, so a file without
    any costs one comparison per cell.
    """
    schema = {ROW_INDEX: pl.Int64, "column": pl.String, "value": pl.String, "note": pl.String}
    chosen = _chosen_formats(entity, formats, column_formats)
    parts = []
    for c in entity.columns:
        if c.type != "timestamp":
            continue
        zone = chosen[c.name].timezone
        at = pl.col(c.name)

        def offset(shift: int, at: pl.Expr = at, zone: str = zone) -> pl.Expr:
            moment = (at + pl.duration(days=shift)).dt.convert_time_zone(zone)
            return moment.dt.base_utc_offset() + moment.dt.dst_offset()

        near = typed.select(ROW_INDEX, (at.is_not_null() & (offset(-1) != offset(1))).alias("_n"))
        rows = near.filter("_n").select(ROW_INDEX)
        if rows.height == 0:
            continue
        cells = text.select(ROW_INDEX, pl.col(c.name).cast(pl.String).alias("value")).join(
            rows, on=ROW_INDEX, how="semi"
        )
        notes = local_time_notes(
            cells.lazy().with_columns(normalised(pl.col("value")).alias(IN)), chosen[c.name]
        ).collect()
        parts.append(
            notes.filter(pl.col(OUT).is_not_null()).select(
                pl.col(ROW_INDEX).cast(pl.Int64),
                pl.lit(c.name).alias("column"),
                "value",
                pl.col(OUT).alias("note"),
            )
        )
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).select(list(schema)).cast(schema)
