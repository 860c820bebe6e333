"""Deterministic commentary: sentences derived from the numbers, never invented.

Each ``*_commentary`` function takes values read by ``data.py`` and returns a
list of finished sentences (plain text; the template escapes them). Sentence
wording lives in the strings table; this module only decides *which* sentence
applies and fills it with formatted numbers. Selection rules (weakest stage,
largest gap, trust level) are spelled out here and in docs/review-pack.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pipelines.core.i18n import Strings
from pipelines.packs.data import (
    PROCESS_ACTIVITIES,
    PROCESS_TARGETED,
    AgingBucket,
    DataQuality,
    FunnelStage,
    LeadSource,
    LoadQuality,
    MonthPoint,
    PeriodMetrics,
    ProcessRow,
    RankingRow,
    Receivables,
    Scorecard,
)
from pipelines.packs.data_outlook import (
    Channel,
    Customers,
    ForecastQuarter,
    PipelineCoverage,
    ReceivablesKpis,
    Retention,
)
from pipelines.packs.formatting import Change, Formatter, to_decimal

# --------------------------------------------------------------------------- trust policy

TrustLevel = Literal["high", "moderate", "low", "unknown"]


@dataclass(frozen=True)
class TrustPolicy:
    """Thresholds of the trust statement (the one place they are set).

    A level is granted only if both the quarantined share of the latest load is
    *below* the share limit and the open quarantine findings are *at most* the
    count limit; otherwise the next level down applies.
    """

    high_max_share: Decimal = Decimal("0.01")
    moderate_max_share: Decimal = Decimal("0.05")
    high_max_open_quarantine: int = 10
    moderate_max_open_quarantine: int = 50


TRUST_POLICY = TrustPolicy()

#: A lead source needs this many leads before its conversion rate is called "best".
MIN_LEADS_FOR_BEST_SOURCE = 10

_LEVEL_ORDER: tuple[TrustLevel, ...] = ("high", "moderate", "low")


@dataclass(frozen=True)
class TrustAssessment:
    level: TrustLevel
    share: Decimal | None  # rows_quarantined / rows_in of the latest load
    open_quarantine: int
    load: LoadQuality | None


def assess_trust(
    load: LoadQuality | None, open_quarantine: int, policy: TrustPolicy = TRUST_POLICY
) -> TrustAssessment:
    if load is None or load.rows_in == 0:
        return TrustAssessment("unknown", None, open_quarantine, load)
    share = Decimal(load.rows_quarantined) / Decimal(load.rows_in)
    if share < policy.high_max_share:
        by_share = 0
    elif share < policy.moderate_max_share:
        by_share = 1
    else:
        by_share = 2
    if open_quarantine <= policy.high_max_open_quarantine:
        by_count = 0
    elif open_quarantine <= policy.moderate_max_open_quarantine:
        by_count = 1
    else:
        by_count = 2
    return TrustAssessment(_LEVEL_ORDER[max(by_share, by_count)], share, open_quarantine, load)


def trust_statement(
    a: TrustAssessment, fmt: Formatter, t: Strings, policy: TrustPolicy = TRUST_POLICY
) -> list[str]:
    rule = t(
        "trust.rule",
        high_share=fmt.pct(policy.high_max_share, 0),
        high_count=policy.high_max_open_quarantine,
        moderate_share=fmt.pct(policy.moderate_max_share, 0),
        moderate_count=policy.moderate_max_open_quarantine,
    )
    level = t(f"trust.level.{a.level}")
    if a.load is None or a.share is None:
        return [t("trust.unknown", level=level), rule]
    facts = t(
        "trust.facts",
        level=level,
        load_id=a.load.load_id,
        load_date=fmt.date(a.load.as_of_date),
        quarantined=fmt.count(a.load.rows_quarantined),
        rows_in=fmt.count(a.load.rows_in),
        share=fmt.pct(a.share, 2),
        open_quarantine=t.plural("trust.open_quarantine", a.open_quarantine),
    )
    return [facts, rule, t(f"trust.advice.{a.level}")]


def trust_summary(a: TrustAssessment, fmt: Formatter, t: Strings) -> str:
    """One sentence for "At a glance": the level and both measures it was judged on."""
    level = t(f"trust.level.{a.level}")
    open_quarantine = t.plural("trust.open_quarantine", a.open_quarantine)
    if a.share is None:
        return t("trust.summary_unknown", level=level, open_quarantine=open_quarantine)
    return t(
        "trust.summary",
        level=level,
        share=fmt.pct(a.share, 2),
        open_quarantine=open_quarantine,
    )


# --------------------------------------------------------------------------- helpers


def stage_label(t: Strings, stage: str) -> str:
    return t.get(f"stage.{stage}", stage)


def stage_pair(t: Strings, s: FunnelStage) -> str:
    return t(
        "funnel.stage_pair",
        stage_from=stage_label(t, s.stage_from),
        stage_to=stage_label(t, s.stage_to),
    )


def moved(t: Strings, change: Change) -> str:
    """``up 27.5%`` / ``down 3.0%`` / ``unchanged`` from a formatted change."""
    if change.direction is None:
        return t("move.na")
    if change.direction == "flat":
        return t("move.flat")
    return t(f"move.{change.direction}", value=change.text.lstrip("+-"))


def met_target(attainment: float | None) -> bool:
    d = to_decimal(attainment)
    return d is not None and d >= 1


def weakest_stage(stages: list[FunnelStage]) -> FunnelStage | None:
    """Lowest conversion rate; ties go to the earliest stage; stages without a rate are skipped."""
    rated = [s for s in stages if s.conversion_rate is not None]
    if not rated:
        return None
    return min(rated, key=lambda s: (s.conversion_rate, s.stage_order))


def lowest_attainment(rows: list[RankingRow]) -> RankingRow | None:
    rated = [r for r in rows if r.revenue_attainment is not None]
    if not rated:
        return None
    return min(rated, key=lambda r: (r.revenue_attainment, r.revenue, r.name))


# --------------------------------------------------------------------------- sections


def headline_commentary(
    cur: PeriodMetrics,
    prev: PeriodMetrics | None,
    year_ago: PeriodMetrics | None,
    teams: list[RankingRow],
    quarter: str,
    prev_label: str,
    year_ago_label: str,
    fmt: Formatter,
    t: Strings,
    level: str = "company",
) -> list[str]:
    out: list[str] = []
    revenue = fmt.headline_money(cur.revenue)
    if cur.revenue_target is None or cur.revenue_attainment is None:
        out.append(
            t(
                "headline.revenue_no_target",
                revenue=revenue,
                quarter=quarter,
                level=t(f"level.{level}"),
            )
        )
    else:
        values = dict(
            revenue=revenue,
            attainment=fmt.pct(cur.revenue_attainment),
            target=fmt.headline_money(cur.revenue_target),
        )
        worst = lowest_attainment(teams)
        if worst is None:
            out.append(t("headline.revenue_target", **values))
        else:
            key = (
                "headline.revenue_target_all_met"
                if met_target(worst.revenue_attainment)
                else "headline.revenue_target_gap"
            )
            out.append(
                t(key, team=worst.name, team_attainment=fmt.pct(worst.revenue_attainment), **values)
            )

    qoq = fmt.change_pct(cur.revenue, prev.revenue if prev else None)
    yoy = fmt.change_pct(cur.revenue, year_ago.revenue if year_ago else None)
    coll = fmt.change_pct(cur.collections, prev.collections if prev else None)
    names = dict(previous=prev_label, year_ago=year_ago_label)
    if qoq.value is not None and yoy.value is not None:
        out.append(
            t(
                "headline.qoq_yoy",
                qoq=moved(t, qoq),
                yoy=moved(t, yoy),
                collections_qoq=moved(t, coll),
                **names,
            )
        )
    elif qoq.value is not None:
        out.append(
            t("headline.qoq_only", qoq=moved(t, qoq), collections_qoq=moved(t, coll), **names)
        )
    elif yoy.value is not None:
        out.append(t("headline.yoy_only", yoy=moved(t, yoy), **names))
    else:
        out.append(t("headline.no_comparison", **names))

    if cur.won + cur.lost == 0:
        out.append(t("headline.no_closed", period=quarter))
    elif cur.won == 0:
        out.append(
            t(
                "headline.win_rate_none_won",
                win_rate=fmt.pct(cur.win_rate),
                lost=fmt.count(cur.lost),
            )
        )
    else:
        out.append(
            t(
                "headline.win_rate",
                win_rate=fmt.pct(cur.win_rate),
                won=fmt.count(cur.won),
                lost=fmt.count(cur.lost),
                deal_size=fmt.headline_money(cur.avg_deal_size),
                cycle=fmt.days(cur.avg_sales_cycle_days),
            )
        )
    return out


def trend_commentary(
    months: list[MonthPoint], fmt: Formatter, t: Strings, period: str = ""
) -> list[str]:
    with_data = [m for m in months if m.revenue is not None]
    if not with_data:
        return [t("trend.no_data", period=period)]
    first, last = with_data[0].period or "", with_data[-1].period or ""
    total = sum((m.revenue for m in with_data), Decimal(0))
    targeted = [m for m in with_data if m.revenue_target is not None and m.revenue_target != 0]
    out: list[str] = []
    if targeted:
        t_rev = sum((m.revenue for m in targeted), Decimal(0))
        t_tgt = sum((m.revenue_target for m in targeted), Decimal(0))
        out.append(
            t.plural(
                "trend.total_with_target",
                len(with_data),
                first=first,
                last=last,
                revenue=fmt.headline_money(total),
                target=fmt.headline_money(t_tgt),
                attainment=fmt.pct(t_rev / t_tgt),
                targeted=len(targeted),
            )
        )
    else:
        out.append(
            t.plural(
                "trend.total",
                len(with_data),
                first=first,
                last=last,
                revenue=fmt.headline_money(total),
            )
        )
    if len(with_data) > 1:
        best = max(with_data, key=lambda m: (m.revenue, m.month_start))
        worst = min(with_data, key=lambda m: (m.revenue, m.month_start))
        out.append(
            t(
                "trend.best_worst",
                best=best.period,
                best_value=fmt.headline_money(best.revenue),
                worst=worst.period,
                worst_value=fmt.headline_money(worst.revenue),
            )
        )
    if targeted:
        met = sum(1 for m in targeted if m.revenue >= m.revenue_target)
        out.append(t.plural("trend.months_met", len(targeted), met=met))
    return out


def funnel_commentary(
    stages: list[FunnelStage],
    previous: list[FunnelStage],
    quarter: str,
    prev_label: str,
    fmt: Formatter,
    t: Strings,
    previous_name: str = "",
) -> list[str]:
    weakest = weakest_stage(stages)
    if weakest is None:
        return [t("funnel.empty", quarter=quarter)]
    prev_by_order = {s.stage_order: s for s in previous}
    prev_weak = prev_by_order.get(weakest.stage_order)
    out = [
        t(
            "funnel.weakest",
            stage=stage_pair(t, weakest),
            rate=fmt.pct(weakest.conversion_rate),
            previous=prev_label,
            previous_name=previous_name or prev_label,
            previous_rate=fmt.pct(prev_weak.conversion_rate if prev_weak else None),
        )
    ]
    first, last = stages[0], stages[-1]
    if first.reached_from > 0:
        out.append(
            t(
                "funnel.overall",
                entered=fmt.count(first.reached_from),
                quarter=quarter,
                first_stage=stage_label(t, first.stage_from),
                last_stage=stage_label(t, last.stage_to),
                reached=fmt.count(last.reached_to),
                rate=fmt.pct(Decimal(last.reached_to) / Decimal(first.reached_from)),
            )
        )
    moves = []
    for s in stages:
        p = prev_by_order.get(s.stage_order)
        if p is None:
            continue
        change = fmt.change_pp(s.conversion_rate, p.conversion_rate)
        if change.value is not None:
            moves.append((abs(change.value), -s.stage_order, s, change))
    if moves:
        _, _, s, change = max(moves, key=lambda m: (m[0], m[1]))
        if change.direction == "flat":
            out.append(t("funnel.no_move", previous=prev_label))
        else:
            out.append(
                t(
                    "funnel.biggest_move",
                    stage=stage_pair(t, s),
                    previous=prev_label,
                    change=change.text,
                )
            )
    return out


def lead_source_commentary(
    sources: list[LeadSource], quarter: str, fmt: Formatter, t: Strings
) -> list[str]:
    if not sources:
        return [t("leads.empty", quarter=quarter)]
    leads = sum(s.leads for s in sources)
    converted = sum(s.converted for s in sources)
    out = [
        t(
            "leads.total",
            leads=fmt.count(leads),
            quarter=quarter,
            converted=fmt.count(converted),
            rate=fmt.pct(Decimal(converted) / Decimal(leads) if leads else None),
        )
    ]
    biggest = max(sources, key=lambda s: (s.leads, _neg(s.source)))
    eligible = [
        s
        for s in sources
        if s.leads >= MIN_LEADS_FOR_BEST_SOURCE and s.lead_conversion_rate is not None
    ]
    if eligible:
        best = max(eligible, key=lambda s: (s.lead_conversion_rate, s.leads))
        out.append(
            t(
                "leads.best",
                biggest=biggest.source,
                biggest_leads=fmt.count(biggest.leads),
                best=best.source,
                best_rate=fmt.pct(best.lead_conversion_rate),
                min_leads=MIN_LEADS_FOR_BEST_SOURCE,
            )
        )
    return out


def _neg(text: str) -> tuple[int, ...]:
    """Sort key that reverses string order (ties in max() go to the alphabetically first)."""
    return tuple(-ord(c) for c in text)


def ranking_commentary(
    teams: list[RankingRow], reps: list[RankingRow], fmt: Formatter, t: Strings
) -> list[str]:
    out: list[str] = []
    rated_teams = [r for r in teams if r.revenue_attainment is not None]
    if rated_teams:
        top = rated_teams[0]
        out.append(
            t(
                "ranking.teams",
                met=sum(1 for r in rated_teams if met_target(r.revenue_attainment)),
                n=len(rated_teams),
                best=top.name,
                best_attainment=fmt.pct(top.revenue_attainment),
            )
        )
    elif teams:
        out.append(t("ranking.no_team_targets"))
    rated_reps = [r for r in reps if r.revenue_attainment is not None]
    if rated_reps:
        top, bottom = rated_reps[0], rated_reps[-1]
        out.append(
            t(
                "ranking.reps",
                top=top.name,
                top_team=top.team or fmt.na,
                top_attainment=fmt.pct(top.revenue_attainment),
                bottom=bottom.name,
                bottom_team=bottom.team or fmt.na,
                bottom_attainment=fmt.pct(bottom.revenue_attainment),
                met=sum(1 for r in rated_reps if met_target(r.revenue_attainment)),
                n=len(rated_reps),
            )
        )
    untargeted = len(reps) - len(rated_reps)
    if untargeted:
        out.append(t.plural("ranking.reps_without_target", untargeted))
    if not out:
        out.append(t("ranking.empty"))
    return out


def bucket_total(buckets: list[AgingBucket], name: str) -> Decimal:
    return next((b.outstanding for b in buckets if b.bucket == name), Decimal(0))


def receivables_commentary(
    rec: Receivables, cutoff_label: str, fmt: Formatter, t: Strings
) -> list[str]:
    if rec.snapshot_date is None:
        return [t("receivables.no_snapshot", date=cutoff_label)]
    total = sum((b.outstanding for b in rec.buckets), Decimal(0))
    orders = sum(b.orders for b in rec.buckets)
    date = fmt.date(rec.snapshot_date)
    if total <= 0:
        return [t("receivables.nothing", date=date)]
    overdue = total - bucket_total(rec.buckets, "not_due")
    out = [
        t(
            "receivables.summary",
            date=date,
            total=fmt.headline_money(total),
            orders=t.plural("receivables.orders", orders, count=fmt.count(orders)),
            overdue=fmt.headline_money(overdue),
            share=fmt.pct(overdue / total),
        )
    ]
    over_90 = bucket_total(rec.buckets, "over_90")
    if over_90 > 0:
        out.append(
            t(
                "receivables.over_90",
                amount=fmt.headline_money(over_90),
                share=fmt.pct(over_90 / total),
            )
        )
    else:
        out.append(t("receivables.none_over_90"))
    if rec.top_overdue:
        top = rec.top_overdue[0]
        out.append(
            t(
                "receivables.largest",
                order=top.order_id,
                account=top.account_name or top.account_id or fmt.na,
                amount=fmt.headline_money(top.outstanding),
                days=fmt.count(top.days_overdue),
                rep=top.rep_name or top.rep_id or fmt.na,
            )
        )
    return out


def quality_commentary(dq: DataQuality, fmt: Formatter, t: Strings) -> list[str]:
    total = sum(c.count for c in dq.by_rule)
    if total == 0:
        return [t("quality.none_open")]
    quarantine = sum(c.count for c in dq.by_rule if c.severity == "quarantine")
    out = [
        t.plural(
            "quality.open",
            total,
            quarantine=fmt.count(quarantine),
            warn=fmt.count(total - quarantine),
        )
    ]
    per_rule: dict[str, int] = {}
    for c in dq.by_rule:
        per_rule[c.key or ""] = per_rule.get(c.key or "", 0) + c.count
    rule, count = max(per_rule.items(), key=lambda kv: (kv[1], _neg(kv[0])))
    out.append(t("quality.top_rule", rule=rule, count=fmt.count(count)))
    per_team: dict[str | None, int] = {}
    for c in dq.by_team:
        per_team[c.key] = per_team.get(c.key, 0) + c.count
    team, count = max(per_team.items(), key=lambda kv: (kv[1], _neg(kv[0] or "\uffff")))
    if team is None:
        out.append(t("quality.top_team_unowned", count=fmt.count(count)))
    else:
        out.append(t("quality.top_team", team=team, count=fmt.count(count)))
    return out


# --------------------------------------------------------------------------- scorecard, process


def scorecard_commentary(card: Scorecard, fmt: Formatter, t: Strings, rep_pack: bool) -> list[str]:
    """Rep pack: the rep's score and ranks against the team average. Otherwise: the top
    scorer (rows come best first; a tie goes to the first listed) and how many were scored."""
    scored = [r for r in card.rows if r.scorecard_score is not None]
    if not scored:
        return [t("scorecard.empty")]
    if rep_pack:
        r = scored[0]
        out = [
            t(
                "scorecard.rep",
                name=r.name,
                score=fmt.number(r.scorecard_score, 2),
                rank_in_team=fmt.count(r.rank_in_team),
                rank_in_company=fmt.count(r.rank_in_company),
            )
        ]
        if card.team_average is not None:
            out.append(
                t(
                    "scorecard.rep_vs_team",
                    team=r.team or fmt.na,
                    average=fmt.number(card.team_average, 2),
                    n=fmt.count(card.team_scored),
                )
            )
        return out
    top, bottom = scored[0], scored[-1]
    return [
        t(
            "scorecard.top",
            top=top.name,
            top_team=top.team or fmt.na,
            top_score=fmt.number(top.scorecard_score, 2),
            bottom=bottom.name,
            bottom_score=fmt.number(bottom.scorecard_score, 2),
            scored=len(scored),
            n=len(card.rows),
        )
    ]


def lowest_process_attainment(rows: list[ProcessRow]) -> tuple[ProcessRow, str] | None:
    """The (rep, activity) with the lowest attainment; ties go to the first listed."""
    found = [
        (a, i, row, m)
        for i, row in enumerate(rows)
        for m in PROCESS_TARGETED
        if (a := row.attainment.get(m)) is not None
    ]
    if not found:
        return None
    _a, _i, row, metric = min(found, key=lambda x: (x[0], x[1], PROCESS_TARGETED.index(x[3])))
    return row, metric


def process_commentary(rows: list[ProcessRow], fmt: Formatter, t: Strings) -> list[str]:
    """Totals of each activity over the rows, then the lowest attainment against a target."""
    if not rows:
        return [t("process.empty")]
    totals = {m: sum(r.counts[m] for r in rows) for m in PROCESS_ACTIVITIES}
    out = [
        t.plural(
            "process.totals",
            len(rows),
            **{m: fmt.count(v) for m, v in totals.items()},
        )
    ]
    lowest = lowest_process_attainment(rows)
    if lowest is None:
        out.append(t("process.no_targets"))
    else:
        row, metric = lowest
        out.append(
            t(
                "process.lowest",
                name=row.name,
                activity=t(f"process.{metric}"),
                attainment=fmt.pct(row.attainment[metric]),
                actual=fmt.count(row.counts[metric]),
                target=fmt.number(row.targets[metric], 0),
            )
        )
    return out


# --------------------------------------------------------------------------- outlook sections


def coverage_text(fmt: Formatter, coverage: float | None) -> str:
    """Coverage as a multiple of the target: ``2.35×``."""
    return fmt.na if coverage is None else fmt.t("pipeline.times", value=fmt.number(coverage, 2))


def pipeline_commentary(cov: PipelineCoverage, fmt: Formatter, t: Strings) -> list[str]:
    """Next quarter's pipeline and coverage (snapshot), then the first listed quarter's gap."""
    out: list[str] = []
    snap = cov.snapshot
    if snap is None:
        out.append(t("pipeline.no_snapshot"))
    else:
        out.append(
            t(
                "pipeline.entering",
                date=fmt.date(snap.snapshot_date),
                quarter=snap.next_quarter,
                open=fmt.headline_money(snap.open_pipeline),
                weighted=fmt.headline_money(snap.weighted_pipeline),
            )
        )
        if snap.coverage is not None:
            out.append(
                t(
                    "pipeline.coverage",
                    coverage=coverage_text(fmt, snap.coverage),
                    quarter=snap.next_quarter,
                    target=fmt.headline_money(snap.revenue_target),
                )
            )
        else:
            out.append(t("pipeline.no_target", quarter=snap.next_quarter))
    first = next((p for p in cov.periods if p.remaining_target is not None), None)
    if first is not None:
        if first.remaining_target <= 0:
            out.append(
                t(
                    "pipeline.target_met",
                    period=first.period,
                    booked=fmt.headline_money(first.revenue_booked),
                    target=fmt.headline_money(first.revenue_target),
                )
            )
        else:
            out.append(
                t(
                    "pipeline.remaining_sentence",
                    period=first.period,
                    remaining=fmt.headline_money(first.remaining_target),
                    open=fmt.headline_money(first.open_pipeline),
                    coverage=coverage_text(fmt, first.pipeline_coverage),
                )
            )
    return out


def forecast_commentary(rows: list[ForecastQuarter], fmt: Formatter, t: Strings) -> list[str]:
    """The next quarter's two forecasts, then how the last known quarter came in."""
    if not rows:
        return [t("forecast.none")]
    nxt = rows[-1]
    out = []
    if nxt.trend_forecast is None:
        out.append(
            t(
                "forecast.no_trend",
                quarter=nxt.forecast_quarter,
                pipeline=fmt.headline_money(nxt.pipeline_forecast),
            )
        )
    else:
        out.append(
            t(
                "forecast.next",
                quarter=nxt.forecast_quarter,
                trend=fmt.headline_money(nxt.trend_forecast),
                pipeline=fmt.headline_money(nxt.pipeline_forecast),
            )
        )
        if nxt.pipeline_forecast is not None and nxt.trend_forecast > 0:
            out.append(
                t("forecast.ratio", share=fmt.pct(nxt.pipeline_forecast / nxt.trend_forecast))
            )
    known = [r for r in rows if r.actual_revenue is not None and r.trend_forecast]
    if known:
        last = known[-1]
        out.append(
            t(
                "forecast.actual",
                quarter=last.forecast_quarter,
                actual=fmt.headline_money(last.actual_revenue),
                trend=fmt.headline_money(last.trend_forecast),
                share=fmt.pct(last.actual_revenue / last.trend_forecast),
            )
        )
    return out


