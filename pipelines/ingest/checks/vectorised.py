"""Run an entity's Great Expectations suite as polars expressions, batch by batch.

The suites under ``expectations/`` stay the one statement of the row rules;
this module executes them at the speed a nightly load of millions of rows
needs. GE's own pandas route costs about 16 s per million rows of orders
(see DECISIONS.md), so each expectation type below is translated to the
polars expression that marks its unexpected rows, with GE's semantics
(nulls ignored except by ``not_be_null``; the pair comparison skips rows as
``ignore_row_if`` says). ``tests/ingest/test_validation.py`` checks every supported
type against GE itself on the same rows. An expectation of any other type is
run by GE on the batch (:func:`pipelines.ingest.checks.run.validate_rows`), so a
suite edited by hand keeps working, only slower.

Uniqueness (``expect_column_values_to_be_unique``,
``expect_compound_columns_to_be_unique``) spans the whole file, not a batch:
it is returned as a :class:`FileCheck` and evaluated by the loader in SQL
over all the file's rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from pipelines.ingest.checks.suites import QUARANTINE, read_suite, source_column
from pipelines.ingest.values.parse import ROW_INDEX

#: Columns of a failures frame, in order (see :func:`row_failures`).
FAILURE_SCHEMA = {
    ROW_INDEX: pl.Int64,
    "ord": pl.Int32,
    "rule": pl.String,
    "severity": pl.String,
    "column_name": pl.String,
    "value_seen": pl.String,
    "message": pl.String,
    "fix": pl.String,
}

ROW_TYPES = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
)
FILE_TYPES = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite, with what a failure of it means for a row."""

    position: int  # place in the suite (failures of a row are reported in suite order)
    type: str
    kwargs: dict[str, Any]
    rule: str
    severity: str  # "quarantine" | "warn"
    message: str
    fix: str

    @property
    def columns(self) -> list[str]:
        if "column" in self.kwargs:
            return [self.kwargs["column"]]
        if "column_A" in self.kwargs:
            return [self.kwargs["column_A"], self.kwargs["column_B"]]
        return list(self.kwargs.get("column_list", []))

    @property
    def shown_columns(self) -> list[str]:
        """The contract columns a user is told (a derived date is its column's; other derived
        ``_...`` columns are not theirs)."""
        return [source_column(c) for c in self.columns if not source_column(c).startswith("_")]

    @property
    def shown_column(self) -> str | None:
        return ",".join(self.shown_columns) or None


@dataclass(frozen=True)
class CompiledSuite:
    row: list[Expectation]  # run here, as polars expressions
    file: list[Expectation]  # uniqueness over the whole file (the loader runs it in SQL)
    other: list[Expectation]  # types this module does not translate: GE runs them


def _severity(exp: dict[str, Any]) -> str:
    return "quarantine" if str(exp.get("severity", "")).lower() == QUARANTINE else "warn"


@lru_cache(maxsize=64)
def _compile(entity_name: str, suite_json: str) -> CompiledSuite:
    suite = json.loads(suite_json)
    row, file, other = [], [], []
    for position, exp in enumerate(suite["expectations"]):
        meta = exp.get("meta") or {}
        item = Expectation(
            position=position,
            type=exp["type"],
            kwargs=dict(exp.get("kwargs") or {}),
            rule=meta.get("rule", exp["type"]),
            severity=_severity(exp),
            message=meta.get("message", exp["type"]),
            fix=meta.get("fix", ""),
        )
        if item.type in ROW_TYPES:
            row.append(item)
        elif item.type in FILE_TYPES:
            file.append(item)
        else:
            other.append(item)
    return CompiledSuite(row, file, other)


def compile_suite(entity_name: str) -> CompiledSuite:
    """The entity's committed suite, sorted into what runs where."""
    return _compile(entity_name, json.dumps(read_suite(entity_name), sort_keys=True))


