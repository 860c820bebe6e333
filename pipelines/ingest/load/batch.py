"""The batch stage: one mapped batch of an export typed, checked row by row and spooled.

Nothing here needs the rest of the file; what does is settled afterwards (:mod:`.settle`).
A ragged row (more cells than the header) is spooled like any row, with the one row-level
reason ``ragged_row`` (:mod:`.ragged`).
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.checks.vectorised import CompiledSuite, concat_failures
from pipelines.ingest.load.ragged import ragged_failures, ragged_rows
from pipelines.ingest.load.rows import (
    check_rows,
    currency_failures,
    local_time_failures,
    parse_failures,
)
from pipelines.ingest.load.spool import Spool
from pipelines.ingest.values.formats import ValueFormats
from pipelines.ingest.values.parse import ROW_INDEX, parse_frame_failures, resolved_local_times


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
