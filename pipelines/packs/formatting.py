"""Number, money, date and change formatting for the packs.

Money is formatted from ``Decimal`` only (quantized half-up, thousands
separators), never through ``float``. Rates arrive from the marts as ``float``
(DOUBLE); they are turned into ``Decimal`` through their shortest repr, so
0.875 prints as 87.5%, not 87.49999%.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pipelines.core.i18n import Strings

Number = Decimal | float | int

#: Symbols printed before amounts; other currencies print their ISO code.
CURRENCY_SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}

Direction = Literal["up", "down", "flat"]
Tone = Literal["good", "bad", "neutral"]


def to_decimal(value: Number | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(value))
    return Decimal(value)


def known_sum(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the known amounts, ``None`` when none is known: SQL's ``sum``.

    An amount the marts hold as NULL has no rate into the reporting currency (the
    ``missing_fx_rate`` finding lists each one): like the marts' own sums it adds nothing, and
    a total of nothing but unknown amounts is unknown (printed n/a), never 0.
    """
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def known_amount(value: Decimal | None) -> Decimal:
    """An amount to compare or draw: unknown (NULL, no fx rate) counts as 0. Only for ordering
    and chart heights; a printed figure keeps ``None`` (n/a)."""
    return value if value is not None else Decimal(0)


def quantize(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def group(value: Decimal, decimals: int) -> str:
    """``1234567.891`` -> ``1,234,567.89`` (half-up; no float involved)."""
    q = quantize(value, decimals)
    if q == 0:
        q = abs(q)  # no "-0.00"
    return f"{q:,.{decimals}f}"


def relative_change(current: Number | None, previous: Number | None) -> Decimal | None:
    """(current - previous) / |previous|, or None when either is missing or previous is 0."""
    cur, prev = to_decimal(current), to_decimal(previous)
    if cur is None or prev is None or prev == 0:
        return None
    return (cur - prev) / abs(prev)


def difference(current: Number | None, previous: Number | None) -> Decimal | None:
    cur, prev = to_decimal(current), to_decimal(previous)
    if cur is None or prev is None:
        return None
    return cur - prev


@dataclass(frozen=True)
class Change:
    """A formatted period-over-period change."""

    value: Decimal | None
    text: str
    direction: Direction | None
    tone: Tone


#: Amounts from this size up are printed in 万 (ten thousands) when ``wan`` is on.
WAN = Decimal(10_000)


class Formatter:
    """Formats values for one language and reporting currency.

    ``wan``: print amounts of 10,000 and more in units of 万 (``¥153.00万``) through
    the strings table's ``fmt.wan``; the packs turn it on for 中文 CNY packs when
    ``SALESOPS_REPORT_WAN_UNITS`` is set.
    """

    def __init__(self, strings: Strings, currency: str, *, wan: bool = False):
        self.t = strings
        self.currency = currency
        self.symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
        self.wan = wan

    @property
    def na(self) -> str:
        return self.t("fmt.na")

    def money(self, value: Number | None, decimals: int = 2) -> str:
        d = to_decimal(value)
        if d is None:
            return self.na
        sign = "-" if quantize(d, decimals) < 0 else ""
        if self.wan and abs(d) >= WAN:
            # 2 decimals in tables, 1 in headlines: ¥153.00万 / ¥153.0万
            amount = self.t("fmt.wan", value=group(abs(d) / WAN, 2 if decimals else 1))
            return f"{sign}{self.symbol}{amount}"
        return f"{sign}{self.symbol}{group(abs(d), decimals)}"

    def headline_money(self, value: Number | None) -> str:
        return self.money(value, 0)

    def count(self, value: int | None) -> str:
        return self.na if value is None else group(Decimal(value), 0)

    def number(self, value: Number | None, decimals: int = 1) -> str:
        d = to_decimal(value)
        return self.na if d is None else group(d, decimals)

    def pct(self, ratio: Number | None, decimals: int = 1) -> str:
        d = to_decimal(ratio)
        return self.na if d is None else self.t("fmt.percent", value=group(d * 100, decimals))

    def days(self, value: Number | None, decimals: int = 1) -> str:
        d = to_decimal(value)
        return self.na if d is None else self.t("fmt.days", value=group(d, decimals))

    def date(self, value: date | None) -> str:
        return self.na if value is None else value.isoformat()

    def timestamp(self, value: datetime) -> str:
        text = value.strftime("%Y-%m-%d %H:%M")
        if value.tzinfo is not None:
            name = value.tzname() or value.strftime("%z")
            text = f"{text} {name}"
        return text

    # ---- changes ---------------------------------------------------------------

    def _change(
        self, value: Decimal | None, text: str, higher_is_better: bool | None, zero: Decimal
    ) -> Change:
        if value is None:
            return Change(None, self.na, None, "neutral")
        if value > zero:
            direction: Direction = "up"
        elif value < -zero:
            direction = "down"
        else:
            direction = "flat"
        if direction == "flat" or higher_is_better is None:
            tone: Tone = "neutral"
        else:
            tone = "good" if (direction == "up") == higher_is_better else "bad"
        return Change(value, text, direction, tone)

    def change_pct(
        self, current: Number | None, previous: Number | None, higher_is_better: bool | None = True
    ) -> Change:
        """Relative change, e.g. ``+27.5%``."""
        rel = relative_change(current, previous)
        if rel is None:
            return self._change(None, "", higher_is_better, Decimal(0))
        shown = quantize(rel * 100, 1)
        text = self.t("fmt.percent", value=_signed(shown, 1))
        return self._change(shown, text, higher_is_better, Decimal(0))

    def change_pp(
        self, current: Number | None, previous: Number | None, higher_is_better: bool | None = True
    ) -> Change:
        """Change of a rate in percentage points, e.g. ``+10.0 pp``."""
        diff = difference(current, previous)
        if diff is None:
            return self._change(None, "", higher_is_better, Decimal(0))
        shown = quantize(diff * 100, 1)
        text = self.t("fmt.pp", value=_signed(shown, 1))
        return self._change(shown, text, higher_is_better, Decimal(0))

    def change_days(
        self, current: Number | None, previous: Number | None, higher_is_better: bool | None = False
    ) -> Change:
        """Change of a duration in days, e.g. ``-3.5 days``."""
        diff = difference(current, previous)
        if diff is None:
            return self._change(None, "", higher_is_better, Decimal(0))
        shown = quantize(diff, 1)
        text = self.t("fmt.days", value=_signed(shown, 1))
        return self._change(shown, text, higher_is_better, Decimal(0))


def _signed(value: Decimal, decimals: int) -> str:
    if value > 0:
        return "+" + group(value, decimals)
    if value < 0:
        return "-" + group(-value, decimals)
    return group(value, decimals)
