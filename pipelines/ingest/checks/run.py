"""Run an entity's Great Expectations suite over a batch of parsed rows.

GE validates a pandas batch (GE's SQL datasource cannot read DuckDB reliably;
see DECISIONS.md). The frame's index is the export's row number, so every
failing row is reported by the row number a user sees in the file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd
import polars as pl

from pipelines.core.errors import SalesOpsError
from pipelines.ingest.checks.suites import QUARANTINE, read_suite, source_column
from pipelines.ingest.values.parse import ROW_INDEX

#: Key added to each expectation's meta while GE runs it: its place in the suite.
POSITION = "salesops_position"


@dataclass(frozen=True)
class RowFailure:
    row_index: int
    rule: str
    severity: str  # "quarantine" | "warn"
    column: str | None
    value: str | None
    message: str
    fix: str
    position: int | None = None  # the expectation's place in the suite


@dataclass(frozen=True)
class ExpectationOutcome:
    rule: str
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int


def _gx():
    """Great Expectations, imported on first use: the suites normally run as polars
    expressions (checks/vectorised.py), and GE's import takes seconds. Its usage analytics are
    switched off first (no network here)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations

    return great_expectations


@lru_cache(maxsize=1)
def _context():
    gx = _gx()

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False}
    source = ctx.data_sources.add_pandas("salesops_batches")
    asset = source.add_dataframe_asset("export_rows")
    return ctx, asset.add_batch_definition_whole_dataframe("whole_frame")


def _suite(entity_name: str, suite_dict: dict[str, Any]):
    gx = _gx()

    return gx.ExpectationSuite(
        name=suite_dict.get("name", entity_name),
        expectations=[
            {k: v for k, v in exp.items() if k in ("type", "kwargs", "meta", "severity")}
            for exp in suite_dict["expectations"]
        ],
        meta=suite_dict.get("meta"),
    )


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return list(kwargs.get("column_list", []))


def _display(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _severity(cfg) -> str:
    raw = getattr(cfg.severity, "value", cfg.severity)
    return "quarantine" if str(raw).lower() == QUARANTINE else "warn"


def validate_rows(
    entity_name: str,
    rows: pl.DataFrame,
    shown: pl.DataFrame | None = None,
    positions: list[int] | None = None,
) -> tuple[list[RowFailure], list[ExpectationOutcome]]:
    """Validate ``rows`` (typed, with ``_row_index``) against the entity's suite with GE.

    ``shown`` (same rows, as the export's text) supplies the value quoted back
    to the user; ``positions`` limits the run to those expectations of the
    suite. Returns one failure per (row, expectation) and one outcome per
    expectation. The loader runs the suite's common types as polars
    expressions instead (:mod:`pipelines.ingest.checks.vectorised`); GE runs the
    rest, and is the reference those expressions are tested against.
    """
    suite_dict = read_suite(entity_name)
    order = list(range(len(suite_dict["expectations"]))) if positions is None else list(positions)
    # GE reports results in its own order; the position in meta ties each back to the suite.
    suite_dict = {
        **suite_dict,
        "expectations": [
            {**exp, "meta": {**(exp.get("meta") or {}), POSITION: i}}
            for i, exp in enumerate(suite_dict["expectations"])
            if i in order
        ],
    }
    if rows.height == 0 or not order:
        return [], []
    frame = rows.to_pandas().set_index(ROW_INDEX, drop=False)
    text = frame if shown is None else shown.to_pandas().set_index(ROW_INDEX, drop=False)
    _, batch_definition = _context()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        _suite(entity_name, suite_dict),
        result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
    )
    failures: list[RowFailure] = []
    outcomes: list[ExpectationOutcome] = []
    for res in sorted(result.results, key=lambda r: r.expectation_config.meta[POSITION]):
        cfg = res.expectation_config
        meta = cfg.meta or {}
        position = meta[POSITION]
        rule = meta.get("rule", cfg.type)
        columns = _columns_of(cfg.kwargs)
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise SalesOpsError(
                f"expectation {cfg.type} on {entity_name}.{','.join(columns)} could not run: "
                f"{res.exception_info.get('exception_message')}",
                f"check expectations/{entity_name}.json names existing columns and valid arguments",
            )
        index = res.result.get("unexpected_index_list") or []
        outcomes.append(
            ExpectationOutcome(rule, cfg.type, ",".join(columns) or None, res.success, len(index))
        )
        severity = _severity(cfg)
        for row_index in index:
            row_index = int(row_index[ROW_INDEX] if isinstance(row_index, dict) else row_index)
            shown = [source_column(c) for c in columns if not source_column(c).startswith("_")]
            seen = [c for c in shown if c in text]
            if len(seen) > 1:
                value = " / ".join(f"{c}={_display(text.at[row_index, c])}" for c in seen)
            else:
                value = _display(text.at[row_index, seen[0]]) if seen else None
            failures.append(
                RowFailure(
                    row_index=row_index,
                    rule=rule,
                    severity=severity,
                    column=",".join(shown) or None,
                    value=value,
                    message=meta.get("message", cfg.type),
                    fix=meta.get("fix", ""),
                    position=position,
                )
            )
    return failures, outcomes
