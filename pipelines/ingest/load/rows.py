"""Row checks of one batch: the entity's suite, unreadable cells, contradicting currency marks.

The loader's own rules take their severity, message and fix from the rule catalogue
(:mod:`pipelines.ingest.checks.catalogue`). Each check returns a *failures frame*
(``FAILURE_SCHEMA``): one row per (row, reason), with ``ord`` placing the reason among the
row's others (the first is the row's rule). Suite failures take their expectation's place in
the suite; unreadable cells sort before them, currency marks after them and after the file's
reference checks.
"""

from __future__ import annotations

import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.checks.catalogue import rule as catalogue_rule
from pipelines.ingest.checks.run import validate_rows
from pipelines.ingest.checks.suites import (
    ONE_OF_REQUIRED,
    date_of_column,
    e164_column,
    flag_column,
    one_of_column,
)
from pipelines.ingest.checks.vectorised import (
    FAILURE_SCHEMA,
    CompiledSuite,
    concat_failures,
    row_failures,
)
from pipelines.ingest.values.formats import ValueFormats
from pipelines.ingest.values.moments import AMBIGUOUS, GAP
from pipelines.ingest.values.numbers import currency_marks
from pipelines.ingest.values.parse import ROW_INDEX
from pipelines.ingest.values.phones import e164_column as e164_column_values
from pipelines.ingest.values.phones import region_of_timezone

UNPARSEABLE = "unparseable_value"
CURRENCY_MISMATCH = "currency_mismatch"
#: The rule of each way a wall-clock time was resolved (:func:`resolved_local_times`).
LOCAL_TIME_RULES = {GAP: "nonexistent_local_time", AMBIGUOUS: "ambiguous_local_time"}
#: Where failures of each kind sort among a row's reasons (the first is the row's rule).
ORD_PARSE = -1000
ORD_CURRENCY = 20_000
ORD_LOCAL_TIME = 30_000


def derive_columns(typed: pl.DataFrame, entity: Entity, timezone: str) -> pl.DataFrame:
    """Add the derived columns the suites check: one per one-of group, null when all its
    columns are; one per column flagged when empty on some rows only (null where it is
    flagged); a phone column's number in E.164 (:mod:`pipelines.ingest.values.phones`: in the
    row's country, else the business ``timezone``'s); and the calendar date of each column of
    an ordered pair (a timestamp's date in the business ``timezone``; a date as it is)."""
    for group in ONE_OF_REQUIRED.get(entity.name, ()):
        typed = typed.with_columns(
            pl.coalesce([pl.col(c).cast(pl.String) for c in group]).alias(one_of_column(group))
        )
    for c in entity.columns:
        if c.flag_if_empty and c.flag_unless:
            other, exempt = c.flag_unless
            typed = typed.with_columns(
                pl.when(pl.col(other).is_in(list(exempt)))
                .then(pl.lit("exempt"))
                .otherwise(pl.col(c.name).cast(pl.String))
                .alias(flag_column(c))
            )
    if "phone" in entity.column_names:
        country = "country" if "country" in entity.column_names else None
        numbers = e164_column_values(typed, "phone", country, region_of_timezone(timezone))
        typed = typed.with_columns(numbers.alias(e164_column("phone")))
    paired = {c for pair in entity.ordered_pairs for c in pair}
    for name in sorted(paired):
        at = pl.col(name)
        day = at if entity.column(name).type == "date" else at.dt.convert_time_zone(timezone)
        typed = typed.with_columns(day.dt.date().alias(date_of_column(name)))
    return typed


def check_rows(
    entity: Entity,
    suite: CompiledSuite,
    typed: pl.DataFrame,
    text: pl.DataFrame,
    *,
    timezone: str,
) -> tuple[pl.DataFrame, dict[int, int]]:
    """The suite's row-level failures of a batch (failures frame) and counts per expectation.

    ``timezone`` is the business timezone (the date of a timestamp in ordered pairs)."""
    typed = derive_columns(typed, entity, timezone)
    shown = text.select(ROW_INDEX, *entity.column_names)
    failures, counts = row_failures(typed, shown, suite.row)
    if suite.other:  # types without a polars translation: GE runs them on the batch
        found, outcomes = validate_rows(
            entity.name, typed, shown=shown, positions=[e.position for e in suite.other]
        )
        counts.update(
            {e.position: o.unexpected_count for e, o in zip(suite.other, outcomes, strict=True)}
        )
        extra = pl.DataFrame(
            [
                [f.row_index, f.position, f.rule, f.severity, f.column, f.value, f.message, f.fix]
                for f in found
            ],
            schema=FAILURE_SCHEMA,
            orient="row",
        )
        failures = concat_failures([failures, extra])
    return failures, counts


