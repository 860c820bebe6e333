"""Dates and timestamps as exports write them (pipelines/ingest/values/moments.py), read
exactly or failing with a named reason.

Every expected value is computed independently with Python's datetime and zoneinfo
modules, never with the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pipelines.core.contract import Column, Entity
from pipelines.ingest.values.parse import (
    ROW_INDEX,
    ValueFormats,
    expected_format,
    parse_frame,
    resolved_local_times,
)
from tests.ingest.support import (
    DMY,
    MDY,
    NY,
    SH,
    YMD,
    assert_fails,
    assert_repeats_identically,
    local,
    parse_column,
)

EXCEL_DAY0 = date(1899, 12, 30)
SAO_PAULO = "America/Sao_Paulo"
ORDER_WORDS = {"YMD": "year/month/day", "MDY": "month/day/year", "DMY": "day/month/year"}


def excel(serial: str, tz: str = SH) -> datetime:
    """Excel 1900-system serial -> UTC instant, the fraction rounded to the second."""
    whole, _, frac = serial.partition(".")
    seconds = (Decimal("0." + (frac or "0")) * 86400).quantize(Decimal(1))
    wall = datetime.combine(EXCEL_DAY0 + timedelta(days=int(whole)), datetime.min.time())
    wall += timedelta(seconds=int(seconds))
    return wall.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ---------------------------------------------------------------------------
# Dates


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
    # a date written with a midnight time is the date as written, in any business timezone
    # (a CRM's close date: Salesforce CloseDate 2023-05-11 / 2023-05-11 00:00:00)
    ("2023-05-11", ValueFormats(timezone=NY), date(2023, 5, 11)),
    ("2023-05-11 00:00:00", ValueFormats(timezone=NY), date(2023, 5, 11)),
    ("2023-05-11T00:00:00", ValueFormats(timezone=NY), date(2023, 5, 11)),
    ("2023-05-11T00:00:00.000", ValueFormats(timezone=NY), date(2023, 5, 11)),
    ("2023-05-11T00:00:00.000Z", ValueFormats(timezone=NY), date(2023, 5, 11)),
    ("2023-05-11T00:00:00+00:00", ValueFormats(timezone="Asia/Tokyo"), date(2023, 5, 11)),
    ("5/11/2023 12:00 AM", ValueFormats(timezone=NY, date_order="MDY"), date(2023, 5, 11)),
    # midnight does not exist in Sao Paulo that day: the date is a date all the same
    ("2017-10-15", ValueFormats(timezone=SAO_PAULO), date(2017, 10, 15)),
    ("2017-10-15 00:00:00", ValueFormats(timezone=SAO_PAULO), date(2017, 10, 15)),
    # configured patterns are tried first, before the built-in order
    ("01/03/2026", ValueFormats(date_order="MDY", date_formats=("%d/%m/%Y",)), date(2026, 3, 1)),
    ("01-Mar-26", ValueFormats(date_formats=("%d-%b-%y",)), date(2026, 3, 1)),
    ("20260301", ValueFormats(date_formats=("%Y%m%d",)), date(2026, 3, 1)),
]


@pytest.mark.parametrize(("value", "formats", "expected"), DATES)
def test_dates_are_read(value, formats, expected):
    typed, failures = parse_column("date", [value], formats)
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
    # DST gap (02:30 does not exist in New York that night): moved forward by the gap, as
    # zoneinfo reads it (fold=0: the offset before the gap)
    ("2026-03-08 02:30", ValueFormats(timezone=NY), local(NY, 2026, 3, 8, 2, 30)),
    (
        "2026-03-08 02:30:00.123456",
        ValueFormats(timezone=NY),
        local(NY, 2026, 3, 8, 2, 30, 0, 123456),
    ),
    # midnight does not exist in Sao Paulo on 2017-10-15 (the clocks went to 01:00)
    ("2017-10-15", ValueFormats(timezone=SAO_PAULO), local(SAO_PAULO, 2017, 10, 15)),
    ("2017-10-15 00:00:00", ValueFormats(timezone=SAO_PAULO), local(SAO_PAULO, 2017, 10, 15)),
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
    typed, failures = parse_column("timestamp", [value], formats)
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
]


@pytest.mark.parametrize(("value", "formats"), TIMESTAMP_FAILURES)
def test_timestamps_that_cannot_be_read_fail(value, formats):
    f = assert_fails("timestamp", value, formats)
    assert ORDER_WORDS[formats.date_order] in f.expected
    assert formats.timezone in f.expected


@pytest.mark.parametrize(
    ("type_", "cases"),
    [
        ("date", [(v, f) for v, f, _ in DATES] + DATE_FAILURES),
        ("timestamp", [(v, f) for v, f, _ in TIMESTAMPS] + TIMESTAMP_FAILURES),
    ],
)
def test_repeated_inputs_give_identical_results(type_, cases):
    assert_repeats_identically(type_, cases)


# ---------------------------------------------------------------------------
# Wall-clock times the business timezone skips or repeats: resolved, and told


def test_times_in_a_dst_gap_or_fold_are_told_with_the_rule_that_read_them():
    e = Entity("t", (Column("at", "timestamp"), Column("day", "date", False)), key=("at",))
    values = [
        ("2026-03-08 02:30", "2026-03-08"),  # gap
        ("2026-11-01 01:30", "2026-11-01"),  # fold
        ("2026-11-01 00:30", None),  # the night of the fold, but once only
        ("2026-03-08 02:30-05:00", None),  # zoned: nothing to resolve
        ("2026-07-01 09:00", None),
    ]
    text = pl.DataFrame(
        {
            ROW_INDEX: list(range(2, 2 + len(values))),
            "at": [a for a, _ in values],
            "day": [d for _, d in values],
        },
        schema={ROW_INDEX: pl.Int64, "at": pl.String, "day": pl.String},
    )
    formats = ValueFormats(timezone=NY)
    typed, failures = parse_frame(text, e, formats)
    assert failures == []
    notes = resolved_local_times(text, typed, e, formats)
    assert notes.rows() == [
        (2, "at", "2026-03-08 02:30", "gap"),
        (3, "at", "2026-11-01 01:30", "ambiguous"),
    ]
    assert typed["at"].to_list()[:2] == [
        local(NY, 2026, 3, 8, 2, 30),
        datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo(NY)).astimezone(UTC),  # fold=0: first
    ]
    assert typed["day"].to_list()[:2] == [date(2026, 3, 8), date(2026, 11, 1)]
