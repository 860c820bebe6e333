"""Typed-value parsing of real exports' formats: exact values or a named failure.

Every expected value is computed independently with Python's datetime, zoneinfo
and decimal modules, never with the code under test.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pipelines.core.contract import DECIMAL_SCALE, Column, Entity, entity
from pipelines.ingest.values.parse import (
    ROW_INDEX,
    ParseFailure,
    ValueFormats,
    expected_format,
    normalise_text,
    parse_frame,
)
from pipelines.ingest.values.readers import DTYPES, parse_values, plain_reader

SH = "Asia/Shanghai"
EXCEL_DAY0 = date(1899, 12, 30)
ORDER_WORDS = {"YMD": "year/month/day", "MDY": "month/day/year", "DMY": "day/month/year"}


def local(tz: str, *args: int) -> datetime:
    """The UTC instant of a wall-clock time in ``tz``."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def excel(serial: str, tz: str = SH) -> datetime:
    """Excel 1900-system serial -> UTC instant, the fraction rounded to the second."""
    whole, _, frac = serial.partition(".")
    seconds = (Decimal("0." + (frac or "0")) * 86400).quantize(Decimal(1))
    wall = datetime.combine(EXCEL_DAY0 + timedelta(days=int(whole)), datetime.min.time())
    wall += timedelta(seconds=int(seconds))
    return wall.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def parse(type_: str, values: list[str | None], formats: ValueFormats | str = SH):
    """Parse one column of ``type_`` through parse_frame: (typed values, failures)."""
    e = Entity("t", (Column("v", type_),), key=("v",))
    text = (
        pl.DataFrame({"v": values}, schema={"v": pl.String})
        .with_row_index(ROW_INDEX, offset=2)
        .with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    )
    typed, failures = parse_frame(text, e, formats)
    return typed["v"].to_list(), failures


def assert_fails(type_: str, value: str, formats: ValueFormats) -> ParseFailure:
    typed, failures = parse(type_, ["", value], formats)
    assert typed == [None, None]
    assert len(failures) == 1, failures
    f = failures[0]
    assert (f.row_index, f.column, f.value) == (3, "v", value)
    assert f.expected == expected_format(type_, formats)
    assert value in f.message and "v: cannot read" in f.message
    return f


# ---------------------------------------------------------------------------
# Dates

YMD, MDY, DMY = ValueFormats(), ValueFormats(date_order="MDY"), ValueFormats(date_order="DMY")

DATES = [
    ("2026-03-01", YMD, date(2026, 3, 1)),
    ("2026/3/1", YMD, date(2026, 3, 1)),
    ("2026-3-1", YMD, date(2026, 3, 1)),
    ("2026.3.1", YMD, date(2026, 3, 1)),
    ("2026/03/01", MDY, date(2026, 3, 1)),  # year first is unambiguous under any order
    ("2026年3月1日", YMD, date(2026, 3, 1)),
    ("2026年3月1号", YMD, date(2026, 3, 1)),
    ("2026 年 3 月 1 日", YMD, date(2026, 3, 1)),
    ("２０２６／３／１", YMD, date(2026, 3, 1)),
    ("２０２６年３月１日", YMD, date(2026, 3, 1)),
    ("3/1/2026", MDY, date(2026, 3, 1)),
    ("03/01/2026", MDY, date(2026, 3, 1)),
    ("12/31/2026", MDY, date(2026, 12, 31)),
    ("3/1/2026", DMY, date(2026, 1, 3)),
    ("1.3.2026", DMY, date(2026, 3, 1)),
    ("01-03-2026", DMY, date(2026, 3, 1)),
    ("31/12/2026", DMY, date(2026, 12, 31)),
    ("2024-02-29", YMD, date(2024, 2, 29)),
    ("45352", YMD, EXCEL_DAY0 + timedelta(days=45352)),
    ("45352.75", YMD, EXCEL_DAY0 + timedelta(days=45352)),
    ("18264", YMD, date(1950, 1, 1)),  # first serial read
    ("73050", YMD, date(2099, 12, 31)),  # last serial read
    ("2026-03-01 00:00:00", YMD, date(2026, 3, 1)),
    ("2026-03-01 23:59:59", YMD, date(2026, 3, 1)),
    ("2026-03-01T10:00", YMD, date(2026, 3, 1)),
    ("3/1/2026 9:30 PM", MDY, date(2026, 3, 1)),
    # a zoned timestamp reads as its date in the configured zone
    (
        "2026-03-01T20:00:00Z",
        YMD,
        datetime(2026, 3, 1, 20, tzinfo=UTC).astimezone(ZoneInfo(SH)).date(),
    ),
    ("2026-03-01T20:00:00Z", ValueFormats(timezone="UTC"), date(2026, 3, 1)),
    # configured patterns are tried first, before the built-in order
    ("01/03/2026", ValueFormats(date_order="MDY", date_formats=("%d/%m/%Y",)), date(2026, 3, 1)),
    ("01-Mar-26", ValueFormats(date_formats=("%d-%b-%y",)), date(2026, 3, 1)),
    ("20260301", ValueFormats(date_formats=("%Y%m%d",)), date(2026, 3, 1)),
]


