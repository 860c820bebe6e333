"""Reading amounts and whole numbers exactly, and the currency marks written in amounts.

Amounts never go through floating point: the digits are taken apart as text (signs,
brackets, thousands separators, 万/亿/千 shifting the decimal point) and cast to an exact
Decimal; more decimal places than the warehouse keeps fail rather than round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from pipelines.core.contract import DECIMAL_DIGITS, DECIMAL_SCALE
from pipelines.core.currencies import ISO_4217_CODES
from pipelines.ingest.values.formats import DecimalMark, ValueFormats, normalised
from pipelines.ingest.values.stages import IN, OUT, struct_fields

#: Integer digits a DECIMAL(18, DECIMAL_SCALE) holds.
DECIMAL_INT_DIGITS = 18 - DECIMAL_SCALE


def digits_of(type_: str) -> tuple[int, int]:
    """(integer digits, decimal places) a value of the exact-number ``type_`` may have."""
    precision, scale = DECIMAL_DIGITS[type_]
    return precision - scale, scale


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
    lf = lf.with_columns(struct_fields("_g", names + (_CURRENCIES if currency else ()), "n_"))

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


def read_decimal(lf: pl.LazyFrame, formats: ValueFormats, type_: str = "decimal") -> pl.LazyFrame:
    """An exact Decimal of ``type_`` (``decimal``: an amount, which may carry a currency mark;
    ``rate``: a bare number); more decimal places than the type keeps fail.

    The guard matters: polars' string->Decimal cast rounds extra places silently.
    """
    int_digits, scale = digits_of(type_)
    lf = _digits(lf, formats.decimal_mark, currency=type_ == "decimal")
    ok = (
        pl.col("_ok")
        & (pl.col("_int").str.len_chars() <= int_digits)
        & (pl.col("_frac").str.len_chars() <= scale)
    )
    frac = pl.when(pl.col("_frac") == "").then(pl.lit("0")).otherwise(pl.col("_frac"))
    text = _signed(pl.concat_str(pl.lit("."), frac))
    return lf.with_columns(
        pl.when(ok)
        .then(text)
        .otherwise(None)
        .cast(pl.Decimal(*DECIMAL_DIGITS[type_]), strict=False)
        .alias(OUT)
    )


def read_rate(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
    """An exact rate, Decimal(38, 18): every digit the source gives (up to 18 places)."""
    return read_decimal(lf, formats, "rate")


def read_int(lf: pl.LazyFrame, formats: ValueFormats) -> pl.LazyFrame:
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
