"""Presentation: turn ``QuarterlyData`` into the template context.

Everything here is formatting, ordering for display, charts and commentary;
no SQL. The template receives strings (already formatted), small dicts and
lists, and ``Markup`` only for the trusted CSS and the generated SVG charts;
every other value, including all CRM text, is escaped by Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from pipelines.reports import charts, commentary
from pipelines.reports.data import (
    AGING_BUCKETS,
    SEVERITIES,
    FindingCount,
    QuarterlyData,
    RankingRow,
)
from pipelines.reports.formatting import Change, Formatter, to_decimal
from pipelines.reports.i18n import Strings

#: Attainment at which a bar is full width in the ranking tables.
BAR_CAP = Decimal("1.5")


@dataclass(frozen=True)
class KpiCard:
    key: str
    label: str
    value: str
    detail: str | None
    qoq: Change
    yoy: Change


def _kpi_cards(data: QuarterlyData, fmt: Formatter, t: Strings) -> list[KpiCard]:
    cur, prev, ago = data.current, data.previous, data.year_ago

    def field(name: str):
        return (
            getattr(cur, name),
            getattr(prev, name) if prev else None,
            getattr(ago, name) if ago else None,
        )

    cards: list[KpiCard] = []

    def add(name: str, value: str, change, detail: str | None = None, better: bool | None = True):
        c, p, a = field(name)
        cards.append(
            KpiCard(
                name, t(f"kpi.{name}"), value, detail, change(c, p, better), change(c, a, better)
            )
        )

    add("revenue", fmt.headline_money(cur.revenue), fmt.change_pct)
    add("revenue_target", fmt.headline_money(cur.revenue_target), fmt.change_pct, better=None)
    add("revenue_attainment", fmt.pct(cur.revenue_attainment), fmt.change_pp)
    add("collections", fmt.headline_money(cur.collections), fmt.change_pct)
    add("orders", fmt.count(cur.orders), fmt.change_pct)
    add("new_customers", fmt.count(cur.new_customers), fmt.change_pct)
    add("avg_order_value", fmt.headline_money(cur.avg_order_value), fmt.change_pct)
    add(
        "win_rate",
        fmt.pct(cur.win_rate),
        fmt.change_pp,
        t("kpi.won_lost", won=fmt.count(cur.won), lost=fmt.count(cur.lost)),
    )
    add("avg_deal_size", fmt.headline_money(cur.avg_deal_size), fmt.change_pct)
    add(
        "avg_sales_cycle_days",
        fmt.days(cur.avg_sales_cycle_days),
        fmt.change_days,
        t("kpi.median_cycle", value=fmt.days(cur.median_sales_cycle_days))
        if cur.median_sales_cycle_days is not None
        else None,
        better=False,
    )
    return cards


def _status(attainment: float | None) -> str:
    d = to_decimal(attainment)
    if d is None:
        return "none"
    if d >= 1:
        return "met"
    return "near" if d >= Decimal("0.8") else "below"


def _bar(attainment: float | None) -> str:
    d = to_decimal(attainment)
    if d is None or d <= 0:
        return "0"
    return f"{min(d, BAR_CAP) / BAR_CAP * 100:.1f}"


def _ranking_rows(rows: list[RankingRow], fmt: Formatter, t: Strings) -> list[dict[str, Any]]:
    out = []
    rank = 0
    for r in rows:
        has = r.revenue_attainment is not None
        rank += 1 if has else 0
        out.append(
            dict(
                rank=str(rank) if has else "–",
                scope_id=r.scope_id,
                name=r.name,
                team=r.team or fmt.na,
                region=r.region or fmt.na,
                left=r.is_active is False,
                revenue=fmt.money(r.revenue),
                target=fmt.money(r.revenue_target)
                if r.revenue_target is not None
                else t("ranking.no_target"),
                attainment=fmt.pct(r.revenue_attainment),
                status=_status(r.revenue_attainment),
                bar=_bar(r.revenue_attainment),
                win_rate=fmt.pct(r.win_rate),
            )
        )
    return out


def _pivot(counts: list[FindingCount], unowned: str) -> list[dict[str, Any]]:
    table: dict[str | None, dict[str, int]] = {}
    for c in counts:
        table.setdefault(c.key, {s: 0 for s in SEVERITIES})
        table[c.key][c.severity] = table[c.key].get(c.severity, 0) + c.count
    rows = [
        dict(
            key=key if key is not None else unowned,
            unowned=key is None,
            counts=[by_sev.get(s, 0) for s in SEVERITIES],
            total=sum(by_sev.values()),
        )
        for key, by_sev in table.items()
    ]
    rows.sort(key=lambda r: (r["unowned"], -r["total"], r["key"]))
    return rows


def _unit(t: Strings, divisor: int, currency: str) -> str:
    return t(f"trend.unit_{divisor}", currency=currency)


def build_context(
    data: QuarterlyData,
    t: Strings,
    fmt: Formatter,
    *,
    css: str,
    generated_at: datetime,
    company_name: str | None = None,
) -> dict[str, Any]:
    q = data.quarter.label
    prev_label = data.quarter.previous().label
    ago_label = data.quarter.same_quarter_last_year().label
    cur = data.current

    # -- header
    # The marts only go as far as the loads: a quarter is "in progress" when the
    # latest load's as-of date is before its end (an explicit earlier as_of_date
    # only moves the receivables snapshot).
    in_progress = data.latest_load_as_of is not None and data.latest_load_as_of < cur.period_end
    header = dict(
        company=company_name or t("pack.scope_company"),
        quarter=q,
        period=t(
            "header.period_range", start=fmt.date(cur.period_start), end=fmt.date(cur.period_end)
        ),
        as_of=fmt.date(data.as_of_date),
        generated_at=fmt.timestamp(generated_at),
        currency=fmt.currency,
        in_progress=t(
            "pack.in_progress",
            start=fmt.date(cur.period_start),
            loaded=fmt.date(data.latest_load_as_of),
        )
        if in_progress
        else None,
    )

    # -- KPIs
    kpis = dict(
        cards=_kpi_cards(data, fmt, t),
        qoq_label=t("kpi.qoq_long", period=prev_label),
        yoy_label=t("kpi.yoy_long", period=ago_label),
        commentary=commentary.headline_commentary(
            cur, data.previous, data.year_ago, data.teams, q, prev_label, ago_label, fmt, t
        ),
    )

    # -- trend
    months = data.months
    quarter_months = {
        i for i, m in enumerate(months) if cur.period_start <= m.month_start <= cur.period_end
    }
    peak = max(
        [float(m.revenue) for m in months if m.revenue is not None]
        + [float(m.revenue_target) for m in months if m.revenue_target is not None]
        + [0.0]
    )
    divisor = charts.axis_scale(peak)
    trend_title = t("trend.title")
    has_months = any(m.revenue is not None for m in months)
    trend = dict(
        has_data=has_months,
        chart=Markup(
            charts.trend_chart(
                [m.month_start.strftime("%Y-%m") if m.period is None else m.period for m in months],
                [float(m.revenue) if m.revenue is not None else None for m in months],
                [float(m.revenue_target) if m.revenue_target is not None else None for m in months],
                quarter_months,
                title=trend_title,
                y_label=t("trend.axis", unit=_unit(t, divisor, fmt.currency)),
                revenue_label=t("trend.revenue"),
                target_label=t("trend.target"),
                divisor=divisor,
            )
        )
        if has_months
        else None,
        title=trend_title,
        rows=[
            dict(
                month=m.period or m.month_start.strftime("%Y-%m"),
                in_quarter=i in quarter_months,
                revenue=fmt.money(m.revenue),
                target=fmt.money(m.revenue_target),
                attainment=fmt.pct(m.revenue_attainment),
                status=_status(m.revenue_attainment),
            )
            for i, m in enumerate(months)
        ],
        commentary=commentary.trend_commentary(months, fmt, t),
    )

    # -- funnel
    weakest = commentary.weakest_stage(data.funnel)
    prev_by_order = {s.stage_order: s for s in data.funnel_previous}
    funnel_rows = []
    for s in data.funnel:
        p = prev_by_order.get(s.stage_order)
        funnel_rows.append(
            dict(
                stage=commentary.stage_pair(t, s),
                reached_from=fmt.count(s.reached_from),
                reached_to=fmt.count(s.reached_to),
                conversion=fmt.pct(s.conversion_rate),
                previous=fmt.pct(p.conversion_rate if p else None),
                change=fmt.change_pp(s.conversion_rate, p.conversion_rate if p else None),
                weakest=weakest is not None and s.stage_order == weakest.stage_order,
            )
        )
    funnel_title = t("funnel.title")
    funnel = dict(
        rows=funnel_rows,
        previous_label=prev_label,
        weakest=dict(
            stage=commentary.stage_pair(t, weakest),
            rate=fmt.pct(weakest.conversion_rate),
            previous=fmt.pct(
                prev_by_order[weakest.stage_order].conversion_rate
                if weakest.stage_order in prev_by_order
                else None
            ),
        )
        if weakest
        else None,
        chart=Markup(
            charts.funnel_chart(
                [commentary.stage_pair(t, s) for s in data.funnel],
                [s.conversion_rate for s in data.funnel],
                [
                    prev_by_order[s.stage_order].conversion_rate
                    if s.stage_order in prev_by_order
                    else None
                    for s in data.funnel
                ],
                next((i for i, s in enumerate(data.funnel) if s is weakest), None),
                title=funnel_title,
                x_label=t("funnel.axis"),
                current_label=t("funnel.current", quarter=q),
                previous_label=t("funnel.previous", quarter=prev_label),
            )
        )
        if weakest is not None
        else None,
        commentary=commentary.funnel_commentary(
            data.funnel, data.funnel_previous, q, prev_label, fmt, t
        ),
    )

    # -- lead sources
    leads = dict(
        rows=[
            dict(
                source=s.source,
                leads=fmt.count(s.leads),
                converted=fmt.count(s.converted),
                rate=fmt.pct(s.lead_conversion_rate),
            )
            for s in data.lead_sources
        ],
        commentary=commentary.lead_source_commentary(data.lead_sources, q, fmt, t),
    )

    # -- ranking
    ranking = dict(
        teams=_ranking_rows(data.teams, fmt, t),
        reps=_ranking_rows(data.reps, fmt, t),
        commentary=commentary.ranking_commentary(data.teams, data.reps, fmt, t),
    )

    # -- receivables
    rec = data.receivables
    total = sum((b.outstanding for b in rec.buckets), Decimal(0))
    rec_divisor = charts.axis_scale(float(max((b.outstanding for b in rec.buckets), default=0)))
    aging_title = t("receivables.title")
    receivables = dict(
        snapshot=fmt.date(rec.snapshot_date) if rec.snapshot_date else None,
        snapshot_note=t(
            "receivables.snapshot",
            snapshot=fmt.date(rec.snapshot_date),
            cutoff=fmt.date(data.as_of_date),
        )
        if rec.snapshot_date
        else None,
        buckets=[
            dict(
                key=b.bucket,
                label=t(f"bucket.{b.bucket}"),
                outstanding=fmt.money(b.outstanding),
                orders=fmt.count(b.orders),
                share=fmt.pct(b.outstanding / total if total else None),
            )
            for b in rec.buckets
        ],
        total=dict(
            outstanding=fmt.money(total),
            orders=fmt.count(sum(b.orders for b in rec.buckets)),
        ),
        chart=Markup(
            charts.aging_chart(
                [t(f"bucket.{b}") for b in AGING_BUCKETS],
                [float(b.outstanding) for b in rec.buckets],
                title=aging_title,
                y_label=t("receivables.axis", unit=_unit(t, rec_divisor, fmt.currency)),
                divisor=rec_divisor,
            )
        )
        if rec.snapshot_date
        else None,
        top=[
            dict(
                order_id=o.order_id,
                account=o.account_name or o.account_id or fmt.na,
                owner=o.rep_name or o.rep_id or fmt.na,
                currency=o.currency or fmt.na,
                due_date=fmt.date(o.due_date),
                days_overdue=fmt.count(o.days_overdue),
                outstanding=fmt.money(o.outstanding),
            )
            for o in rec.top_overdue
        ],
        overdue_orders=rec.overdue_orders,
        commentary=commentary.receivables_commentary(rec, fmt.date(data.as_of_date), fmt, t),
    )

    # -- data quality
    dq = data.quality
    open_quarantine = sum(c.count for c in dq.by_rule if c.severity == "quarantine")
    assessment = commentary.assess_trust(dq.latest_load, open_quarantine)
    load = dq.latest_load
    quality = dict(
        severities=[t(f"severity.{s}") for s in SEVERITIES],
        by_rule=_pivot(dq.by_rule, t("quality.unowned")),
        by_team=_pivot(dq.by_team, t("quality.unowned")),
        load=dict(
            value=t(
                "quality.load_value",
                load_id=load.load_id,
                date=fmt.date(load.as_of_date),
                files=fmt.count(load.files_loaded),
            ),
            rows_in=fmt.count(load.rows_in),
            rows_quarantined=fmt.count(load.rows_quarantined),
            share=fmt.pct(assessment.share, 2),
        )
        if load
        else None,
        trust=dict(
            level=assessment.level,
            label=t("trust.label", level=t(f"trust.level.{assessment.level}")),
            sentences=commentary.trust_statement(assessment, fmt, t),
        ),
        oldest=[
            dict(
                rule=f.rule,
                record=" · ".join(x for x in (f.entity, f.record_name or f.record_id) if x)
                or fmt.na,
                owner=f.owner_name or f.owner_rep_id or fmt.na,
                column=f.column_name or "",
                value_seen=f.value_seen if f.value_seen is not None else "",
                message=f.message or "",
                since=str(f.first_seen_load) if f.first_seen_load is not None else fmt.na,
            )
            for f in dq.oldest_quarantined
        ],
        commentary=commentary.quality_commentary(dq, fmt, t),
    )

    summary = [kpis["commentary"][0]]
    if funnel["commentary"] and weakest is not None:
        summary.append(funnel["commentary"][0])
    summary.append(ranking["commentary"][0])
    summary.append(receivables["commentary"][0])
    level = t(f"trust.level.{assessment.level}")
    summary.append(
        t("trust.summary", level=level, share=fmt.pct(assessment.share, 2))
        if assessment.share is not None
        else t("trust.summary_unknown", level=level)
    )

    return dict(
        t=t,
        html_lang=t("meta.html_lang"),
        css=Markup(css),
        document_title=t("pack.document_title", quarter=q, scope=header["company"]),
        header=header,
        summary=summary,
        kpis=kpis,
        trend=trend,
        funnel=funnel,
        leads=leads,
        ranking=ranking,
        receivables=receivables,
        quality=quality,
    )