@pytest.mark.parametrize(("value", "formats", "expected"), DATES)
def test_dates_are_read(value, formats, expected):
    typed, failures = parse("date", [value], formats)
    assert failures == []
    assert typed == [expected]


DATE_FAILURES = [
    ("3/1/2026", YMD),  # day/month order not configured: ambiguous
    ("25/12/2026", YMD),  # even when it could be guessed
    ("13/1/2026", MDY),  # month 13
    ("2/30/2026", MDY),
    ("2026-02-30", YMD),
    ("2025-02-29", YMD),
    ("2026-13-01", YMD),
    ("2026-00-10", YMD),
    ("3/1/26", MDY),  # two-digit year
    ("26-3-1", YMD),
    ("2026/3/1/5", YMD),
    ("3/1/20265", MDY),
    ("2026-3/1", YMD),  # mixed separators
    ("2026-03-019:30", YMD),
    ("2026-03-01 25:00", YMD),
    ("2026年13月1日", YMD),
    ("60", YMD),  # Excel's phantom 1900-02-29 and earlier: refused
    ("2026", YMD),  # a year, not serial 2026 (1905-07-18): outside business dates, refused
    ("18263", YMD),  # 1949-12-31
    ("0", YMD),
    ("2958466", YMD),
    ("73051", YMD),  # 2100-01-01
    ("45352", ValueFormats(excel_serial_dates=False)),
    ("-45352", YMD),
    ("45,352", YMD),
    ("next monday", YMD),
    ("01.03.2026", YMD),
]


@pytest.mark.parametrize(("value", "formats"), DATE_FAILURES)
def test_dates_that_cannot_be_read_fail_naming_the_order(value, formats):
    f = assert_fails("date", value, formats)
    assert ORDER_WORDS[formats.date_order] in f.expected


def test_date_expected_format_mentions_order_and_examples():
    assert "3/1/2026 (month/day/year" in expected_format("date", MDY)
    assert "1/3/2026 (day/month/year" in expected_format("date", DMY)
    ymd = expected_format("date", YMD)
    assert "2026-03-01" in ymd and "year/month/day" in ymd and "45352" in ymd
    assert "%d-%b-%y" in expected_format("date", ValueFormats(date_formats=("%d-%b-%y",)))
    assert "Excel" not in expected_format("date", ValueFormats(excel_serial_dates=False))


# ---------------------------------------------------------------------------
# Timestamps

NY = "America/New_York"