def parse_failures(unread: pl.DataFrame) -> pl.DataFrame:
    """The failures frame of the cells the parser could not read."""
    rule = catalogue_rule(UNPARSEABLE)
    details = {"column": pl.col("column"), "value": pl.col("value"), "expected": pl.col("expected")}
    return unread.select(
        pl.col(ROW_INDEX),
        (pl.col("position") + ORD_PARSE).cast(pl.Int32).alias("ord"),
        pl.lit(UNPARSEABLE).alias("rule"),
        pl.lit(rule.severity).alias("severity"),
        pl.col("column").alias("column_name"),
        pl.col("value").alias("value_seen"),
        rule.message.polars(**details).alias("message"),
        rule.fix.polars(**details).alias("fix"),
    )


def local_time_failures(entity: Entity, resolved: pl.DataFrame) -> pl.DataFrame:
    """The failures frame (warnings) of wall-clock times read by the DST rule
    (``resolved``: :func:`pipelines.ingest.values.parse.resolved_local_times`)."""
    parts = []
    for note, rule_id in LOCAL_TIME_RULES.items():
        cells = resolved.filter(pl.col("note") == note)
        if cells.height == 0:
            continue
        rule = catalogue_rule(rule_id)
        details = {"column": pl.col("column"), "value": pl.col("value")}
        position = pl.col("column").replace_strict(
            entity.column_names, range(len(entity.columns)), return_dtype=pl.Int32
        )
        parts.append(
            cells.select(
                pl.col(ROW_INDEX),
                (position + ORD_LOCAL_TIME).cast(pl.Int32).alias("ord"),
                pl.lit(rule_id).alias("rule"),
                pl.lit(rule.severity).alias("severity"),
                pl.col("column").alias("column_name"),
                pl.col("value").alias("value_seen"),
                rule.message.polars(**details).alias("message"),
                rule.fix.polars(**details).alias("fix"),
            )
        )
    return concat_failures(parts)


def currency_failures(
    entity: Entity, text: pl.DataFrame, typed: pl.DataFrame, formats: ValueFormats
) -> pl.DataFrame:
    """Amounts written with a currency mark that contradicts the row's currency.

    ``EUR 1,000.00`` in a row whose currency is USD would otherwise load as
    1000 USD: the number parses, the mark would be lost.
    """
    if "currency" not in entity.column_names:
        return concat_failures([])
    rule = catalogue_rule(CURRENCY_MISMATCH)
    parts = []
    rows = typed.select(ROW_INDEX, "currency")
    for position, column in enumerate(c.name for c in entity.columns if c.type == "decimal"):
        # Only cells with something besides digits and separators can carry a mark.
        cells = text.select(ROW_INDEX, column).filter(
            pl.col(column).str.contains(r"[^\d\s.,+\-()]")
        )
        if cells.height == 0:
            continue
        cells = cells.join(rows, on=ROW_INDEX, how="left")
        marks = currency_marks(cells[column], formats)
        bad = cells.with_columns(marks.alias("_codes")).filter(
            pl.col("_codes").is_not_null()
            & pl.col("currency").is_not_null()
            & ~pl.col("_codes").list.contains(pl.col("currency").str.to_uppercase())
        )
        details = {
            "column": column,
            "value": pl.col(column),
            "marks": pl.col("_codes").list.join("/"),
            "currency": pl.col("currency"),
        }
        parts.append(
            bad.select(
                pl.col(ROW_INDEX),
                pl.lit(ORD_CURRENCY + position, dtype=pl.Int32).alias("ord"),
                pl.lit(CURRENCY_MISMATCH).alias("rule"),
                pl.lit(rule.severity).alias("severity"),
                pl.lit(column).alias("column_name"),
                pl.col(column).alias("value_seen"),
                rule.message.polars(**details).alias("message"),
                rule.fix.polars(**details).alias("fix"),
            )
        )
    return concat_failures(parts)
