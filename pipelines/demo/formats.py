"""How the demo drop writes values: ISO dates and times, plain decimals, lower-case bools."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

BUSINESS_UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai, no DST
Q2 = Decimal("0.01")
Q6 = Decimal("0.000001")


def fmt_ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def fmt_ts_offset(t: datetime) -> str:
    """Local business time written with an explicit +08:00 offset."""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"


def fmt_ts_utc(t: datetime) -> str:
    """Local business time written as the same instant in UTC (``Z``)."""
    return (t - BUSINESS_UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_dec(x: Decimal, places: int = 2) -> str:
    q = Q6 if places == 6 else Q2
    return format(x.quantize(q), "f")


def fmt_opt_date(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def fmt_opt_ts(t: datetime | None) -> str:
    return "" if t is None else fmt_ts(t)


def fmt_bool(b: bool | None) -> str:
    return "" if b is None else ("true" if b else "false")
