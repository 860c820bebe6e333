"""One entry point to read a text column as any contract type, and the fast path for the
canonical spellings.

:func:`read_values` turns a text column into its contract type under a
:class:`ValueFormats`; a cell that has a value but cannot be read exactly becomes null (the
caller reports it with :func:`pipelines.ingest.values.expected.expected_format`). Every
step is a plain polars expression (regex extraction, string slicing, casts) in a lazy
pipeline, so a column of millions of cells is read without a per-row Python call.
"""

from __future__ import annotations

import polars as pl

from pipelines.core.contract import DECIMAL_DIGITS
from pipelines.ingest.values.formats import (
    PLAIN_ID,
    ValueFormats,
    fold,
    normalised,
    normalised_id,
)
from pipelines.ingest.values.moments import read_date, read_timestamp
from pipelines.ingest.values.numbers import digits_of, read_decimal, read_int, read_rate
from pipelines.ingest.values.stages import IN, OUT


def read_bool(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    low = pl.col(IN).str.to_lowercase()
    trues = sorted({fold(v).lower() for v in formats.true_values})
    falses = sorted({fold(v).lower() for v in formats.false_values})
    return lf.with_columns(
        pl.when(low.is_in(trues))
        .then(True)
        .when(low.is_in(falses))
        .then(False)
        .otherwise(None)
        .cast(pl.Boolean)
        .alias(OUT)
    )


_READERS = {
    "date": read_date,
    "timestamp": read_timestamp,
    "decimal": read_decimal,
    "rate": read_rate,
    "int": read_int,
    "bool": read_bool,
}

#: Output dtype of each contract type.
DTYPES: dict[str, pl.DataType] = {
    "id": pl.String(),
    "text": pl.String(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
    **{t: pl.Decimal(p, s) for t, (p, s) in DECIMAL_DIGITS.items()},
    "int": pl.Int64(),
    "bool": pl.Boolean(),
}


def read_values(
    frame: pl.DataFrame | pl.LazyFrame, column: str, type_: str, formats: ValueFormats
) -> pl.LazyFrame:
    """A lazy one-column frame: ``column`` of ``frame`` (text) read as contract type ``type_``.

    Same rows in the same order; a cell that cannot be read exactly is null.
    ``text`` columns are returned as they are, ``id`` columns normalised
    (:func:`~pipelines.ingest.values.formats.normalised_id`).
    """
    if type_ not in DTYPES:
        raise ValueError(f"unknown contract type {type_!r}")
    lf = frame.lazy().select(pl.col(column).cast(pl.String))
    if type_ == "id":
        return lf.select(normalised_id(pl.col(column)).alias(column))
    if type_ == "text":
        return lf
    lf = lf.select(normalised(pl.col(column)).alias(IN))
    return _READERS[type_](lf, formats).select(pl.col(OUT).cast(DTYPES[type_]).alias(column))


#: The first year a date is read in (4-digit years, as :mod:`.moments` reads them).
_FIRST_YEAR = 1000


def plain_reader(column: str, type_: str, formats: ValueFormats) -> pl.Expr | None:
    """A fast reader for the plain, canonical spelling of ``type_``, or None.

    ``2026-03-01``, ``2026-03-01 09:30:00``, ``-1234.5``, ``42``: what the
    canonical contract and most database exports write. Where it gives a
    value it is the value :func:`read_values` gives (tests hold them equal);
    where it gives null, the caller asks :func:`read_values`, which knows
    every other spelling. Only offered when the formats cannot read the
    canonical spelling otherwise (no custom date formats, year-first dates,
    ``.`` decimals). An id of printable ASCII is read as it is: only the other ids (rare)
    go through the Unicode normalisation of :func:`normalised_id`, which costs as much as
    the rest of a row's parsing together.
    """
    text = pl.col(column)
    if type_ == "id":
        return pl.when(text.str.contains(PLAIN_ID)).then(text)
    if formats.date_formats or formats.date_order != "YMD":
        return None
    if type_ == "date":
        day = text.str.to_date("%Y-%m-%d", strict=False)
        return pl.when(day.dt.year() >= _FIRST_YEAR).then(day)
    if type_ == "timestamp":
        naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)
        return (
            # chrono reads second 60 as the next minute; the full reader rejects it.
            pl.when((naive.dt.year() >= _FIRST_YEAR) & ~text.str.ends_with(":60"))
            .then(naive)
            .dt.replace_time_zone(formats.timezone, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
    if type_ in DECIMAL_DIGITS and formats.decimal_mark == ".":
        int_digits, scale = digits_of(type_)
        plain = text.str.contains(rf"^-?\d{{1,{int_digits}}}(\.\d{{1,{scale}}})?$")
        return pl.when(plain).then(text).cast(DTYPES[type_], strict=False)
    if type_ == "int":
        plain = text.str.contains(r"^-?\d{1,18}$")
        return pl.when(plain).then(text).cast(pl.Int64, strict=False)
    return None


def parse_values(values: pl.Series, type_: str, formats: ValueFormats) -> pl.Series:
    """``values`` (text) read as ``type_``: a convenience over :func:`read_values`."""
    name = values.name or "value"
    frame = values.alias(name).to_frame()
    return read_values(frame, name, type_, formats).collect(engine="streaming")[name]
