"""Sales and marketing spend: the optional ``marketing_spend`` file, so the demo shows CAC.

Each team spends on ``events`` and ``digital`` every month from the first month of the
history to the end date: a share of the team's booked revenue that month (6 % to 12 %, drawn
per team and month, and at least 5 000 CNY), in CNY. The company's own rows state its whole
spend per channel: the teams' events and digital, plus ``brand`` (2 % to 4 % of the company's
revenue that month). Each level's rows are that scope's whole spend (CAC does not roll spend
up across levels). The draws come from their own ``random.Random`` seeded from the demo
seed, so adding spend leaves every other value of the drop as it was.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from .currency import REPORTING_CURRENCY, FxRates, rate
from .formats import fmt_dec
from .records import Rec
from .timeline import Timeline

#: Channels of the teams' spend; the company adds BRAND.
TEAM_CHANNELS = ("events", "digital")
BRAND = "brand"
#: Smallest monthly spend of a team and channel.
FLOOR = Decimal("2500")


def _months(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def make_spend(seed: int, tl: Timeline, reps: list[Rec], orders: list[Rec], fx: FxRates):
    """Contract-ordered rows (period, level, scope_id, channel, amount, currency)."""
    rng = random.Random(f"salesops-demo-spend-{seed}")
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for o in orders:
        if o["status"] == "cancelled" or o["ordered"].date() > tl.end:
            continue
        month = o["ordered"].strftime("%Y-%m")
        revenue[(month, o["rep"]["team"])] += o["total"] * rate(
            fx, o["currency"], o["ordered"].date()
        )
    teams = sorted({r["team"] for r in reps if r.get("team")})
    rows: list[list[str]] = []
    for month in _months(tl.start, tl.end):
        company: dict[str, Decimal] = defaultdict(Decimal)
        company_revenue = Decimal(0)
        for team in teams:
            base = revenue.get((month, team), Decimal(0))
            company_revenue += base
            for channel in TEAM_CHANNELS:
                share = Decimal(str(round(rng.uniform(0.03, 0.06), 4)))
                amount = max(FLOOR, (base * share).quantize(Decimal("0.01")))
                company[channel] += amount
                rows.append([month, "team", team, channel, fmt_dec(amount), REPORTING_CURRENCY])
        brand = Decimal(str(round(rng.uniform(0.02, 0.04), 4)))
        company[BRAND] = max(FLOOR, (company_revenue * brand).quantize(Decimal("0.01")))
        for channel in (*TEAM_CHANNELS, BRAND):
            rows.append(
                [month, "company", "all", channel, fmt_dec(company[channel]), REPORTING_CURRENCY]
            )
    return rows
