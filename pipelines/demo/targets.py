"""Targets and capability scores: what each rep was asked to deliver, and how they rated.

Targets are set per rep against their actual business (orders, collections, first orders
of new customers), scaled by a per-rep stretch factor so yearly attainment spreads from
about 60% to about 150%; team, region and company targets are the sums of their reps'.
Revenue targets are monthly, quarterly and yearly, the others quarterly, and they run to
the end of the quarter after the end date. Process targets (visits, proposals, quotes) are
set per rep and quarter from the rep's own activity counts, with a per-rep factor of 0.8 to
1.25 (managers ask for a little more or less activity than last year's), so the scorecard's
process part has something to score. Capability scores are drawn per rep and completed
quarter. Both are returned as contract-ordered rows of strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from .currency import FxRates, rate
from .formats import fmt_dec
from .records import Rec
from .timeline import SEASON, Timeline

#: Actual business per (rep id, calendar year), in the reporting currency.
Actuals = dict[tuple[str, int], float]
#: Target per (rep id, period: ``2025-03``, ``2025Q1`` or ``2025``).
RepTargets = dict[tuple[str, str], Decimal]

#: The process target metrics and the activity type each counts.
PROCESS_METRICS = {"visits": "visit", "proposals": "proposal", "quotes": "quote"}


def quarter_of(m: date) -> str:
    return f"{m.year}Q{(m.month - 1) // 3 + 1}"


def target_months(tl: Timeline) -> list[date]:
    """First days of the months from the first whole month to the end of the next quarter."""
    first = (
        tl.start
        if tl.start.day == 1
        else (tl.start.replace(day=28) + timedelta(days=4)).replace(day=1)
    )
    end_idx = tl.end.year * 12 + tl.end.month - 1
    last_idx = end_idx - (end_idx % 3) + 5  # last month of the next quarter
    months = []
    idx = first.year * 12 + first.month - 1
    while idx <= last_idx:
        months.append(date(idx // 12, idx % 12 + 1, 1))
        idx += 1
    return months


def whole_periods(months: list[date]) -> tuple[list[str], list[int]]:
    """The quarters and the years all of whose months are in ``months``."""
    month_set = set(months)
    quarters: list[str] = []
    for m in months:
        q = quarter_of(m)
        qm = date(m.year, (m.month - 1) // 3 * 3 + 1, 1)
        in_q = [date(qm.year, qm.month + k, 1) for k in range(3)]
        if q not in quarters and all(x in month_set for x in in_q):
            quarters.append(q)
    years = sorted(
        {m.year for m in months if all(date(m.year, k, 1) in month_set for k in range(1, 13))}
    )
    return quarters, years


def actuals(orders: list[Rec], fx: FxRates) -> tuple[Actuals, Actuals, Actuals]:
    """Revenue, collections and new customers per rep and year: the base of the targets."""
    live_orders = [o for o in orders if not o["quarantined"] and o["status"] != "cancelled"]
    revenue: Actuals = {}
    collections: Actuals = {}
    new_customers: Actuals = {}
    first_order: dict[int, Rec] = {}
    for o in live_orders:
        key = (o["rep"]["id"], o["ordered"].year)
        amount = o["total"] * rate(fx, o["currency"], o["ordered"].date())
        revenue[key] = revenue.get(key, 0.0) + float(amount)
        for p in o["payments"]:
            pkey = (o["rep"]["id"], p["paid"].year)
            paid = p["amount"] * rate(fx, p["currency"], p["paid"].date())
            collections[pkey] = collections.get(pkey, 0.0) + float(paid)
        acct = id(o["account"])
        if acct not in first_order or o["ordered"] < first_order[acct]["ordered"]:
            first_order[acct] = o
    for o in first_order.values():
        key = (o["rep"]["id"], o["ordered"].year)
        new_customers[key] = new_customers.get(key, 0) + 1
    return revenue, collections, new_customers


def activity_counts(activities: list[Rec]) -> dict[str, Actuals]:
    """Per process metric: activities of its type per rep and calendar year."""
    counts: dict[str, Actuals] = {metric: {} for metric in PROCESS_METRICS}
    for a in activities:
        for metric, kind in PROCESS_METRICS.items():
            if a["type"] == kind and a["rep"] is not None:
                key = (a["rep"]["id"], a["at"].year)
                counts[metric][key] = counts[metric].get(key, 0) + 1
    return counts


def per_month(tl: Timeline, actual: Actuals, rep: Rec, year: int | None) -> float:
    """Average actual per active month, in ``year`` (None: the whole history)."""
    lo, hi = max(tl.start, rep["hired_on"]), tl.end
    if rep["left_on"] is not None:
        hi = min(hi, rep["left_on"] - timedelta(days=1))
    if year is not None:
        lo, hi = max(lo, date(year, 1, 1)), min(hi, date(year, 12, 31))
    days = (hi - lo).days + 1
    years = [year] if year is not None else range(tl.start.year, tl.end.year + 1)
    total = sum(actual.get((rep["id"], y), 0) for y in years)
    if days < 60 or total <= 0:
        return 0.0
    return total / (days / 30.4375)


def on_15th(rep: Rec, m: date) -> bool:
    """Whether ``rep`` is employed on the 15th of month ``m``."""
    d = m + timedelta(days=14)
    return rep["hired_on"] <= d and (rep["left_on"] is None or rep["left_on"] > d)


def rep_targets(
    tl: Timeline,
    reps: list[Rec],
    months: list[date],
    quarters: list[str],
    revenue: Actuals,
    collections: Actuals,
    new_customers: Actuals,
) -> tuple[dict[tuple[str, date], Decimal], RepTargets, RepTargets]:
    """Each rep's monthly revenue, quarterly collections and quarterly new-customer targets."""
    r = tl.rng
    n = len(reps)
    factors = [0.6 + 0.9 * k / max(1, n - 1) for k in range(n)]
    r.shuffle(factors)
    rep_month: dict[tuple[str, date], Decimal] = {}
    rep_q_coll: RepTargets = {}
    rep_q_new: RepTargets = {}
    for rep, factor in zip(reps, factors, strict=True):
        rid = rep["id"]
        cfactor = factor * r.randint(90, 110) / 100
        mine = [m for m in months if on_15th(rep, m)]
        for year in sorted({m.year for m in mine}):
            in_year = [m for m in mine if m.year == year]
            season = sum(SEASON[m.month] for m in in_year) / len(in_year)
            base = (
                per_month(tl, revenue, rep, year) or per_month(tl, revenue, rep, None) or 300000.0
            )
            cbase = per_month(tl, collections, rep, year) or per_month(tl, collections, rep, None)
            nbase = per_month(tl, new_customers, rep, year) or per_month(
                tl, new_customers, rep, None
            )
            for m in in_year:
                v = base * SEASON[m.month] / season / factor * r.randint(94, 106) / 100
                rep_month[(rid, m)] = Decimal(max(1000, int(v) // 1000 * 1000))
            for q in sorted({quarter_of(m) for m in in_year}):
                if q not in quarters:
                    continue
                k = sum(1 for m in in_year if quarter_of(m) == q)
                c = (cbase or base) * k / cfactor * r.randint(94, 106) / 100
                rep_q_coll[(rid, q)] = Decimal(max(1000, int(c) // 1000 * 1000))
                rep_q_new[(rid, q)] = Decimal(max(1, int(nbase * k / factor + 0.5)))
    return rep_month, rep_q_coll, rep_q_new


def process_targets(
    tl: Timeline,
    reps: list[Rec],
    months: list[date],
    quarters: list[str],
    counts: dict[str, Actuals],
) -> dict[str, RepTargets]:
    """Each rep's quarterly visits, proposals and quotes targets: the rep's monthly count (the
    year's, else the whole history's) × the months employed in the quarter × the rep's
    factor (0.8-1.25), at least 1; none for a metric the rep never did."""
    r = tl.rng
    out: dict[str, RepTargets] = {metric: {} for metric in PROCESS_METRICS}
    for rep in reps:
        factor = r.randint(80, 125) / 100
        mine = [m for m in months if on_15th(rep, m)]
        for year in sorted({m.year for m in mine}):
            in_year = [m for m in mine if m.year == year]
            for metric in PROCESS_METRICS:
                base = per_month(tl, counts[metric], rep, year) or per_month(
                    tl, counts[metric], rep, None
                )
                if base <= 0:
                    continue
                for q in sorted({quarter_of(m) for m in in_year}):
                    if q not in quarters:
                        continue
                    k = sum(1 for m in in_year if quarter_of(m) == q)
                    v = base * k * factor * r.randint(94, 106) / 100
                    out[metric][(rep["id"], q)] = Decimal(max(1, int(v + 0.5)))
    return out


def revenue_periods(
    rep_month: dict[tuple[str, date], Decimal], quarters: list[str], years: list[int]
) -> RepTargets:
    """Monthly revenue targets summed to months, whole quarters and whole years."""
    rev: RepTargets = {}
    for (rid, m), v in rep_month.items():
        keys = [f"{m.year}-{m.month:02d}", quarter_of(m)]
        if m.year in years:
            keys.append(str(m.year))
        for k in keys:
            rev[(rid, k)] = rev.get((rid, k), Decimal(0)) + v
    return {k: v for k, v in rev.items() if len(k[1]) != 6 or k[1] in quarters}


def rollup(
    reps: list[Rec], metric: str, values: RepTargets, levels: Iterable[str]
) -> list[list[str]]:
    """Target rows of ``metric`` at each level, each scope the sum of its reps' targets."""
    rows: list[list[str]] = []
    periods = sorted({p for _, p in values}, key=lambda p: (len(p), p))
    for level in levels:
        scopes: dict[str, list[Rec]] = {}
        for rep in reps:
            key = {
                "company": "all",
                "region": rep["region"],
                "team": rep["team"],
                "rep": rep["id"],
            }[level]
            scopes.setdefault(key, []).append(rep)
        for scope, members in scopes.items():
            for p in periods:
                vals = [values[(x["id"], p)] for x in members if (x["id"], p) in values]
                if vals:
                    total = sum(vals, Decimal(0))
                    rows.append([p, level, scope, metric, "", fmt_dec(total)])
    return rows


def make_targets(
    tl: Timeline, reps: list[Rec], orders: list[Rec], fx: FxRates, activities: list[Rec]
) -> list[list[str]]:
    """The rows of targets.csv: revenue, collections and new customers at every level, and
    the process targets (visits, proposals, quotes) of reps and teams."""
    months = target_months(tl)
    quarters, years = whole_periods(months)
    revenue, collections, new_customers = actuals(orders, fx)
    rep_month, rep_q_coll, rep_q_new = rep_targets(
        tl, reps, months, quarters, revenue, collections, new_customers
    )
    rev = revenue_periods(rep_month, quarters, years)
    process = process_targets(tl, reps, months, quarters, activity_counts(activities))
    return (
        rollup(reps, "revenue", rev, ("company", "region", "team", "rep"))
        + rollup(reps, "collections", rep_q_coll, ("team", "rep"))
        + rollup(reps, "new_customers", rep_q_new, ("team", "rep"))
        + [
            row
            for metric, values in process.items()
            for row in rollup(reps, metric, values, ("team", "rep"))
        ]
    )


def make_capability(tl: Timeline, reps: list[Rec]) -> list[list[str]]:
    """The rows of capability_scores.csv: three scores per rep and completed quarter."""
    r = tl.rng
    rows: list[list[str]] = []
    q_start = date(tl.start.year, (tl.start.month - 1) // 3 * 3 + 1, 1)
    if q_start < tl.start:
        q_start = (q_start + timedelta(days=95)).replace(day=1)
    quarters = []
    qs = q_start
    while True:
        qe = (qs + timedelta(days=95)).replace(day=1) - timedelta(days=1)
        if qe > tl.end:
            break
        quarters.append((qs, qe))
        qs = qe + timedelta(days=1)
    for rep in reps:
        level = r.randint(60, 88)
        for qs, qe in quarters:
            if rep["hired_on"] > qs + timedelta(days=30):
                continue
            if rep["left_on"] is not None and rep["left_on"] <= qe:
                continue
            level = min(95, max(45, level + r.randint(-3, 4)))
            scores = [
                Decimal(min(200, max(0, 2 * level + r.randint(-16, 16)))) / 2 for _ in range(3)
            ]
            rows.append([rep["id"], quarter_of(qs)] + [fmt_dec(s) for s in scores])
    return rows