def customers_commentary(cust: Customers, period: str, fmt: Formatter, t: Strings) -> list[str]:
    """Active, gained and churned customers; repeat purchase; the scope's A-tier accounts and
    their share of the scope's trailing revenue."""
    out = []
    r = cust.retention
    if r is None:
        out.append(t("customers.none", period=period))
    else:
        out.append(
            t(
                "customers.movement",
                start=fmt.count(r.active_at_start),
                end=fmt.count(r.active_at_end),
                date=fmt.date(r.measure_date),
                gained=fmt.count(r.gained),
                churned=fmt.count(r.churned),
                churn=fmt.pct(r.churn_rate),
                retention=fmt.pct(r.retention_rate),
            )
        )
        out.append(
            t(
                "customers.repeat",
                trailing=fmt.count(r.trailing_customers),
                repeat=fmt.count(r.repeat_customers),
                rate=fmt.pct(r.repeat_purchase_rate),
            )
        )
    total = sum((x.trailing_revenue for x in cust.tiers), Decimal(0))
    a = next(x for x in cust.tiers if x.tier == "A")
    if total > 0:
        out.append(
            t(
                "customers.tier_a",
                accounts=fmt.count(a.accounts),
                all=fmt.count(sum(x.accounts for x in cust.tiers)),
                share=fmt.pct(a.trailing_revenue / total),
            )
        )
    return out


