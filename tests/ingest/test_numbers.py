"""Amounts, whole numbers and yes/no values as exports write them
(pipelines/ingest/values/numbers.py, readers.py), read exactly or failing with a named reason.

Every expected value is computed independently with Python's decimal module, never with
the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.core.contract import DECIMAL_SCALE
from pipelines.ingest.values.parse import (
    ValueFormats,
)
from tests.ingest.support import (
    YMD,
    assert_fails,
    assert_repeats_identically,
    parse_column,
)

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
    typed, failures = parse_column("decimal", [value], formats)
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
    typed, failures = parse_column("int", [value], formats)
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
    typed, failures = parse_column("bool", [value], YMD)
    assert failures == []
    assert typed == [expected]


@pytest.mark.parametrize("value", ["maybe", "2", "yes!", "真"])
def test_other_yes_no_values_fail(value):
    f = assert_fails("bool", value, YMD)
    assert "是" in f.expected and "否" in f.expected


def test_configured_yes_no_words():
    formats = ValueFormats(true_values=("X", "ok"), false_values=("-",))
    typed, failures = parse_column("bool", ["x", "OK", "-", "yes"], formats)
    assert typed == [True, True, False, None]
    assert [f.value for f in failures] == ["yes"]


@pytest.mark.parametrize(
    ("type_", "cases"),
    [
        ("decimal", [(v, f) for v, f, _ in DECIMALS] + DECIMAL_FAILURES),
        ("int", [(v, f) for v, f, _ in INTS]),
        ("bool", [(v, YMD) for v, _ in BOOLS]),
    ],
)
def test_repeated_inputs_give_identical_results(type_, cases):
    assert_repeats_identically(type_, cases)


RATES = [
    ("0.000222222222222", YMD, Decimal("0.000222222222222")),  # 1/4500: COP per CNY
    ("7.1234567890123", YMD, Decimal("7.1234567890123")),
    ("0.000000000000000001", YMD, Decimal("0.000000000000000001")),  # 18 places
    ("0,000222222222222", ValueFormats(decimal_mark=","), Decimal("0.000222222222222")),
    ("4500", YMD, Decimal(4500)),
]


@pytest.mark.parametrize(("value", "formats", "expected"), RATES)
def test_rates_keep_every_digit_the_source_gives(value, formats, expected):
    typed, failures = parse_column("rate", [value], formats)
    assert failures == []
    assert typed == [expected]


@pytest.mark.parametrize("value", ["0.0000000000000000001", "USD 7.1", "7%", "abc"])
def test_rates_that_cannot_be_read_exactly_fail(value):
    f = assert_fails("rate", value, YMD)
    assert "18 decimal places" in f.expected
