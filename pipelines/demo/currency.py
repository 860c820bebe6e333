"""Currencies and fx rates: CNY is the reporting currency, USD the only other one.

``make_fx`` draws a USD -> CNY rate for every weekday of the history (a mean-reverting walk
between 7.1 and 7.3, 6 decimals); ``rate`` looks one up for a day, falling back to the
last weekday before it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from .timeline import Timeline

REPORTING_CURRENCY = "CNY"
SECOND_CURRENCY = "USD"

FxRates = dict[date, Decimal]


def make_fx(tl: Timeline) -> FxRates:
    """USD -> CNY per weekday from the last weekday on or before the start to the end."""
    fx: FxRates = {}
    d = tl.start
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    micro = 7_200_000 + tl.rng.randint(-40_000, 40_000)
    while d <= tl.end:
        if d.weekday() < 5:
            micro += tl.rng.randint(-9_000, 9_000) + (7_200_000 - micro) // 25
            micro = min(7_300_000, max(7_100_000, micro))
            fx[d] = Decimal(micro).scaleb(-6)
        d += timedelta(days=1)
    return fx


def rate(fx: FxRates, currency: str, d: date) -> Decimal:
    """Units of the reporting currency per unit of ``currency`` on ``d``."""
    if currency == REPORTING_CURRENCY:
        return Decimal(1)
    for back in range(15):
        r = fx.get(d - timedelta(days=back))
        if r is not None:
            return r
    return Decimal("7.2")
