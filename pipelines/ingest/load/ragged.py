"""Ragged rows: a CSV row with more cells than the header (:data:`RAGGED` marks it) is
quarantined whole as ``ragged_row``, with the record as written, its cell count and the
header's. Its cells are not in their columns, so it is not checked further row by row."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.checks.catalogue import rule as catalogue_rule
from pipelines.ingest.checks.vectorised import concat_failures
from pipelines.ingest.files.table import RAGGED
from pipelines.ingest.values.parse import ROW_INDEX

RAGGED_ROW = "ragged_row"
#: A ragged row's reason sorts before any other (unreadable cells start at -1000).
ORD_RAGGED = -2000


def ragged_rows(text: pl.DataFrame) -> pl.Series:
    """True on the ragged rows of a mapped batch."""
    if RAGGED not in text.columns:
        return pl.repeat(False, text.height, eager=True)
    return text[RAGGED].is_not_null()


def ragged_failures(text: pl.DataFrame) -> pl.DataFrame:
    """The failures frame of a batch's ragged rows."""
    if RAGGED not in text.columns:
        return concat_failures([])
    rule = catalogue_rule(RAGGED_ROW)
    details = {
        "value": pl.col(RAGGED).struct.field("cells").cast(pl.String),
        "expected": pl.col(RAGGED).struct.field("header_cells").cast(pl.String),
    }
    return text.filter(pl.col(RAGGED).is_not_null()).select(
        pl.col(ROW_INDEX),
        pl.lit(ORD_RAGGED, dtype=pl.Int32).alias("ord"),
        pl.lit(RAGGED_ROW).alias("rule"),
        pl.lit(rule.severity).alias("severity"),
        pl.lit(None, dtype=pl.String).alias("column_name"),
        pl.col(RAGGED).struct.field("record").alias("value_seen"),
        rule.message.polars(**details).alias("message"),
        rule.fix.polars(**details).alias("fix"),
    )
