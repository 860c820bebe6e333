"""Phone numbers of any country, checked with Google's libphonenumber (``phonenumbers``).

A number is read in the region of its row's ``country`` (an ISO 3166-1 alpha-2 code, e.g.
``US``; a profile's ``values:`` can translate country names to codes) or, without one, the
country of the business timezone (``Asia/Shanghai`` is ``CN``, ``America/New_York`` ``US``;
from the tz database's ``zone.tab``). A number written with ``+`` and its country calling code
is read in any region. A valid number becomes its E.164 form (``+8613812345678``); the row
check ``malformed_phone`` flags the others.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path

import phonenumbers
import polars as pl


@cache
def _zone_countries() -> dict[str, str]:
    """{IANA zone: ISO country code} from the tz database's zone.tab (empty when absent)."""
    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            out = {}
            for line in table.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#"):
                    code, _, zone, *_ = line.split("\t")
                    out[zone] = code
            return out
    return {}


def region_of_timezone(timezone: str) -> str | None:
    """The country of an IANA zone (``Asia/Shanghai`` -> ``CN``); None for ``UTC`` and the
    like."""
    return _zone_countries().get(timezone)


def e164(number: str | None, region: str | None) -> str | None:
    """``number`` in E.164 when it is a valid number (in ``region`` unless written with +);
    else the number as written (so the check shows it); None for None."""
    if number is None:
        return None
    try:
        parsed = phonenumbers.parse(number, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_column(
    frame: pl.DataFrame, phone: str, country: str | None, default_region: str | None
) -> pl.Series:
    """:func:`e164` of every row of ``frame``: its ``country`` column's code, else
    ``default_region``. Each distinct (number, region) is checked once."""
    region = pl.lit(default_region, dtype=pl.String)
    if country is not None and country in frame.columns:
        code = pl.col(country).cast(pl.String).str.strip_chars().str.to_uppercase()
        region = pl.when(code.str.contains(r"^[A-Z]{2}$")).then(code).otherwise(region)
    pairs = frame.select(pl.col(phone).cast(pl.String).alias("number"), region.alias("region"))
    distinct = pairs.unique().filter(pl.col("number").is_not_null())
    checked = {
        (n, r): e164(n, r) for n, r in zip(distinct["number"], distinct["region"], strict=True)
    }
    return pl.Series(
        phone,
        [
            None if n is None else checked[(n, r)]
            for n, r in zip(pairs["number"], pairs["region"], strict=True)
        ],
        dtype=pl.String,
    )
