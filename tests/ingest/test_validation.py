"""The suites' polars translation flags exactly the rows Great Expectations flags.

Every entity's committed suite runs twice over the same rows: through GE's
pandas datasource (the reference) and through
:mod:`pipelines.ingest.checks.vectorised` (what the loader runs). The rows are
generated from the contract with good and bad values of every kind (nulls,
values outside allowed sets, negatives, scores out of range, malformed
emails, phones and periods, timestamps out of order), so every translated
expectation type meets both outcomes.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from pipelines.core.contract import ENTITIES, ENTITY_BY_NAME, Entity
from pipelines.ingest.checks import suites
from pipelines.ingest.checks.run import validate_rows
from pipelines.ingest.checks.vectorised import ROW_TYPES, compile_suite, row_failures
from pipelines.ingest.load.rows import check_rows, derive_columns
from pipelines.ingest.values.parse import ROW_INDEX

ROWS = 400

TEXT_POOL = [
    None,
    "Acme Ltd",
    "ann@example.com",
    "ann.example.com",
    "ann@@example",
    "13800138000",
    "+86 138 0013 8000",
    "12345",
    "2026Q3",
    "2026-07",
    "2026",
    "2026-13",
    "Q3 2026",
    "CNY",
    "USD",
    "XXX",
    "cny",
    "R001",
]


def _value(column, rng: random.Random):
    if rng.random() < 0.12:
        return None
    if column.allowed:
        return rng.choice([*column.allowed, "bogus", column.allowed[0].upper()])
    if column.type in ("id", "text"):
        return rng.choice(TEXT_POOL[1:])
    if column.type == "decimal":
        return Decimal(rng.randint(-500, 50_000)) / 100
    if column.type == "rate":
        return Decimal(rng.randint(-500, 50_000)) / 10**15
    if column.type == "int":
        return rng.randint(-20, 140)
    if column.type == "bool":
        return rng.random() < 0.5
    if column.type == "date":
        return date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
    if column.type == "timestamp":
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 6000))
    raise AssertionError(column.type)


DTYPES = {
    "id": pl.String,
    "text": pl.String,
    "decimal": pl.Decimal(18, 2),
    "rate": pl.Decimal(38, 18),
    "int": pl.Int64,
    "bool": pl.Boolean,
    "date": pl.Date,
    "timestamp": pl.Datetime("us", "UTC"),
}


def _rows(entity: Entity, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = random.Random(seed)
    data = {c.name: [_value(c, rng) for _ in range(ROWS)] for c in entity.columns}
    typed = pl.DataFrame(
        {ROW_INDEX: list(range(2, ROWS + 2)), **data},
        schema={ROW_INDEX: pl.Int64, **{c.name: DTYPES[c.type] for c in entity.columns}},
    )
    text = typed.select(
        ROW_INDEX,
        *(
            pl.col(c.name).cast(pl.String)
            if c.type != "timestamp"
            else pl.col(c.name).dt.strftime("%Y-%m-%d %H:%M:%S")
            for c in entity.columns
        ),
    )
    return derive_columns(typed, entity, "Asia/Shanghai"), text


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_polars_translation_flags_what_ge_flags(entity: Entity) -> None:
    suite = compile_suite(entity.name)
    assert not suite.other, "every shipped expectation type has a polars translation"
    typed, text = _rows(entity, seed=len(entity.name))
    positions = [e.position for e in suite.row]

    ge_failures, ge_outcomes = validate_rows(entity.name, typed, shown=text, positions=positions)
    ours, counts = row_failures(typed, text, suite.row)

    expected = {
        (f.row_index, f.position, f.rule, f.severity, f.column, f.value) for f in ge_failures
    }
    got = set(
        ours.select(ROW_INDEX, "ord", "rule", "severity", "column_name", "value_seen").iter_rows()
    )
    assert got == expected
    assert counts == {p: o.unexpected_count for p, o in zip(positions, ge_outcomes, strict=True)}
    # The generated rows make every translated type both pass and fail somewhere.
    flagged_types = {e.type for e in suite.row if counts[e.position]}
    assert flagged_types == {e.type for e in suite.row} & set(ROW_TYPES)


def test_an_expectation_type_without_translation_is_run_by_ge(tmp_path, monkeypatch) -> None:
    """A suite edited by hand with another GE type still applies, through GE."""
    suite = suites.build_suite(ENTITY_BY_NAME["products"])
    suite["expectations"].append(
        {
            "type": "expect_column_value_lengths_to_be_between",
            "kwargs": {"column": "product_name", "max_value": 5},
            "meta": {"rule": "name_too_long", "message": "name is too long", "fix": "shorten"},
            "severity": "warning",
        }
    )
    (tmp_path / "products.json").write_text(json.dumps(suite))
    monkeypatch.setattr(suites.read_suite, "__defaults__", (tmp_path,), raising=False)
    compiled = compile_suite("products")
    assert [e.type for e in compiled.other] == ["expect_column_value_lengths_to_be_between"]
    typed, text = _rows(ENTITY_BY_NAME["products"], seed=7)
    failures, _ = check_rows(
        ENTITY_BY_NAME["products"], compiled, typed, text, timezone="Asia/Shanghai"
    )
    long_names = set(text.filter(pl.col("product_name").str.len_chars() > 5)[ROW_INDEX].to_list())
    flagged = set(failures.filter(pl.col("rule") == "name_too_long")[ROW_INDEX].to_list())
    assert long_names and flagged == long_names