TIMESTAMPS = [
    ("2026-03-01", YMD, local(SH, 2026, 3, 1)),
    ("2026-03-01 09:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026-03-01 09:30:00", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026-03-01 9:05:07", YMD, local(SH, 2026, 3, 1, 9, 5, 7)),
    ("2026-03-01 09:30:00.123", YMD, local(SH, 2026, 3, 1, 9, 30, 0, 123000)),
    ("2026-03-01 09:30:00.123456", YMD, local(SH, 2026, 3, 1, 9, 30, 0, 123456)),
    ("2026-03-01 09:30:00.1234560", YMD, local(SH, 2026, 3, 1, 9, 30, 0, 123456)),
    ("2026-03-01T09:30:00", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026-03-01T09:30:00Z", YMD, datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ("2026-03-01T09:30:00.0000000Z", YMD, datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ("2026-03-01T09:30:00+08:00", YMD, datetime(2026, 3, 1, 1, 30, tzinfo=UTC)),
    ("2026-03-01 09:30:00+0800", YMD, datetime(2026, 3, 1, 1, 30, tzinfo=UTC)),
    ("2026-03-01 09:30:00 -05:00", YMD, datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
    ("2026-03-01 09:30 +05:30", YMD, datetime(2026, 3, 1, 4, 0, tzinfo=UTC)),
    ("2026-03-01 09:30 UTC", YMD, datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ("2026-03-01 09:30 UTC+8", YMD, datetime(2026, 3, 1, 1, 30, tzinfo=UTC)),
    ("2026/3/1 9:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026.3.1 9:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026年3月1日 9:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026年3月1日9:30:15", YMD, local(SH, 2026, 3, 1, 9, 30, 15)),
    ("2026年3月1日 下午2:30", YMD, local(SH, 2026, 3, 1, 14, 30)),
    ("2026/3/1 上午 9:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026/3/1 上午12:10", YMD, local(SH, 2026, 3, 1, 0, 10)),
    ("2026/3/1 下午12:10", YMD, local(SH, 2026, 3, 1, 12, 10)),
    ("２０２６－０３－０１　０９：３０", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("2026-03-01 9:30 PM", YMD, local(SH, 2026, 3, 1, 21, 30)),
    ("3/1/2026 9:30 PM", MDY, local(SH, 2026, 3, 1, 21, 30)),
    ("3/1/2026, 9:30 PM", MDY, local(SH, 2026, 3, 1, 21, 30)),  # Salesforce Lightning
    ("2026-03-01, 09:30", YMD, local(SH, 2026, 3, 1, 9, 30)),
    ("3/1/2026 9:30 pm", MDY, local(SH, 2026, 3, 1, 21, 30)),
    ("3/1/2026 9:30 p.m.", MDY, local(SH, 2026, 3, 1, 21, 30)),
    ("3/1/2026 12:00 AM", MDY, local(SH, 2026, 3, 1, 0, 0)),
    ("3/1/2026 12:00 PM", MDY, local(SH, 2026, 3, 1, 12, 0)),
    ("3/1/2026 9:30:10 AM", MDY, local(SH, 2026, 3, 1, 9, 30, 10)),
    ("01.03.2026 21:30", DMY, local(SH, 2026, 3, 1, 21, 30)),
    ("3/1/2026", MDY, local(SH, 2026, 3, 1)),
    ("45352", YMD, excel("45352")),
    ("45352.395833333", YMD, excel("45352.395833333")),
    ("45352.5", ValueFormats(timezone=NY), excel("45352.5", NY)),
    ("2026-03-01 09:30", ValueFormats(timezone=NY), local(NY, 2026, 3, 1, 9, 30)),
    ("2026-07-01 09:30", ValueFormats(timezone=NY), local(NY, 2026, 7, 1, 9, 30)),
    # DST fold (01:30 happens twice in New York): the earlier instant, as before
    ("2026-11-01 01:30", ValueFormats(timezone=NY), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    (
        "01/03/2026 09:30",
        ValueFormats(date_order="MDY", date_formats=("%d/%m/%Y %H:%M",)),
        local(SH, 2026, 3, 1, 9, 30),
    ),
    (
        "1 Mar 2026 09:30 +0000",
        ValueFormats(date_formats=("%d %b %Y %H:%M %z",)),
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(("value", "formats", "expected"), TIMESTAMPS)
def test_timestamps_are_read_as_instants(value, formats, expected):
    typed, failures = parse("timestamp", [value], formats)
    assert failures == []
    assert typed == [expected]


TIMESTAMP_FAILURES = [
    ("3/1/2026 9:30", YMD),
    ("2026-03-01 24:00", YMD),
    ("2026-03-01 09:60", YMD),
    ("2026-03-01 09:30:60", YMD),
    ("2026-03-01 13:30 PM", YMD),
    ("2026-03-01 0:30 AM", YMD),
    ("2026-03-01 下午 9:30 PM", YMD),
    ("2026-03-01 09:30:00.1234567", YMD),  # would need rounding
    ("2026-03-01 09:30+15:00", YMD),
    ("2026-03-01 09:30+08:75", YMD),
    ("2026-03-01 09:30+800", YMD),
    ("2026-02-30 09:30", YMD),
    ("2026-03-01 9", YMD),
    ("2026-03-01 09:30 tomorrow", YMD),
    ("2026-03-01 09.30", YMD),
    ("13/1/2026 9:30", MDY),
    ("3/1/26 9:30", MDY),
    # DST gap: 02:30 does not exist in New York that night
    ("2026-03-08 02:30", ValueFormats(timezone=NY)),
]


@pytest.mark.parametrize(("value", "formats"), TIMESTAMP_FAILURES)
def test_timestamps_that_cannot_be_read_fail(value, formats):
    f = assert_fails("timestamp", value, formats)
    assert ORDER_WORDS[formats.date_order] in f.expected
    assert formats.timezone in f.expected


# ---------------------------------------------------------------------------
# Amounts

EURO = ValueFormats(decimal_mark=",")
D = Decimal

DECIMALS = [
    ("1234.50", YMD, D("1234.50")),
    ("1,234.50", YMD, D("1234.50")),
    ("1,234,567.891", YMD, D("1234567.891")),
    ("¥1,234.50", YMD, D("1234.50")),
    ("￥1234.5", YMD, D("1234.5")),
    ("$1,234.50", YMD, D("1234.50")),
    ("US$1,234.50", YMD, D("1234.50")),
    ("USD 1,234.50", YMD, D("1234.50")),
    ("1,234.50 CNY", YMD, D("1234.50")),
    ("1,234.50元", YMD, D("1234.50")),
    ("RMB 100", YMD, D("100")),
    ("€1.234,50", EURO, D("1234.50")),
    ("1.234,50 €", EURO, D("1234.50")),
    ("1 234,50", EURO, D("1234.50")),
    ("1.234", EURO, D("1234")),
    ("1,5", EURO, D("1.5")),
    ("1 234.50", YMD, D("1234.50")),
    ("1.2万", YMD, D("1.2") * 10**4),
    ("1.2万元", YMD, D("1.2") * 10**4),
    ("3亿", YMD, D(3) * 10**8),
    ("1.5千", YMD, D("1.5") * 10**3),
    ("1.2345678万", YMD, D("1.2345678") * 10**4),
    ("0.000001亿", YMD, D("0.000001") * 10**8),
    ("12.34567891万", YMD, D("12.34567891") * 10**4),
    ("0.000000001亿", YMD, D("0.000000001") * 10**8),
    ("0.00000000000001亿", YMD, D("0.00000000000001") * 10**8),
    ("1,2万", EURO, D("1.2") * 10**4),
    ("(1,234.00)", YMD, D("-1234.00")),
    ("(¥1,234.00)", YMD, D("-1234.00")),
    ("-1,234.00", YMD, D("-1234.00")),
    ("-¥1,234.00", YMD, D("-1234.00")),
    ("¥-1,234.00", YMD, D("-1234.00")),
    ("+5", YMD, D(5)),
    ("１，２３４．５０", YMD, D("1234.50")),
    ("－５", YMD, D(-5)),
    ("0.5", YMD, D("0.5")),
    (".5", YMD, D("0.5")),
    ("007", YMD, D(7)),
    ("1.123456", YMD, D("1.123456")),
    ("1.1234560000", YMD, D("1.123456")),  # extra places that are zeros lose nothing
    ("999999999999.999999", YMD, D("999999999999.999999")),
    ("-999999999999.999999", YMD, D("-999999999999.999999")),
    ("0", YMD, D(0)),
    ("-0", YMD, D(0)),
]


@pytest.mark.parametrize(("value", "formats", "expected"), DECIMALS)
def test_amounts_are_read_exactly(value, formats, expected):
    typed, failures = parse("decimal", [value], formats)
    assert failures == []
    assert typed == [expected]
    # exact to the last place kept: the same digits, not merely an equal float
    assert str(typed[0]) == str(expected.quantize(Decimal(10) ** -DECIMAL_SCALE))


DECIMAL_FAILURES = [
    ("1,23,4", YMD),
    ("1,2345.00", YMD),
    ("12,34.5", YMD),
    (",123", YMD),
    ("1.234,50", YMD),  # European amount while '.' is the decimal mark
    ("1,234.50", EURO),  # and the reverse
    ("1 234 567,891.5", YMD),  # mixed thousands separators
    ("1234-", YMD),
    ("-(5)", YMD),
    ("(5", YMD),
    ("5)", YMD),
    ("--5", YMD),
    ("+-5", YMD),
    ("12%", YMD),
    ("12.5 %", YMD),
    ("1.1234567", YMD),  # more places than kept: never rounded
    ("0.000000000000001亿", YMD),  # 1e-7 after the shift
    ("1.2345678", EURO),
    ("1234567890123", YMD),  # 13 integer digits do not fit DECIMAL(18, 6)
    ("9999999999999亿", YMD),
    ("205,3OO.00", YMD),  # letter O
    ("100 OOO", YMD),  # not a currency code
    ("ABC 100", YMD),
    ("¥100元", YMD),  # two currencies
    ("USD $100", YMD),
    ("5.", YMD),
    ("1e5", YMD),
    ("1.2万亿", YMD),
    ("万", YMD),
    ("¥", YMD),
    ("N/A", YMD),
    ("1.2.3", YMD),
]


@pytest.mark.parametrize(("value", "formats"), DECIMAL_FAILURES)
def test_amounts_that_cannot_be_read_exactly_fail(value, formats):
    f = assert_fails("decimal", value, formats)
    assert f"'{formats.decimal_mark}' as decimal point" in f.expected
    assert f"at most {DECIMAL_SCALE} decimal places" in f.expected


# ---------------------------------------------------------------------------
# Whole numbers and yes/no

INTS = [
    ("30", YMD, 30),
    ("1,000", YMD, 1000),
    ("1.000", EURO, 1000),
    ("３０", YMD, 30),
    ("30.0", YMD, 30),
    ("30.000", YMD, 30),
    ("(5)", YMD, -5),
    ("-5", YMD, -5),
    ("+5", YMD, 5),
    ("1.5千", YMD, 1500),
    ("2万", YMD, 20000),
    ("123456789012345678", YMD, 123456789012345678),
]


@pytest.mark.parametrize(("value", "formats", "expected"), INTS)
def test_whole_numbers_are_read(value, formats, expected):
    typed, failures = parse("int", [value], formats)
    assert failures == []
    assert typed == [expected]


@pytest.mark.parametrize(
    "value", ["30.5", "1,00", "1234567890123456789", "¥30", "30%", "thirty", "1.00001万", "3-"]
)
def test_whole_numbers_that_are_not_whole_fail(value):
    f = assert_fails("int", value, YMD)
    assert "whole number" in f.expected


BOOLS = [
    ("true", True),
    ("TRUE", True),
    ("Yes", True),
    ("Y", True),
    ("y", True),
    ("T", True),
    ("1", True),
    ("是", True),
    ("对", True),
    ("有", True),
    ("Ｙ", True),
    ("false", False),
    ("No", False),
    ("N", False),
    ("0", False),
    ("否", False),
    ("错", False),
    ("无", False),
]


@pytest.mark.parametrize(("value", "expected"), BOOLS)
def test_yes_no_values_are_read(value, expected):
    typed, failures = parse("bool", [value], YMD)
    assert failures == []
    assert typed == [expected]


@pytest.mark.parametrize("value", ["maybe", "2", "yes!", "真"])
def test_other_yes_no_values_fail(value):
    f = assert_fails("bool", value, YMD)
    assert "是" in f.expected and "否" in f.expected


def test_configured_yes_no_words():
    formats = ValueFormats(true_values=("X", "ok"), false_values=("-",))
    typed, failures = parse("bool", ["x", "OK", "-", "yes"], formats)
    assert typed == [True, True, False, None]
    assert [f.value for f in failures] == ["yes"]


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

REPEAT = 200_000


@pytest.mark.parametrize(
    ("type_", "cases"),
    [
        ("date", [(v, f) for v, f, _ in DATES] + DATE_FAILURES),
        ("timestamp", [(v, f) for v, f, _ in TIMESTAMPS] + TIMESTAMP_FAILURES),
        ("decimal", [(v, f) for v, f, _ in DECIMALS] + DECIMAL_FAILURES),
        ("int", [(v, f) for v, f, _ in INTS]),
        ("bool", [(v, YMD) for v, _ in BOOLS]),
    ],
)
def test_repeated_inputs_give_identical_results(type_, cases):
    by_formats: dict[ValueFormats, list[str]] = {}
    for value, formats in cases:
        by_formats.setdefault(formats, []).append(value)
    for formats, values in by_formats.items():
        once = parse_values(pl.Series("v", values, dtype=pl.String), type_, formats)
        many = pl.Series("v", values * REPEAT, dtype=pl.String)
        start = time.perf_counter()
        repeated = parse_values(many, type_, formats)
        elapsed = time.perf_counter() - start
        print(f"{type_} x{len(many):,} rows ({formats.date_order}): {elapsed:.2f}s")
        assert repeated.len() == many.len()
        assert repeated.null_count() == once.null_count() * REPEAT
        expected = pl.concat([once] * REPEAT)
        assert repeated.equals(expected)


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