def unexpected(exp: Expectation) -> pl.Expr:
    """True where a row fails ``exp`` (GE's semantics for the type)."""
    kw = exp.kwargs
    if exp.type == "expect_column_values_to_not_be_null":
        return pl.col(kw["column"]).is_null()
    col = pl.col(kw.get("column") or kw.get("column_A"))
    present = col.is_not_null()
    if exp.type == "expect_column_values_to_be_in_set":
        return present & ~col.is_in(list(kw["value_set"]))
    if exp.type == "expect_column_values_to_match_regex":
        return present & ~col.cast(pl.String).str.contains(kw["regex"])
    if exp.type == "expect_column_values_to_be_between":
        low, high = kw.get("min_value"), kw.get("max_value")
        outside = pl.lit(False)
        if low is not None:
            outside = outside | ((col <= low) if kw.get("strict_min") else (col < low))
        if high is not None:
            outside = outside | ((col >= high) if kw.get("strict_max") else (col > high))
        return present & outside
    if exp.type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = pl.col(kw["column_A"]), pl.col(kw["column_B"])
        holds = (a >= b) if kw.get("or_equal") else (a > b)
        ignore = kw.get("ignore_row_if", "both_values_are_missing")
        skipped = {
            "either_value_is_missing": a.is_null() | b.is_null(),
            "both_values_are_missing": a.is_null() & b.is_null(),
        }.get(ignore, pl.lit(False))
        return ~skipped & ~holds.fill_null(False)
    raise ValueError(f"{exp.type} is not translated; GE runs it")


def shown_value(exp: Expectation, text_columns: set[str]) -> pl.Expr:
    """The failing value as the export wrote it (``A=x / B=y`` for a pair)."""
    seen = [c for c in exp.shown_columns if c in text_columns]
    if not seen:
        return pl.lit(None, dtype=pl.String)
    if len(seen) == 1:
        return pl.col(f"_text_{seen[0]}")
    return pl.concat_str(
        [pl.concat_str([pl.lit(f"{c}="), pl.col(f"_text_{c}").fill_null("None")]) for c in seen],
        separator=" / ",
    )


def row_failures(
    typed: pl.DataFrame, text: pl.DataFrame, checks: list[Expectation]
) -> tuple[pl.DataFrame, dict[int, int]]:
    """Failures of ``checks`` on a batch, and the unexpected count per expectation position.

    ``typed`` holds the parsed columns (and derived ones) with ``_row_index``;
    ``text`` the same rows as exported, quoted back in ``value_seen``.
    """
    text_columns = set(text.columns) - {ROW_INDEX}
    frame = typed.join(
        text.select(ROW_INDEX, *(pl.col(c).alias(f"_text_{c}") for c in text_columns)),
        on=ROW_INDEX,
        how="left",
    )
    masks = frame.select(
        pl.col(ROW_INDEX), *(unexpected(e).alias(f"_x{e.position}") for e in checks)
    )
    counts = {e.position: int(masks[f"_x{e.position}"].sum()) for e in checks}
    parts = []
    for e in checks:
        if not counts[e.position]:
            continue
        parts.append(
            frame.filter(masks[f"_x{e.position}"]).select(
                pl.col(ROW_INDEX).cast(pl.Int64),
                pl.lit(e.position, dtype=pl.Int32).alias("ord"),
                pl.lit(e.rule).alias("rule"),
                pl.lit(e.severity).alias("severity"),
                pl.lit(e.shown_column, dtype=pl.String).alias("column_name"),
                shown_value(e, text_columns).cast(pl.String).alias("value_seen"),
                pl.lit(e.message).alias("message"),
                pl.lit(e.fix).alias("fix"),
            )
        )
    return concat_failures(parts), counts


def concat_failures(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema=FAILURE_SCHEMA)
    return pl.concat([p.select(list(FAILURE_SCHEMA)).cast(FAILURE_SCHEMA) for p in parts])
