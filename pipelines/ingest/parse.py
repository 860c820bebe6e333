"""Turn an export's text cells into contract-typed columns.

Pure functions over polars frames. Every cell that has a value but cannot be
parsed becomes a :class:`ParseFailure` (column, value, expected format) and a
null in the typed frame; nothing is coerced silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.contract import DECIMAL_SCALE, Entity

ROW_INDEX = "_row_index"

#: What each type accepts, as users should read it in a quarantine reason.
EXPECTED_FORMAT: dict[str, str] = {
    "date": "a date like 2026-03-01 (YYYY-MM-DD)",
    "timestamp": "a timestamp like 2026-03-01 09:30:00, optionally with a zone (+08:00 or Z)",
    "decimal": (
        f"a number like 1234.50 ('.' as decimal point, no thousands separator, "
        f"at most {DECIMAL_SCALE} decimal places)"
    ),
    "int": "a whole number like 30",
    "bool": "true/false (also yes/no, y/n, 1/0)",
}

_DECIMAL_RE = rf"^[+-]?\d{{1,12}}(\.\d{{1,{DECIMAL_SCALE}}})?$"
_INT_RE = r"^[+-]?\d{1,18}$"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


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


def _timestamp_expr(col: str, timezone: str) -> pl.Expr:
    s = pl.col(col).str.replace("T", " ").str.replace(r"Z$", "+00:00")
    zoned = s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", strict=False, time_zone="UTC")
    naive = pl.coalesce(
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False),
        s.str.to_datetime("%Y-%m-%d %H:%M", strict=False),
        s.str.to_datetime("%Y-%m-%d", strict=False),
    )
    local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return pl.coalesce(zoned, local.dt.convert_time_zone("UTC"))


def _typed_expr(col: str, type_: str, timezone: str) -> pl.Expr:
    c = pl.col(col)
    if type_ == "date":
        return c.str.to_date("%Y-%m-%d", strict=False)
    if type_ == "timestamp":
        return _timestamp_expr(col, timezone)
    if type_ == "decimal":
        ok = c.str.contains(_DECIMAL_RE)
        return pl.when(ok).then(c).otherwise(None).cast(pl.Decimal(18, DECIMAL_SCALE))
    if type_ == "int":
        return pl.when(c.str.contains(_INT_RE)).then(c).otherwise(None).cast(pl.Int64)
    if type_ == "bool":
        low = c.str.to_lowercase()
        return (
            pl.when(low.is_in(_TRUE))
            .then(True)
            .when(low.is_in(_FALSE))
            .then(False)
            .otherwise(None)
            .cast(pl.Boolean)
        )
    if type_ == "text" or type_ == "id":
        return c
    raise ValueError(f"unknown contract type {type_!r}")


def parse_frame(
    text: pl.DataFrame, entity: Entity, timezone: str
) -> tuple[pl.DataFrame, list[ParseFailure]]:
    """Type every contract column of ``text`` (all-string, normalised).

    Columns the contract marks with an allowed set are lower-cased so that
    ``Won`` and ``won`` mean the same; the set itself is checked by the
    validation suite, not here. Returns the typed frame (same rows, same
    order, ``_row_index`` kept) and one failure per unreadable cell.
    """
    exprs = [pl.col(ROW_INDEX)]
    for column in entity.columns:
        expr = _typed_expr(column.name, column.type, timezone)
        if column.allowed:
            expr = expr.str.to_lowercase()
        exprs.append(expr.alias(column.name))
    typed = text.select(exprs)

    failures: list[ParseFailure] = []
    for column in entity.columns:
        if column.type in ("id", "text"):
            continue
        bad = text.filter(pl.col(column.name).is_not_null() & typed[column.name].is_null())
        for row_index, value in bad.select(ROW_INDEX, column.name).iter_rows():
            failures.append(
                ParseFailure(row_index, column.name, value, EXPECTED_FORMAT[column.type])
            )
    return typed, failures