def receivables_kpi_commentary(k: ReceivablesKpis, period: str, fmt: Formatter, t: Strings) -> str:
    """One sentence: DSO and the on-time collection rate of the period."""
    dso = t("receivables.dso_sentence", period=period, dso=fmt.days(k.dso_days))
    if k.on_time_collection_rate is None:
        return dso + t("fmt.sentence_sep") + t("receivables.nothing_due", period=period)
    return (
        dso
        + t("fmt.sentence_sep")
        + t(
            "receivables.on_time_sentence",
            rate=fmt.pct(k.on_time_collection_rate),
            due=fmt.headline_money(k.due_in_period),
        )
    )


#: fct_sales_channels' value for an unknown source or channel (never named as the best).
UNKNOWN_CHANNEL = "(none)"


def channels_commentary(
    channels: list[Channel], period: str, fmt: Formatter, t: Strings
) -> list[str]:
    """The sales channel with the most revenue, the known lead source with the most won amount."""
    sales = [c for c in channels if c.channel_type == "sales_channel"]
    sources = [c for c in channels if c.channel_type == "lead_source"]
    if not channels:
        return [t("channels.none", period=period)]
    out = []
    total = sum((c.revenue for c in sales), Decimal(0))
    if total > 0:
        top = max(sales, key=lambda c: (c.revenue, _neg(c.channel)))
        out.append(
            t(
                "channels.top_channel",
                channel=top.channel,
                period=period,
                revenue=fmt.headline_money(top.revenue),
                share=fmt.pct(top.revenue / total),
                total=fmt.headline_money(total),
            )
        )
    won = [c for c in sources if c.won_amount > 0 and c.channel != UNKNOWN_CHANNEL]
    if won:
        best = max(won, key=lambda c: (c.won_amount, _neg(c.channel)))
        out.append(
            t(
                "channels.top_source",
                source=best.channel,
                amount=fmt.headline_money(best.won_amount),
                won=fmt.count(best.won),
            )
        )
    if not out:
        out.append(t("channels.no_revenue", period=period))
    return out


