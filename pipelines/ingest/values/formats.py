"""How exported values are written, and vectorised polars expressions that read them.

A :class:`ValueFormats` says how one export (or one column of it) writes dates,
timestamps, amounts and yes/no values. :func:`read_values` turns a text column
into its contract type under those formats; a cell that has a value but cannot
be read exactly becomes null (the caller reports it with :func:`expected_format`).

Nothing here guesses: a day/month order that is not configured, a malformed
thousands separator, more decimal places than the warehouse keeps, an hour of 13
with "PM" all fail rather than produce a plausible wrong value. Amounts never go
through floating point; 万/亿 shift the decimal point in the text.

Every step is a plain polars expression (regex extraction, string slicing, casts)
in a lazy pipeline, so a column of millions of cells is read without a per-row
Python call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.core.contract import DECIMAL_SCALE
from pipelines.core.currencies import ISO_4217_CODES

DateOrder = Literal["YMD", "MDY", "DMY"]
DecimalMark = Literal[".", ","]

#: Integer digits a DECIMAL(18, DECIMAL_SCALE) holds.
DECIMAL_INT_DIGITS = 18 - DECIMAL_SCALE
#: Excel serial dates read (1900 system, day 0 = 1899-12-30): only serials of business dates
#: 1950-01-01 .. 2099-12-31. A bare number outside that range in a date column (a year like
#: 2026, an amount) is far more likely a mistake than a date, so it is refused, not guessed.
EXCEL_MIN_SERIAL = 18264
EXCEL_MAX_SERIAL = 73050
EXCEL_EPOCH = "1899-12-30"

_ORDER_WORDS = {"YMD": "year/month/day", "MDY": "month/day/year", "DMY": "day/month/year"}


def _fold(value: str) -> str:
    """Full-width to ASCII, the same way :func:`normalised` does, for configured words."""
    return value.translate(_FOLD_TABLE).strip()


@dataclass(frozen=True)
class ValueFormats:
    """How an export writes its values (see the module docstring)."""

    timezone: str = "Asia/Shanghai"  # zone for timestamps written without one
    date_order: DateOrder = "YMD"  # how to read all-numeric dates like 3/1/2026 or 01.03.2026
    date_formats: tuple[str, ...] = ()  # strftime patterns (chrono syntax) tried first
    decimal_mark: DecimalMark = "."  # "," = European amounts like 1.234,50
    excel_serial_dates: bool = True  # a plain number in a date column is an Excel serial date
    true_values: tuple[str, ...] = ("true", "t", "yes", "y", "1", "是", "对", "有")
    false_values: tuple[str, ...] = ("false", "f", "no", "n", "0", "否", "错", "无")

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except Exception:  # noqa: BLE001 - zoneinfo raises several types
            raise ValueError(
                f"unknown timezone {self.timezone!r} (use an IANA name like Asia/Shanghai)"
            ) from None
        if self.date_order not in _ORDER_WORDS:
            raise ValueError(f"date_order {self.date_order!r} must be one of YMD, MDY, DMY")
        if self.decimal_mark not in (".", ","):
            raise ValueError(f"decimal_mark {self.decimal_mark!r} must be '.' or ','")
        if isinstance(self.date_formats, str):
            object.__setattr__(self, "date_formats", (self.date_formats,))
        for fmt in self.date_formats:
            if "%" not in fmt:
                raise ValueError(f"date format {fmt!r} has no %-field (e.g. %d/%m/%Y)")
            if "%Z" in fmt:
                raise ValueError(
                    f"date format {fmt!r} uses %Z (zone names cannot be read reliably); "
                    "use %z for offsets like +0800"
                )
        both = {_fold(v).lower() for v in self.true_values} & {
            _fold(v).lower() for v in self.false_values
        }
        if both:
            raise ValueError(f"{sorted(both)} listed as both a true and a false value")


# ---------------------------------------------------------------------------
# Normalisation

_FOLD_FROM = [chr(c) for c in range(0xFF01, 0xFF5F)] + [
    "\u3000",  # ideographic space
    "\u00a0",  # no-break space
    "\u2007",  # figure space
    "\u2009",  # thin space
    "\u202f",  # narrow no-break space
    "\uffe5",  # ￥ full-width yen/yuan sign
    "\uffe1",  # ￡
    "\u2212",  # − minus sign
]
_FOLD_TO = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [
    " ",
    " ",
    " ",
    " ",
    " ",
    "¥",
    "£",
    "-",
]
_FOLD_TABLE = str.maketrans(dict(zip(_FOLD_FROM, _FOLD_TO, strict=True)))


def normalised(expr: pl.Expr) -> pl.Expr:
    """Full-width digits and punctuation as ASCII, spaces collapsed, trimmed."""
    return (
        expr.cast(pl.String)
        .str.replace_many(_FOLD_FROM, _FOLD_TO)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


# ---------------------------------------------------------------------------
# Readers
#
# Each reader works on a one-column LazyFrame (column IN, already normalised) and adds
# column OUT. The work is split into stages of ``with_columns`` whose expressions refer
# to earlier stages' columns by name: polars expands a reused sub-expression once per
# use (no common-subexpression elimination across when/then chains), so one nested
# expression for a timestamp grows to seconds per 100k rows; staged, it stays linear.

IN = "_in"
OUT = "_out"

_YEAR = r"(?<y>[1-9]\d{3})"
_YEAR_FIRST = (
    rf"^{_YEAR}(?:-(?<m1>\d{{1,2}})-(?<d1>\d{{1,2}})|/(?<m2>\d{{1,2}})/(?<d2>\d{{1,2}})"
    r"|\.(?<m3>\d{1,2})\.(?<d3>\d{1,2}))(?<rest>(?:[Tt ]|, ).*)?$"
)
_CHINESE = rf"^{_YEAR} ?年 ?(?<m>\d{{1,2}}) ?月 ?(?<d>\d{{1,2}}) ?[日号](?<rest>.*)$"
_YEAR_LAST = (
    r"^(?<a>\d{1,2})(?:/(?<b1>\d{1,2})/|-(?<b2>\d{1,2})-|\.(?<b3>\d{1,2})\.)"
    rf"{_YEAR}(?<rest>,? .*)?$"
)
_MERIDIEM = r"上午|下午|AM|PM|A\.M\.|P\.M\."
_CLOCK = (
    r"(?i)^(?:T|,?\s*)"
    rf"(?:(?<ap1>{_MERIDIEM})\s*)?"
    r"(?<H>\d{1,2}):(?<M>\d{2})(?::(?<S>\d{2})(?:\.(?<f>\d{1,9}))?)?"
    rf"(?:\s*(?<ap2>{_MERIDIEM}))?"
    r"(?:\s*(?:(?<zu>Z|UTC|GMT)"
    r"|(?:UTC|GMT)(?<zs1>[+-])(?<zh1>\d{1,2})(?::?(?<zm1>\d{2}))?"
    r"|(?<zs2>[+-])(?<zh2>\d{2})(?::?(?<zm2>\d{2}))?))?$"
)
_SERIAL = r"^(?<days>\d{1,7})(?:\.(?<frac>\d+))?$"
#: Offsets beyond this many hours do not exist on Earth: such a value is misread.
_MAX_OFFSET_HOURS = 14


def _int(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64, strict=False)


def _null_datetime(tz: str | None = None) -> pl.Expr:
    return pl.lit(None, dtype=pl.Datetime("us", tz))


def _fields(struct: str, names: Iterable[str], prefix: str = "") -> list[pl.Expr]:
    return [pl.col(struct).struct.field(n).alias(prefix + n) for n in names]


def _builtin_moment(lf: pl.LazyFrame, order: DateOrder, naive: str, utc: str) -> pl.LazyFrame:
    """Built-in date/time shapes -> columns ``naive`` (wall clock) and ``utc`` (zoned)."""
    structs = [
        pl.col(IN).str.extract_groups(_YEAR_FIRST).alias("_ymd"),
        pl.col(IN).str.extract_groups(_CHINESE).alias("_cn"),
    ]
    if order != "YMD":
        structs.append(pl.col(IN).str.extract_groups(_YEAR_LAST).alias("_yl"))
    lf = lf.with_columns(structs)
    lf = lf.with_columns(
        *_fields("_ymd", ("y", "m1", "m2", "m3", "d1", "d2", "d3", "rest"), "ymd_"),
        *_fields("_cn", ("y", "m", "d", "rest"), "cn_"),
        *(_fields("_yl", ("a", "b1", "b2", "b3", "y", "rest"), "yl_") if order != "YMD" else []),
    )
    y = [pl.col("ymd_y"), pl.col("cn_y")]
    m = [pl.col("ymd_m1"), pl.col("ymd_m2"), pl.col("ymd_m3"), pl.col("cn_m")]
    d = [pl.col("ymd_d1"), pl.col("ymd_d2"), pl.col("ymd_d3"), pl.col("cn_d")]
    rest = pl.when(pl.col("ymd_y").is_not_null()).then(pl.col("ymd_rest"))
    rest = rest.when(pl.col("cn_y").is_not_null()).then(pl.col("cn_rest"))
    if order != "YMD":
        second = pl.coalesce(pl.col("yl_b1"), pl.col("yl_b2"), pl.col("yl_b3"))
        month, day = (pl.col("yl_a"), second) if order == "MDY" else (second, pl.col("yl_a"))
        y.append(pl.col("yl_y"))
        m.append(month)
        d.append(day)
        rest = rest.when(pl.col("yl_y").is_not_null()).then(pl.col("yl_rest"))
    lf = lf.with_columns(
        pl.coalesce(y).alias("_y"),
        pl.coalesce(m).alias("_m"),
        pl.coalesce(d).alias("_d"),
        rest.otherwise(None).alias("_rest"),
    )
    # polars' date constructor raises on 2026-02-30; parsing text gives null instead.
    lf = lf.with_columns(
        pl.format("{}-{}-{}", "_y", "_m", "_d")
        .str.to_date("%Y-%m-%d", strict=False)
        .cast(pl.Datetime("us"))
        .alias("_date"),
        pl.col("_rest").str.extract_groups(_CLOCK).alias("_clock"),
        (pl.col("_rest").is_null() | (pl.col("_rest").str.strip_chars() == "")).alias("_no_time"),
    )
    clock = ("ap1", "ap2", "H", "M", "S", "f", "zu", "zs1", "zh1", "zm1", "zs2", "zh2", "zm2")
    lf = lf.with_columns(_fields("_clock", clock, "c_"))
    lf = lf.with_columns(
        pl.coalesce("c_ap1", "c_ap2")
        .str.to_uppercase()
        .str.replace_all(".", "", literal=True)
        .alias("_meridiem"),
        _int("c_H").alias("_hour"),
        _int("c_M").alias("_minute"),
        _int("c_S").fill_null(0).alias("_second"),
        pl.col("c_f").fill_null("").str.pad_end(9, "0").alias("_frac9"),
        pl.coalesce("c_zs1", "c_zs2").alias("_zsign"),
        pl.coalesce("c_zh1", "c_zh2").cast(pl.Int64, strict=False).alias("_zhours"),
        pl.coalesce("c_zm1", "c_zm2").cast(pl.Int64, strict=False).fill_null(0).alias("_zmins"),
    )
    meridiem = pl.col("_meridiem")
    hour = pl.col("_hour")
    pm = pl.when(meridiem.is_in(["PM", "下午"])).then(12).otherwise(0)
    lf = lf.with_columns(
        pl.when(meridiem.is_null()).then(hour).otherwise(hour % 12 + pm).alias("_hour24"),
        (
            (pl.col("c_ap1").is_null() | pl.col("c_ap2").is_null())
            & pl.when(meridiem.is_null())
            .then(hour.is_between(0, 23))
            .otherwise(hour.is_between(1, 12))
            & pl.col("_minute").is_between(0, 59)
            & pl.col("_second").is_between(0, 59)
            # digits past the microsecond are kept only when they are zeros: no rounding
            & (pl.col("_frac9").str.slice(6, 3) == "000")
        ).alias("_clock_ok"),
        pl.col("_frac9").str.slice(0, 6).cast(pl.Int64, strict=False).alias("_micro"),
        (pl.col("c_zu").is_not_null() | pl.col("_zsign").is_not_null()).alias("_zoned"),
        pl.when(pl.col("c_zu").is_not_null())
        .then(0)
        .otherwise(
            (pl.col("_zhours") * 60 + pl.col("_zmins"))
            * pl.when(pl.col("_zsign") == "-").then(-1).otherwise(1)
        )
        .alias("_offset"),
        (
            pl.col("c_zu").is_not_null()
            | (
                pl.col("_zhours").is_between(0, _MAX_OFFSET_HOURS)
                & pl.col("_zmins").is_between(0, 59)
            )
        ).alias("_offset_ok"),
    )
    lf = lf.with_columns(
        pl.when(pl.col("_no_time"))
        .then(pl.col("_date"))
        .when(pl.col("_clock_ok"))
        .then(
            pl.col("_date")
            + pl.duration(
                hours="_hour24", minutes="_minute", seconds="_second", microseconds="_micro"
            )
        )
        .otherwise(_null_datetime())
        .alias("_local")
    )
    return lf.with_columns(
        pl.when(pl.col("_zoned")).then(_null_datetime()).otherwise(pl.col("_local")).alias(naive),
        pl.when(pl.col("_zoned") & pl.col("_offset_ok"))
        .then(
            (pl.col("_local") - pl.duration(minutes=pl.col("_offset"))).dt.replace_time_zone("UTC")
        )
        .otherwise(_null_datetime("UTC"))
        .alias(utc),
    )


def _excel_moment(lf: pl.LazyFrame, naive: str, utc: str) -> pl.LazyFrame:
    lf = lf.with_columns(pl.col(IN).str.extract_groups(_SERIAL).alias("_serial"))
    lf = lf.with_columns(
        pl.col("_serial").struct.field("days").cast(pl.Int64, strict=False).alias("_days"),
        # fraction of a day -> seconds, rounded to the nearest second in integer arithmetic
        # (Excel stores times as binary fractions: 9:30 is written 0.395833333...)
        pl.col("_serial")
        .struct.field("frac")
        .fill_null("")
        .str.slice(0, 12)
        .str.pad_end(12, "0")
        .cast(pl.Int64, strict=False)
        .alias("_dayfrac"),
    )
    epoch = pl.lit(EXCEL_EPOCH).str.to_date("%Y-%m-%d").cast(pl.Datetime("us"))
    seconds = (pl.col("_dayfrac") * 86_400 + 500_000_000_000) // 1_000_000_000_000
    return lf.with_columns(
        pl.when(pl.col("_days").is_between(EXCEL_MIN_SERIAL, EXCEL_MAX_SERIAL))
        .then(epoch + pl.duration(days=pl.col("_days"), seconds=seconds))
        .otherwise(_null_datetime())
        .alias(naive),
        _null_datetime("UTC").alias(utc),
    )


def _has_zone_field(fmt: str) -> bool:
    return re.search(r"%[:#]*z", fmt) is not None


def _pattern_moment(lf: pl.LazyFrame, fmt: str, naive: str, utc: str) -> pl.LazyFrame:
    s = pl.col(IN)
    if _has_zone_field(fmt):
        parsed = s.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")
        return lf.with_columns(
            _null_datetime().alias(naive), parsed.cast(pl.Datetime("us", "UTC")).alias(utc)
        )
    parsed = s.str.to_datetime(fmt, strict=False, time_unit="us")
    return lf.with_columns(
        parsed.cast(pl.Datetime("us")).alias(naive), _null_datetime("UTC").alias(utc)
    )


def _moment(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """Columns ``_naive``/``_utc`` from the first reading that applies.

    Configured patterns first, in order; then the built-in shapes; then Excel serials.
    """
    names: list[tuple[str, str]] = []
    for i, fmt in enumerate(formats.date_formats):
        names.append((f"_p{i}_naive", f"_p{i}_utc"))
        lf = _pattern_moment(lf, fmt, *names[-1])
    names.append(("_b_naive", "_b_utc"))
    lf = _builtin_moment(lf, formats.date_order, *names[-1])
    if formats.excel_serial_dates:
        names.append(("_x_naive", "_x_utc"))
        lf = _excel_moment(lf, *names[-1])
    naive = pl.when(pl.lit(False)).then(_null_datetime())
    utc = pl.when(pl.lit(False)).then(_null_datetime("UTC"))
    for n, u in names:
        applies = pl.col(n).is_not_null() | pl.col(u).is_not_null()
        naive = naive.when(applies).then(pl.col(n))
        utc = utc.when(applies).then(pl.col(u))
    return lf.with_columns(naive.otherwise(None).alias("_naive"), utc.otherwise(None).alias("_utc"))


def _read_timestamp(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """An instant, Datetime("us", "UTC"); wall-clock values are read in ``formats.timezone``.

    A wall-clock time that does not exist there (a DST gap) is null; an ambiguous
    one (DST fold) is the earlier instant.
    """
    lf = _moment(lf, formats)
    local = (
        pl.col("_naive")
        .dt.replace_time_zone(formats.timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    return lf.with_columns(pl.coalesce(pl.col("_utc"), local).alias(OUT))


def _read_date(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """A calendar date; a timestamp reads as its date (in ``formats.timezone`` when zoned)."""
    lf = _moment(lf, formats)
    zoned_date = pl.col("_utc").dt.convert_time_zone(formats.timezone).dt.date()
    return lf.with_columns(pl.coalesce(pl.col("_naive").dt.date(), zoned_date).alias(OUT))


_SYMBOLS = ("¥", "$", "€", "£", "₩", "₹")
_DOLLARS = ("US$", "HK$", "NT$", "NZ$", "AU$", "CA$", "SG$", "A$", "C$", "S$")
#: Currency marks an amount may carry before or after the number (checked after matching:
#: a regex alternation of ~300 ISO codes makes capture extraction ~15x slower).
CURRENCY_TOKENS = frozenset(
    [*ISO_4217_CODES, "RMB", *_SYMBOLS, *_DOLLARS, "CN¥", "RMB¥", "元", "人民币"]
)
_PREFIX_CURRENCY = r"[A-Z]{0,2}\$|CN¥|RMB¥|[¥€£₩₹]|[A-Z]{3}"
_SUFFIX_CURRENCY = r"元|人民币|[¥$€£₩₹]|[A-Z]{3}"
#: Written multiplier -> decimal places the point moves right.
UNIT_SHIFT = {"千": 3, "万": 4, "亿": 8}
_SIGNS = ("s1", "s2", "s3")
_CURRENCIES = ("c0", "c1", "c2", "c3")


def _number_pattern(decimal_mark: DecimalMark, currency: bool) -> str:
    mark = re.escape(decimal_mark)
    thousands = [",", " ", "'"] if decimal_mark == "." else [".", " ", "'"]
    grouped = "|".join(rf"\d{{1,3}}(?:{re.escape(t)}\d{{3}})+" for t in thousands)
    number = rf"(?:(?<ip>{grouped}|\d+)(?:{mark}(?<fp>\d+))?|{mark}(?<fp0>\d+))"
    units = "|".join(UNIT_SHIFT)
    pre = rf"(?<c0>{_PREFIX_CURRENCY})? ?" if currency else ""
    pre_in = rf"(?<c1>{_PREFIX_CURRENCY})? ?" if currency else ""
    suf_in = rf" ?(?<c2>{_SUFFIX_CURRENCY})?" if currency else ""
    suf = rf" ?(?<c3>{_SUFFIX_CURRENCY})?" if currency else ""
    return (
        rf"^(?<s1>[-+])? ?{pre}(?<s2>[-+])? ?(?<open>\()? ?{pre_in}(?<s3>[-+])? ?"
        rf"{number} ?(?<unit>{units})?{suf_in} ?(?<close>\))?{suf}$"
    )


def _digits(lf: pl.LazyFrame, decimal_mark: DecimalMark, currency: bool) -> pl.LazyFrame:
    """Columns ``_ok``, ``_neg``, ``_int`` (no leading zeros) and ``_frac`` (no trailing).

    ``_ok``: the cell matched the grammar and its signs, brackets and currency agree.
    万/亿/千 move the decimal point in the text, so the value stays exact.
    """
    # Fast path: most cells are plain numbers ("1234.50"); only the rest pay for the
    # capture-group regex (nulls are skipped by it).
    mark = re.escape(decimal_mark)
    plain = pl.col("_plain")
    lf = lf.with_columns(pl.col(IN).str.contains(rf"^[+-]?\d+(?:{mark}\d+)?$").alias("_plain"))
    lf = lf.with_columns(
        pl.when(plain)
        .then(None)
        .otherwise(pl.col(IN))
        .str.extract_groups(_number_pattern(decimal_mark, currency))
        .alias("_g"),
        pl.when(plain)
        .then(pl.col(IN).str.strip_chars_start("+-"))
        .str.split_exact(decimal_mark, 1)
        .alias("_p"),
    )
    names = (*_SIGNS, "open", "close", "ip", "fp", "fp0", "unit")
    lf = lf.with_columns(_fields("_g", names + (_CURRENCIES if currency else ()), "n_"))

    def count(fields: Iterable[str]) -> pl.Expr:
        return pl.sum_horizontal(pl.col("n_" + f).is_not_null().cast(pl.Int8) for f in fields)

    brackets = pl.col("n_open").is_not_null()
    ok = (
        pl.coalesce("n_ip", "n_fp0").is_not_null()
        & (count(_SIGNS) <= 1)
        & (brackets == pl.col("n_close").is_not_null())
        & ~(brackets & (count(_SIGNS) > 0))
    )
    if currency:
        ok = ok & (count(_CURRENCIES) <= 1)
        tokens = sorted(CURRENCY_TOKENS)
        for c in _CURRENCIES:
            ok = ok & (pl.col("n_" + c).is_null() | pl.col("n_" + c).is_in(tokens))
    neg = pl.any_horizontal((pl.col("n_" + s) == "-").fill_null(False) for s in _SIGNS)
    lf = lf.with_columns(
        (plain | ok.fill_null(False)).alias("_ok"),
        pl.when(plain)
        .then(pl.col(IN).str.starts_with("-"))
        .otherwise(neg | brackets)
        .alias("_neg"),
        pl.when(plain)
        .then(pl.col("_p").struct.field("field_0"))
        .otherwise(pl.col("n_ip").fill_null("").str.replace_all(r"\D", ""))
        .alias("_i0"),
        pl.when(plain)
        .then(pl.col("_p").struct.field("field_1"))
        .otherwise(pl.coalesce("n_fp", "n_fp0"))
        .fill_null("")
        .alias("_f0"),
    )
    integer = pl.col("_i0")
    fraction = pl.col("_f0")
    for word, places in UNIT_SHIFT.items():
        padded = pl.col("_f0").str.pad_end(places, "0")
        shifted = pl.col("n_unit") == word
        integer = (
            pl.when(shifted).then(pl.col("_i0") + padded.str.slice(0, places)).otherwise(integer)
        )
        fraction = pl.when(shifted).then(padded.str.slice(places)).otherwise(fraction)
    return lf.with_columns(
        integer.str.strip_chars_start("0").alias("_int"),
        fraction.str.strip_chars_end("0").alias("_frac"),
    )


def _signed(digits: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        pl.when(pl.col("_neg")).then(pl.lit("-")).otherwise(pl.lit("")),
        pl.when(pl.col("_int") == "").then(pl.lit("0")).otherwise(pl.col("_int")),
        digits,
    )


def _read_decimal(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """An exact Decimal(18, DECIMAL_SCALE); more decimal places than that fail.

    The guard matters: polars' string->Decimal cast rounds extra places silently.
    """
    lf = _digits(lf, formats.decimal_mark, currency=True)
    ok = (
        pl.col("_ok")
        & (pl.col("_int").str.len_chars() <= DECIMAL_INT_DIGITS)
        & (pl.col("_frac").str.len_chars() <= DECIMAL_SCALE)
    )
    frac = pl.when(pl.col("_frac") == "").then(pl.lit("0")).otherwise(pl.col("_frac"))
    text = _signed(pl.concat_str(pl.lit("."), frac))
    return lf.with_columns(
        pl.when(ok)
        .then(text)
        .otherwise(None)
        .cast(pl.Decimal(18, DECIMAL_SCALE), strict=False)
        .alias(OUT)
    )


def _read_int(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """A whole number (Int64); ``30.0`` is read, ``30.5`` fails."""
    lf = _digits(lf, formats.decimal_mark, currency=False)
    ok = pl.col("_ok") & (pl.col("_int").str.len_chars() <= 18) & (pl.col("_frac") == "")
    return lf.with_columns(
        pl.when(ok)
        .then(_signed(pl.lit("")))
        .otherwise(None)
        .cast(pl.Int64, strict=False)
        .alias(OUT)
    )


def _read_bool(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    low = pl.col(IN).str.to_lowercase()
    trues = sorted({_fold(v).lower() for v in formats.true_values})
    falses = sorted({_fold(v).lower() for v in formats.false_values})
    return lf.with_columns(
        pl.when(low.is_in(trues))
        .then(True)
        .when(low.is_in(falses))
        .then(False)
        .otherwise(None)
        .cast(pl.Boolean)
        .alias(OUT)
    )


_READERS = {
    "date": _read_date,
    "timestamp": _read_timestamp,
    "decimal": _read_decimal,
    "int": _read_int,
    "bool": _read_bool,
}

#: Output dtype of each contract type.
DTYPES: dict[str, pl.DataType] = {
    "id": pl.String(),
    "text": pl.String(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
    "decimal": pl.Decimal(18, DECIMAL_SCALE),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
}


def read_values(
    frame: pl.DataFrame | pl.LazyFrame, column: str, type_: str, formats: ValueFormats
) -> pl.LazyFrame:
    """A lazy one-column frame: ``column`` of ``frame`` (text) read as contract type ``type_``.

    Same rows in the same order; a cell that cannot be read exactly is null.
    ``id``/``text`` columns are returned as they are.
    """
    if type_ not in DTYPES:
        raise ValueError(f"unknown contract type {type_!r}")
    lf = frame.lazy().select(pl.col(column).cast(pl.String))
    if type_ in ("id", "text"):
        return lf
    lf = lf.select(normalised(pl.col(column)).alias(IN))
    return _READERS[type_](lf, formats).select(pl.col(OUT).cast(DTYPES[type_]).alias(column))


#: The first year a date is read in (4-digit years, as ``_YEAR`` says).
_FIRST_YEAR = 1000


def plain_reader(column: str, type_: str, formats: ValueFormats) -> pl.Expr | None:
    """A fast reader for the plain, canonical spelling of ``type_``, or None.

    ``2026-03-01``, ``2026-03-01 09:30:00``, ``-1234.5``, ``42``: what the
    canonical contract and most database exports write. Where it gives a
    value it is the value :func:`read_values` gives (tests hold them equal);
    where it gives null, the caller asks :func:`read_values`, which knows
    every other spelling. Only offered when the formats cannot read the
    canonical spelling otherwise (no custom date formats, year-first dates,
    ``.`` decimals).
    """
    if formats.date_formats or formats.date_order != "YMD":
        return None
    text = pl.col(column)
    if type_ == "date":
        day = text.str.to_date("%Y-%m-%d", strict=False)
        return pl.when(day.dt.year() >= _FIRST_YEAR).then(day)
    if type_ == "timestamp":
        naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)
        return (
            # chrono reads second 60 as the next minute; the full reader rejects it.
            pl.when((naive.dt.year() >= _FIRST_YEAR) & ~text.str.ends_with(":60"))
            .then(naive)
            .dt.replace_time_zone(formats.timezone, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
    if type_ == "decimal" and formats.decimal_mark == ".":
        plain = text.str.contains(rf"^-?\d{{1,{DECIMAL_INT_DIGITS}}}(\.\d{{1,{DECIMAL_SCALE}}})?$")
        return pl.when(plain).then(text).cast(DTYPES["decimal"], strict=False)
    if type_ == "int":
        plain = text.str.contains(r"^-?\d{1,18}$")
        return pl.when(plain).then(text).cast(pl.Int64, strict=False)
    return None


def parse_values(values: pl.Series, type_: str, formats: ValueFormats) -> pl.Series:
    """``values`` (text) read as ``type_``: a convenience over :func:`read_values`."""
    name = values.name or "value"
    frame = values.alias(name).to_frame()
    return read_values(frame, name, type_, formats).collect(engine="streaming")[name]


# ---------------------------------------------------------------------------
# What users are told


def _date_examples(formats: ValueFormats, with_time: bool) -> str:
    order = formats.date_order
    if with_time:
        examples = ["2026-03-01 09:30:00", "2026/3/1 9:30", "2026年3月1日 下午2:30"]
        if order == "MDY":
            examples.append("3/1/2026 9:30 PM")
        elif order == "DMY":
            examples.append("1/3/2026 21:30")
    else:
        examples = ["2026-03-01", "2026/3/1", "2026年3月1日"]
        if order == "MDY":
            examples.append("3/1/2026")
        elif order == "DMY":
            examples.append("1/3/2026")
    listed = ", ".join(examples[:-1]) + " or " + examples[-1]
    if order == "YMD":
        note = (
            "year/month/day; dates with the year last, like 3/1/2026, need the "
            "date order set to MDY or DMY"
        )
    else:
        note = _ORDER_WORDS[order] + "; 4-digit years only"
    return f"{listed} ({note})"


def _extras(formats: ValueFormats, what: str, example: str) -> str:
    out = ""
    if formats.date_formats:
        out += ", or in the format " + " or ".join(formats.date_formats)
    if formats.excel_serial_dates:
        out += f", or an Excel {what} number like {example}"
    return out


def expected_format(type_: str, formats: ValueFormats) -> str:
    """What a column of ``type_`` accepts under ``formats``, as a user should read it."""
    if type_ == "date":
        return f"a date like {_date_examples(formats, False)}{_extras(formats, 'date', '45352')}"
    if type_ == "timestamp":
        return (
            f"a timestamp like {_date_examples(formats, True)}"
            f"{_extras(formats, 'date/time', '45352.5')}; a zone (Z, +08:00 or +0800) is optional, "
            f"without one the time is read as {formats.timezone} time"
        )
    if formats.decimal_mark == ".":
        point, groups, plain, grouped = "'.'", "',' or a space", "1234.50", "1,234.50"
    else:
        point, groups, plain, grouped = "','", "'.' or a space", "1234,50", "1.234,50"
    if type_ == "decimal":
        symbol = "¥" if formats.decimal_mark == "." else "€"
        return (
            f"an amount like {plain}, {grouped}, {symbol}{grouped}, USD {grouped} or "
            f"1{formats.decimal_mark}2万, negative as -{grouped} or ({grouped}) "
            f"({point} as decimal point, {groups} between thousands, "
            f"at most {DECIMAL_SCALE} decimal places, no %)"
        )
    if type_ == "int":
        thousand = "1,000" if formats.decimal_mark == "." else "1.000"
        return f"a whole number like 30 or {thousand} ({groups} between thousands)"
    if type_ == "bool":
        return (
            f"a yes/no value: {', '.join(formats.true_values)} for yes, "
            f"or {', '.join(formats.false_values)} for no"
        )
    if type_ in ("text", "id"):
        return "text"
    raise ValueError(f"unknown contract type {type_!r}")


#: What a currency mark written in an amount can mean, as ISO 4217 codes.
_MARK_CODES: dict[str, tuple[str, ...]] = {
    "¥": ("CNY", "JPY"),
    "CN¥": ("CNY",),
    "RMB¥": ("CNY",),
    "RMB": ("CNY",),
    "元": ("CNY",),
    "人民币": ("CNY",),
    "$": ("USD", "HKD", "TWD", "SGD", "AUD", "CAD", "NZD", "MXN"),
    "US$": ("USD",),
    "HK$": ("HKD",),
    "NT$": ("TWD",),
    "NZ$": ("NZD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "SG$": ("SGD",),
    "S$": ("SGD",),
    "€": ("EUR",),
    "£": ("GBP",),
    "₩": ("KRW",),
    "₹": ("INR",),
}


def currency_marks(values: pl.Series, formats: ValueFormats) -> pl.Series:
    """Per amount cell, the ISO codes its written currency mark can mean (null: no mark).

    ``EUR 1,000.00`` -> [EUR]; ``$5`` -> the dollar currencies; ``1234.50`` -> null.
    Used to catch an amount written in another currency than its row's currency
    column, which the number alone would hide.
    """
    pattern = _number_pattern(formats.decimal_mark, currency=True)
    folded = normalised(pl.col("v"))
    marks = (
        pl.DataFrame({"v": values.cast(pl.String)})
        .lazy()
        .select(folded.str.extract_groups(pattern).alias("g"))
        .select(pl.coalesce(pl.col("g").struct.field(c) for c in _CURRENCIES).alias("mark"))
        .collect()["mark"]
    )
    lookup = pl.DataFrame(
        {"mark": list(_MARK_CODES), "codes": [list(c) for c in _MARK_CODES.values()]},
        schema={"mark": pl.String, "codes": pl.List(pl.String)},
    )
    joined = marks.to_frame().join(lookup, on="mark", how="left", maintain_order="left")
    return joined.select(
        pl.when(pl.col("mark").is_null())
        .then(None)
        .otherwise(pl.coalesce("codes", pl.concat_list("mark")))
        .alias("codes")
    )["codes"]
