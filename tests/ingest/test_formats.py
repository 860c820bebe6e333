"""Typed-value parsing of a whole frame (pipelines/ingest/values/parse.py): types, nulls,
per-column formats, failures in order, millions of rows, and the plain fast path.

Each type's spellings are tested beside its reader: test_moments.py, test_numbers.py.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from pipelines.core.contract import DECIMAL_SCALE, Column, Entity, entity
from pipelines.ingest.values.parse import (
    ROW_INDEX,
    ValueFormats,
    expected_format,
    normalise_text,
    parse_frame,
)
from pipelines.ingest.values.readers import DTYPES, parse_values, plain_reader
from tests.ingest.support import (
    DMY,
    MDY,
    NY,
    REPEAT,
    SH,
    YMD,
    local,
)

# ---------------------------------------------------------------------------
# The frame as a whole


def test_output_types_and_nulls():
    e = Entity(
        "t",
        (
            Column("d", "date"),
            Column("ts", "timestamp"),
            Column("amt", "decimal"),
            Column("n", "int"),
            Column("b", "bool"),
            Column("name", "text"),
        ),
        key=("d",),
    )
    text = pl.DataFrame(
        {
            ROW_INDEX: [2, 3],
            "d": ["2026-03-01", None],
            "ts": ["2026-03-01 09:30", None],
            "amt": ["1.5", None],
            "n": ["3", None],
            "b": ["y", None],
            "name": ["１２３ Ｌｔｄ", None],
        },
        schema_overrides={ROW_INDEX: pl.Int64},
    )
    typed, failures = parse_frame(text, e, ValueFormats())
    assert failures == []
    assert typed.schema == pl.Schema(
        {
            ROW_INDEX: pl.Int64,
            "d": pl.Date,
            "ts": pl.Datetime("us", "UTC"),
            "amt": pl.Decimal(18, DECIMAL_SCALE),
            "n": pl.Int64,
            "b": pl.Boolean,
            "name": pl.String,
        }
    )
    assert typed.row(1) == (3, None, None, None, None, None, None)
    assert typed["name"][0] == "１２３ Ｌｔｄ"  # text is kept as written


def test_allowed_set_columns_are_lower_cased_and_ids_kept():
    e = entity("opportunity_stage_history")
    text = pl.DataFrame(
        {
            ROW_INDEX: [2],
            "opportunity_id": ["Op-1"],
            "stage": ["Won"],
            "entered_at": ["2026/3/1 9:30"],
        },
        schema_overrides={ROW_INDEX: pl.Int64},
    )
    typed, failures = parse_frame(text, e, SH)
    assert failures == []
    assert typed.row(0) == (2, "Op-1", "won", local(SH, 2026, 3, 1, 9, 30))


def test_column_formats_override_per_column_and_a_zone_string_still_works():
    e = Entity("t", (Column("a", "date"), Column("b", "date"), Column("ts", "timestamp")), ("a",))
    text = pl.DataFrame(
        {
            ROW_INDEX: [2, 3],
            "a": ["3/1/2026", "12/31/2026"],
            "b": ["3/1/2026", "12/31/2026"],
            "ts": ["2026-03-01 09:30", "2026-03-01 09:30+00:00"],
        },
        schema_overrides={ROW_INDEX: pl.Int64},
    )
    typed, failures = parse_frame(text, e, NY, {"a": MDY, "b": DMY})
    assert typed["a"].to_list() == [date(2026, 3, 1), date(2026, 12, 31)]
    assert typed["b"].to_list() == [date(2026, 1, 3), None]
    assert typed["ts"].to_list() == [
        local(NY, 2026, 3, 1, 9, 30),
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    ]
    assert [(f.row_index, f.column, f.value) for f in failures] == [(3, "b", "12/31/2026")]
    assert "day/month/year" in failures[0].expected
    with pytest.raises(ValueError, match="not columns"):
        parse_frame(text, e, SH, {"nope": MDY})


def test_failures_are_listed_by_column_then_row():
    e = Entity("t", (Column("amt", "decimal"), Column("d", "date")), ("amt",))
    text = pl.DataFrame(
        {ROW_INDEX: [2, 3, 4], "amt": ["x", "1", "y"], "d": ["bad", "2026-03-01", "worse"]},
        schema_overrides={ROW_INDEX: pl.Int64},
    )
    _, failures = parse_frame(normalise_text(text), e, YMD)
    assert [(f.column, f.row_index, f.value) for f in failures] == [
        ("amt", 2, "x"),
        ("amt", 4, "y"),
        ("d", 2, "bad"),
        ("d", 4, "worse"),
    ]
    assert failures[0].expected == expected_format("decimal", YMD)


def test_formats_are_checked_when_made():
    with pytest.raises(ValueError, match="timezone"):
        ValueFormats(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="both a true and a false"):
        ValueFormats(true_values=("y", "1"), false_values=("Y",))
    with pytest.raises(ValueError, match="%Z"):
        ValueFormats(date_formats=("%Y-%m-%d %H:%M %Z",))
    with pytest.raises(ValueError, match="date_order"):
        ValueFormats(date_order="YDM")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Millions of rows: the vectorised path gives the same answers


def test_a_large_frame_reports_every_unreadable_cell():
    e = Entity(
        "t",
        (Column("ts", "timestamp"), Column("amt", "decimal"), Column("n", "int")),
        ("ts",),
    )
    block = {
        "ts": ["2026-03-01 09:30", "2026年3月1日 下午2:30", "45352.5", "2026-02-30", "x"],
        "amt": ["1,234.50", "¥1.2万", "(5)", "1.1234567", "1234.5"],
        "n": ["30", "1,000", "x", "30.5", "(5)"],
    }
    text = pl.DataFrame({k: v * REPEAT for k, v in block.items()}).with_row_index(ROW_INDEX)
    text = text.with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    start = time.perf_counter()
    typed, failures = parse_frame(text, e, YMD)
    print(f"parse_frame x{text.height:,} rows: {time.perf_counter() - start:.2f}s")
    assert typed.height == text.height
    assert typed[ROW_INDEX].to_list() == text[ROW_INDEX].to_list()
    assert len(failures) == 5 * REPEAT
    assert typed["amt"][REPEAT * 5 - 4] == Decimal("12000")
    assert {(f.column, f.value) for f in failures} == {
        ("ts", "2026-02-30"),
        ("ts", "x"),
        ("amt", "1.1234567"),
        ("n", "x"),
        ("n", "30.5"),
    }


# --------------------------------------------------------------- plain fast path

PLAIN_SAMPLES = {
    # Printable ASCII is read as it is; full-width forms, invisible and control characters,
    # NUL (unreadable) and letters outside ASCII go through the full reader.
    "id": [
        "ACC-00001",
        "O0000000042",
        "a b",
        " padded ",
        "~!{}",
        "\uff21\uff23\uff23-00001",
        "A\u200bB",
        "\ufeffACC-1",
        "x\x7f",
        "tab\there",
        "a\x00b",
        "\u200b",
        "Zürich-7",
        "客户-01",
    ],
    "date": [
        "2026-03-01",
        "2026-02-29",
        "2024-02-29",
        "2026-3-1",
        "2026-13-01",
        "0999-01-01",
        "2026-03-01 10:00:00",
        "20260301",
        "2026/03/01",
        "46000",
    ],
    "timestamp": [
        "2026-03-01 09:30:00",
        "2026-03-29 02:30:00",
        "2026-10-25 02:30:00",
        "2026-03-01 24:00:00",
        "2026-03-01 09:30:60",
        "2026-03-01 09:60:00",
        "2026-03-01T09:30:00",
        "2026-03-01 09:30",
        "2026-03-01 09:30:00+02:00",
        "2026-02-30 10:00:00",
        "2026-03-01",
    ],
    "decimal": [
        "1234.5",
        "-0.01",
        "0",
        "1234567890123456",
        "12345678901234567",
        "1.234",
        "1,234.50",
        "+5",
        "-",
        ".5",
        "5.",
        "00012.30",
        "1e3",
    ],
    "int": ["42", "-7", "007", "999999999999999999", "9999999999999999999", "4.0", "1,000", "+3"],
}


@pytest.mark.parametrize("type_", sorted(PLAIN_SAMPLES))
@pytest.mark.parametrize("tz", [SH, "Europe/Berlin"])
def test_the_plain_fast_path_reads_what_the_full_reader_reads(type_: str, tz: str) -> None:
    """Where the fast reader gives a value it is the full reader's value; elsewhere it defers."""
    formats = ValueFormats(timezone=tz)
    values = pl.Series("v", PLAIN_SAMPLES[type_], dtype=pl.String)
    full = parse_values(values, type_, formats)
    fast = values.to_frame().select(plain_reader("v", type_, formats))["v"].cast(DTYPES[type_])
    assert fast.null_count() < len(values), "the fast path reads some samples"
    for seen, quick, slow in zip(values, fast, full, strict=True):
        if quick is not None:
            assert quick == slow, seen
    # And parse_frame, which combines both, equals the full reader on every sample.
    ent = Entity("t", (Column("v", type_, required=False),), key=("v",))
    typed, _ = parse_frame(values.to_frame().with_row_index(ROW_INDEX), ent, formats)
    assert typed["v"].to_list() == full.to_list()
