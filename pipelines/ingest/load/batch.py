"""The batch stage: one mapped batch of an export typed, checked row by row and spooled.

Nothing here needs the rest of the file; what does is settled afterwards (:mod:`.settle`).
A ragged row (a CSV row with more cells than the header, :data:`RAGGED` marks it) is spooled
like any row, quarantined whole as ``ragged_row`` with the record as written, its cell count
and the header's; its cells are not in their columns, so no other row check judges it.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.checks.catalogue import rule as catalogue_rule
from pipelines.ingest.checks.vectorised import CompiledSuite, concat_failures
from pipelines.ingest.files.table import RAGGED
from pipelines.ingest.load.rows import (
    check_rows,
    currency_failures,
    local_time_failures,
    parse_failures,
)
from pipelines.ingest.load.spool import Spool
from pipelines.ingest.values.formats import ValueFormats
from pipelines.ingest.values.parse import ROW_INDEX, parse_frame_failures, resolved_local_times

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


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    suite: CompiledSuite,
    text: pl.DataFrame,
    formats: ValueFormats,
    column_formats: dict[str, ValueFormats],
    spool: Spool,
    *,
    timezone: str,
) -> None:
    """Parse and check one batch; spool its rows and record its failures in ``_failures``.

    ``timezone`` is the business timezone (``formats`` may read the export in another)."""
    cells = text.select([ROW_INDEX, *entity.column_names])
    typed, unread = parse_frame_failures(cells, entity, formats, column_formats)
    resolved = resolved_local_times(cells, typed, entity, formats, column_formats)
    # A ragged row's cells are not in their columns: its one row-level reason is ragged_row.
    ragged = ragged_rows(text)
    checked_typed, checked_text = typed, text
    if ragged.any():
        skipped = text.filter(ragged).select(ROW_INDEX)
        checked_typed, checked_text = typed.filter(~ragged), text.filter(~ragged)
        unread = unread.join(skipped, on=ROW_INDEX, how="anti")
        resolved = resolved.join(skipped, on=ROW_INDEX, how="anti")
    suite_failures, counts = check_rows(
        entity, suite, checked_typed, checked_text, timezone=timezone
    )
    for position, n in counts.items():
        spool.counts[position] = spool.counts.get(position, 0) + n
    # An unreadable required cell is reported once, as unreadable, not also as missing.
    suite_failures = suite_failures.join(
        unread.select(ROW_INDEX, pl.col("column").alias("column_name")).with_columns(
            pl.lit("missing_required").alias("rule")
        ),
        on=[ROW_INDEX, "column_name", "rule"],
        how="anti",
    )
    failures = concat_failures(
        [
            ragged_failures(text),
            parse_failures(unread),
            suite_failures,
            currency_failures(entity, checked_text, checked_typed, formats),
            local_time_failures(entity, resolved),
        ]
    )
    if failures.height:
        con.execute("insert into _failures select * from failures")
    spool.add(entity, typed, text)