# --------------------------------------------------------------------------- at a glance
# One sentence per outlook section for the top of the pack, from the section's own figures;
# None (no sentence) when the figure it states is missing.


def glance_pipeline(cov: PipelineCoverage | None, fmt: Formatter, t: Strings) -> str | None:
    """Open pipeline entering next quarter and its coverage of that quarter's target."""
    snap = cov.snapshot if cov is not None else None
    if snap is None or snap.coverage is None:
        return None
    return t(
        "glance.pipeline",
        quarter=snap.next_quarter,
        open=fmt.headline_money(snap.open_pipeline),
        date=fmt.date(snap.snapshot_date),
        coverage=coverage_text(fmt, snap.coverage),
        target=fmt.headline_money(snap.revenue_target),
    )


def glance_receivables(
    rec: Receivables, kpis: ReceivablesKpis | None, period: str, fmt: Formatter, t: Strings
) -> str | None:
    """DSO of the period and the overdue exposure of the aging snapshot (either may be absent)."""
    clauses = []
    if kpis is not None and kpis.dso_days is not None:
        clauses.append(t("glance.dso", period=period, dso=fmt.days(kpis.dso_days)))
    if rec.snapshot_date is not None:
        total = sum((b.outstanding for b in rec.buckets), Decimal(0))
        date = fmt.date(rec.snapshot_date)
        if total > 0:
            overdue = total - bucket_total(rec.buckets, "not_due")
            clauses.append(
                t(
                    "glance.overdue",
                    overdue=fmt.headline_money(overdue),
                    date=date,
                    share=fmt.pct(overdue / total),
                    total=fmt.headline_money(total),
                )
            )
        else:
            clauses.append(t("glance.nothing_outstanding", date=date))
    if not clauses:
        return None
    return t("glance.receivables", clauses=t("glance.clause_sep").join(clauses))


def glance_customers(
    retention: Retention | None, new_customers: int | None, period: str, fmt: Formatter, t: Strings
) -> str | None:
    """New (first order) and churned customers of the period, and those active at its end."""
    if retention is None or new_customers is None:
        return None
    return t(
        "glance.customers",
        new=fmt.count(new_customers),
        churned=fmt.count(retention.churned),
        period=period,
        active=fmt.count(retention.active_at_end),
        date=fmt.date(retention.measure_date),
    )
