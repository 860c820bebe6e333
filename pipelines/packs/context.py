"""Presentation: turn ``PackData`` into the template context, one section at a time.

Everything here is formatting, ordering for display, charts and commentary;
no SQL. The template receives strings (already formatted), small dicts and
lists, and ``Markup`` only for the trusted CSS and the generated SVG charts;
every other value, including all CRM text, is escaped by Jinja (and contact
details in CRM text are masked first, see ``masking.py``).

Sections: ``SECTIONS`` lists them in pack order. Each is a key and a builder
``(data, ctx) -> SectionContent | None`` (None: the section does not apply to
this scope). The key names the HTML block ``reports/templates/sections/<key>.html``,
the anchor, the table-of-contents entry (``section.<key>``) and the Excel sheet.
Adding a section = a data function in ``data.py`` (a field of ``PackData``), a
builder here and its template block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from pipelines.core.i18n import Strings
from pipelines.packs import charts, commentary, data_outlook
from pipelines.packs.data import (
    AGING_BUCKETS,
    PROCESS_ACTIVITIES,
    PROCESS_TARGETED,
    SEVERITIES,
    FindingCount,
    PackData,
    PeriodMetrics,
    RankingRow,
)
from pipelines.packs.formatting import Change, Formatter, to_decimal
from pipelines.packs.masking import mask_contacts
from pipelines.packs.tables import Column, Table

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
    benchmark: str | None = None  # rep packs: the team average


#: KPI cards: (metric, kind, change function name, higher is better).
KPI_KINDS: tuple[tuple[str, str, str, bool | None], ...] = (
    ("revenue", "money", "change_pct", True),
    ("revenue_target", "money", "change_pct", None),
    ("revenue_attainment", "pct", "change_pp", True),
    ("collections", "money", "change_pct", True),
    ("orders", "count", "change_pct", True),
    ("new_customers", "count", "change_pct", True),
    ("avg_order_value", "money", "change_pct", True),
    ("win_rate", "pct", "change_pp", True),
    ("avg_deal_size", "money", "change_pct", True),
    ("avg_sales_cycle_days", "days", "change_days", False),
)

#: Team-average fields that are per-rep means (the rest come from the team's own row).
_PER_REP_MEANS = ("revenue", "revenue_target", "collections", "orders", "new_customers")


def team_benchmark(data: PackData, name: str):
    """The team average shown beside a rep's figure (None outside rep packs)."""
    avg = data.team_average
    if avg is None:
        return None
    if name in _PER_REP_MEANS:
        return getattr(avg, name)
    return getattr(avg.team_row, name) if avg.team_row else None


def _format_kind(fmt: Formatter, kind: str, value, headline: bool = True) -> str:
    if kind == "money":
        return fmt.headline_money(value) if headline else fmt.money(value)
    if kind == "pct":
        return fmt.pct(value)
    if kind == "days":
        return fmt.days(value)
    if kind == "count":
        return fmt.number(value, 0) if isinstance(value, Decimal) else fmt.count(value)
    if kind == "date":
        return fmt.date(value)
    return fmt.na if value is None else str(value)


def _kpi_cards(data: PackData, fmt: Formatter, t: Strings) -> list[KpiCard]:
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
        kind = next(k for n, k, _c, _b in KPI_KINDS if n == name)
        bench = (
            _format_kind(fmt, kind, team_benchmark(data, name))
            if data.team_average is not None
            else None
        )
        cards.append(
            KpiCard(
                name,
                t(f"kpi.{name}"),
                value,
                detail,
                change(c, p, better),
                change(c, a, better),
                bench,
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


@dataclass(frozen=True)
class Ctx:
    """What every section builder needs besides the data: wording, formats, labels."""

    t: Strings
    fmt: Formatter
    mask: bool = True
    period: str = ""  # '2026Q3' / '2026-07'
    previous: str = ""  # label of the previous period
    year_ago: str = ""  # label of the same period a year earlier
    kind: str = "quarter"  # 'quarter' / 'month'

    def crm(self, text: str | None) -> str | None:
        """CRM free text as the pack prints it: contact details masked unless unmasked."""
        return mask_contacts(text) if self.mask else text

    def p(self, key: str, **values: object) -> str:
        """A string of the period kind: ``p('pop')`` -> ``QoQ`` / ``MoM``."""
        return self.t(f"period.{self.kind}.{key}", **values)


@dataclass
class SectionContent:
    data: dict[str, Any]
    commentary: list[str]
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str
    data: dict[str, Any]
    commentary: list[str]
    tables: list[Table]


# --------------------------------------------------------------------------- sections


def kpis_section(data: PackData, c: Ctx) -> SectionContent:
    t, fmt, cur = c.t, c.fmt, data.current
    teams_for_gap = data.teams if data.scope.level in ("company", "region") else []
    avg = data.team_average
    content = dict(
        cards=_kpi_cards(data, fmt, t),
        pop_label=c.p("pop"),
        qoq_label=t("kpi.qoq_long", period=c.previous),
        yoy_label=t("kpi.yoy_long", period=c.year_ago),
        benchmark_label=t("kpi.team_average") if avg else None,
        benchmark_note=t("kpi.team_average_note", n=avg.reps, team=avg.team, period=c.period)
        if avg
        else None,
        source=f"marts.fct_sales_performance ({c.kind}, {data.scope.level})",
    )
    columns = [
        Column(t("excel.kpi")),
        Column(c.period, "number"),
        Column(c.previous, "number"),
        Column(c.year_ago, "number"),
    ]
    if avg:
        columns.append(Column(t("kpi.team_average"), "number"))
    rows: list[list[object]] = []
    kinds: list[str] = []
    for name, kind, _change, _better in KPI_KINDS:

        def value(m: PeriodMetrics | None, name: str = name):
            return getattr(m, name) if m is not None else None

        row = [t(f"kpi.{name}"), value(cur), value(data.previous), value(data.year_ago)]
        if avg:
            row.append(team_benchmark(data, name))
        rows.append(row)
        kinds.append(kind)
    table = Table("kpis", t("section.kpis"), columns, rows, row_kinds=kinds)  # type: ignore[arg-type]
    return SectionContent(
        content,
        commentary.headline_commentary(
            cur,
            data.previous,
            data.year_ago,
            teams_for_gap,
            c.period,
            c.previous,
            c.year_ago,
            fmt,
            t,
            level=data.scope.level,
        ),
        [table],
    )


def trend_section(data: PackData, c: Ctx) -> SectionContent:
    t, fmt, cur = c.t, c.fmt, data.current
    months = data.months
    in_period = {
        i for i, m in enumerate(months) if cur.period_start <= m.month_start <= cur.period_end
    }
    peak = max(
        [float(m.revenue) for m in months if m.revenue is not None]
        + [float(m.revenue_target) for m in months if m.revenue_target is not None]
        + [0.0]
    )
    divisor = charts.axis_scale(peak, wan=fmt.wan)
    title = t("trend.title")
    has_months = any(m.revenue is not None for m in months)
    labels = [m.period or m.month_start.strftime("%Y-%m") for m in months]
    chart = (
        Markup(
            charts.trend_chart(
                labels,
                [float(m.revenue) if m.revenue is not None else None for m in months],
                [float(m.revenue_target) if m.revenue_target is not None else None for m in months],
                in_period,
                title=title,
                y_label=t("trend.axis", unit=_unit(t, divisor, fmt.currency)),
                x_label=t("trend.month"),
                revenue_label=t("trend.revenue"),
                target_label=t("trend.target"),
                divisor=divisor,
            )
        )
        if has_months
        else None
    )
    rows = [
        dict(
            month=labels[i],
            in_quarter=i in in_period,
            revenue=fmt.money(m.revenue),
            target=fmt.money(m.revenue_target),
            attainment=fmt.pct(m.revenue_attainment),
            status=_status(m.revenue_attainment),
        )
        for i, m in enumerate(months)
    ]
    table = Table(
        "trend",
        title,
        [
            Column(t("trend.month")),
            Column(t("trend.revenue"), "money"),
            Column(t("trend.target"), "money"),
            Column(t("trend.attainment"), "pct"),
        ],
        [
            [labels[i], m.revenue, m.revenue_target, m.revenue_attainment]
            for i, m in enumerate(months)
        ],
    )
    return SectionContent(
        dict(
            has_data=has_months,
            chart=chart,
            title=title,
            rows=rows,
            note=t("trend.note"),
            source=f"marts.fct_sales_performance (month, {data.scope.level})",
        ),
        commentary.trend_commentary(months, fmt, t, c.period),
        [table] if has_months else [],
    )


def funnel_section(data: PackData, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    weakest = commentary.weakest_stage(data.funnel)
    prev_by_order = {s.stage_order: s for s in data.funnel_previous}

    def prev_rate(s):
        p = prev_by_order.get(s.stage_order)
        return p.conversion_rate if p else None

    rows = [
        dict(
            stage=commentary.stage_pair(t, s),
            reached_from=fmt.count(s.reached_from),
            reached_to=fmt.count(s.reached_to),
            conversion=fmt.pct(s.conversion_rate),
            previous=fmt.pct(prev_rate(s)),
            change=fmt.change_pp(s.conversion_rate, prev_rate(s)),
            weakest=weakest is not None and s.stage_order == weakest.stage_order,
        )
        for s in data.funnel
    ]
    title = t("funnel.title")
    chart = (
        Markup(
            charts.funnel_chart(
                [commentary.stage_pair(t, s) for s in data.funnel],
                [s.conversion_rate for s in data.funnel],
                [prev_rate(s) for s in data.funnel],
                next((i for i, s in enumerate(data.funnel) if s is weakest), None),
                title=title,
                x_label=t("funnel.axis"),
                y_label=t("funnel.stage"),
                current_label=t("funnel.current", quarter=c.period),
                previous_label=t("funnel.previous", quarter=c.previous),
            )
        )
        if weakest is not None
        else None
    )
    leads_rows = [
        dict(
            source=c.crm(s.source),
            leads=fmt.count(s.leads),
            converted=fmt.count(s.converted),
            rate=fmt.pct(s.lead_conversion_rate),
        )
        for s in data.lead_sources
    ]
    tables = [
        Table(
            "funnel",
            title,
            [
                Column(t("funnel.stage")),
                Column(t("funnel.reached_from"), "count"),
                Column(t("funnel.reached_to"), "count"),
                Column(t("funnel.conversion"), "pct"),
                Column(t("funnel.previous_conversion", quarter=c.previous), "pct"),
            ],
            [
                [
                    commentary.stage_pair(t, s),
                    s.reached_from,
                    s.reached_to,
                    s.conversion_rate,
                    prev_rate(s),
                ]
                for s in data.funnel
            ],
        ),
        Table(
            "leads",
            t("section.leads"),
            [
                Column(t("leads.source")),
                Column(t("leads.leads"), "count"),
                Column(t("leads.converted"), "count"),
                Column(t("leads.rate"), "pct"),
            ],
            [
                [c.crm(s.source), s.leads, s.converted, s.lead_conversion_rate]
                for s in data.lead_sources
            ],
        ),
    ]
    return SectionContent(
        dict(
            rows=rows,
            previous_label=c.previous,
            scope_note=t("funnel.scope_note") if data.scope.level != "company" else None,
            weakest=dict(
                stage=commentary.stage_pair(t, weakest),
                rate=fmt.pct(weakest.conversion_rate),
                previous=fmt.pct(prev_rate(weakest)),
            )
            if weakest
            else None,
            chart=chart,
            note=t("funnel.note"),
            leads=dict(
                rows=leads_rows,
                commentary=commentary.lead_source_commentary(data.lead_sources, c.period, fmt, t),
            ),
            source=f"marts.fct_funnel_conversion ({c.kind}, {data.scope.level})",
            leads_source=f"marts.fct_lead_sources ({c.kind}, {data.scope.level})",
        ),
        commentary.funnel_commentary(
            data.funnel,
            data.funnel_previous,
            c.period,
            c.previous,
            fmt,
            t,
            previous_name=c.p("previous_name"),
        ),
        tables,
    )


def _ranking_table(key: str, title: str, rows: list[RankingRow], group: str, c: Ctx) -> Table:
    t = c.t
    return Table(
        key,
        title,
        [
            Column(t("ranking.team" if key == "ranking-teams" else "ranking.rep")),
            Column(t(f"ranking.{group}")),
            Column(t("ranking.revenue"), "money"),
            Column(t("ranking.target"), "money"),
            Column(t("ranking.attainment"), "pct"),
            Column(t("ranking.win_rate"), "pct"),
        ],
        [
            [
                r.name,
                getattr(r, group),
                r.revenue,
                r.revenue_target,
                r.revenue_attainment,
                r.win_rate,
            ]
            for r in rows
        ],
    )


def ranking_section(data: PackData, c: Ctx) -> SectionContent | None:
    """Teams and reps of the scope; not in a rep's pack (no other rep's rows there)."""
    if data.scope.level == "rep":
        return None
    t, fmt = c.t, c.fmt
    tables = []
    if data.teams:
        tables.append(
            _ranking_table("ranking-teams", t("ranking.teams_heading"), data.teams, "region", c)
        )
    if data.reps:
        tables.append(
            _ranking_table("ranking-reps", t("ranking.reps_heading"), data.reps, "team", c)
        )
    return SectionContent(
        dict(
            teams=_ranking_rows(data.teams, fmt, t),
            reps=_ranking_rows(data.reps, fmt, t),
            note=t("ranking.note"),
            source=f"marts.fct_sales_performance ({c.kind}, team / rep), marts.dim_sales_reps",
        ),
        commentary.ranking_commentary(data.teams, data.reps, fmt, t),
        tables,
    )


def receivables_section(data: PackData, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    rec = data.receivables
    total = sum((b.outstanding for b in rec.buckets), Decimal(0))
    divisor = charts.axis_scale(
        float(max((b.outstanding for b in rec.buckets), default=0)), wan=fmt.wan
    )
    title = t("receivables.title")
    top = [
        dict(
            order_id=o.order_id,
            account=c.crm(o.account_name) or o.account_id or fmt.na,
            owner=o.rep_name or o.rep_id or fmt.na,
            currency=o.currency or fmt.na,
            due_date=fmt.date(o.due_date),
            days_overdue=fmt.count(o.days_overdue),
            outstanding=fmt.money(o.outstanding),
        )
        for o in rec.top_overdue
    ]
    tables = [
        Table(
            "aging",
            title,
            [
                Column(t("receivables.bucket")),
                Column(t("receivables.outstanding"), "money"),
                Column(t("receivables.orders_col"), "count"),
                Column(t("receivables.share"), "pct"),
            ],
            [
                [
                    t(f"bucket.{b.bucket}"),
                    b.outstanding,
                    b.orders,
                    b.outstanding / total if total else None,
                ]
                for b in rec.buckets
            ]
            + [[t("receivables.total"), total, sum(b.orders for b in rec.buckets), None]],
        ),
        Table(
            "overdue-top",
            t("receivables.top_heading"),
            [
                Column(t("receivables.order")),
                Column(t("receivables.account")),
                Column(t("receivables.owner")),
                Column(t("receivables.due_date"), "date"),
                Column(t("receivables.days_overdue"), "count"),
                Column(t("receivables.outstanding"), "money"),
                Column(t("receivables.currency")),
            ],
            [
                [
                    o.order_id,
                    c.crm(o.account_name) or o.account_id,
                    o.rep_name or o.rep_id,
                    o.due_date,
                    o.days_overdue,
                    o.outstanding,
                    o.currency,
                ]
                for o in rec.top_overdue
            ],
        ),
    ]
    # DSO and on-time collection of the period (fct_receivables_kpis), when the mart exists
    k = data.receivables_kpis
    kpi_names = (
        ("dso_days", "days"),
        ("on_time_collection_rate", "pct"),
        ("receivables_end", "money"),
        ("revenue", "money"),
        ("due_in_period", "money"),
        ("paid_on_time", "money"),
        ("days_measured", "count"),
    )
    kpi_table = Table(
        "receivables-kpis",
        t("receivables.kpis_heading"),
        [Column(t("receivables.kpi")), Column(c.period, "number")],
        [[t(f"receivables.{n}"), getattr(k, n) if k else None] for n, _kind in kpi_names],
        row_kinds=[kind for _n, kind in kpi_names],  # type: ignore[misc]
    )
    kpi_rows = (
        [
            dict(
                key=n,
                label=t(f"receivables.{n}"),
                value=_format_kind(fmt, kind, getattr(k, n), headline=False),
            )
            for n, kind in kpi_names
        ]
        if k
        else []
    )
    sentences = commentary.receivables_commentary(rec, fmt.date(data.as_of_date), fmt, t)
    if k:
        sentences.append(commentary.receivables_kpi_commentary(k, c.period, fmt, t))
    return SectionContent(
        dict(
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
                    title=title,
                    y_label=t("receivables.axis", unit=_unit(t, divisor, fmt.currency)),
                    x_label=t("receivables.bucket"),
                    divisor=divisor,
                )
            )
            if rec.snapshot_date
            else None,
            top=top,
            overdue_orders=rec.overdue_orders,
            note=t("receivables.note"),
            kpis=kpi_rows,
            kpis_note=t("receivables.kpis_note", date=fmt.date(k.measure_date)) if k else None,
            source="marts.fct_receivables_aging, marts.dim_accounts, marts.dim_sales_reps"
            + (f", marts.fct_receivables_kpis ({c.kind}, {data.scope.level})" if k else ""),
        ),
        sentences,
        ([kpi_table] if k else []) + (tables if rec.snapshot_date else []),
    )


def quality_section(data: PackData, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    dq = data.quality
    open_quarantine = sum(x.count for x in dq.by_rule if x.severity == "quarantine")
    assessment = commentary.assess_trust(dq.latest_load, open_quarantine)
    load = dq.latest_load
    by_rule = _pivot(dq.by_rule, t("quality.unowned"))
    by_team = _pivot(dq.by_team, t("quality.unowned"))
    oldest = [
        dict(
            rule=f.rule,
            record=" · ".join(x for x in (f.entity, c.crm(f.record_name) or f.record_id) if x)
            or fmt.na,
            owner=f.owner_name or f.owner_rep_id or fmt.na,
            column=f.column_name or "",
            value_seen=c.crm(f.value_seen) if f.value_seen is not None else "",
            message=c.crm(f.message) or "",
            since=str(f.first_seen_load) if f.first_seen_load is not None else fmt.na,
        )
        for f in dq.oldest_quarantined
    ]
    severities = [t(f"severity.{s}") for s in SEVERITIES]

    def pivot_table(key: str, title: str, label: str, rows) -> Table:
        return Table(
            key,
            title,
            [Column(label)]
            + [Column(s, "count") for s in severities]
            + [Column(t("quality.total"), "count")],
            [[r["key"], *r["counts"], r["total"]] for r in rows],
        )

    tables = [
        pivot_table("dq-by-rule", t("quality.by_rule"), t("quality.rule"), by_rule),
        pivot_table("dq-by-team", t("quality.by_team"), t("quality.team"), by_team),
        Table(
            "dq-oldest",
            t("quality.oldest_heading"),
            [
                Column(t("quality.rule")),
                Column(t("quality.record")),
                Column(t("quality.owner")),
                Column(t("quality.column")),
                Column(t("quality.value_seen")),
                Column(t("quality.message")),
                Column(t("quality.since_load"), "count"),
            ],
            [
                [
                    f["rule"],
                    f["record"],
                    f["owner"],
                    f["column"],
                    f["value_seen"],
                    f["message"],
                    o.first_seen_load,
                ]
                for f, o in zip(oldest, dq.oldest_quarantined, strict=True)
            ],
        ),
    ]
    if load:
        tables.append(
            Table(
                "latest-load",
                t("quality.latest_load"),
                [
                    Column(t("quality.latest_load")),
                    Column(t("quality.rows_in"), "count"),
                    Column(t("quality.rows_quarantined"), "count"),
                    Column(t("quality.share_quarantined"), "pct"),
                ],
                [[load.load_id, load.rows_in, load.rows_quarantined, assessment.share]],
            )
        )
    return SectionContent(
        dict(
            severities=severities,
            by_rule=by_rule,
            by_team=by_team,
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
                summary=commentary.trust_summary(assessment, fmt, t),
            ),
            oldest=oldest,
            scope_note=t("quality.scope_note") if data.scope.level != "company" else None,
            source="marts.dq_findings, marts.dim_sales_reps, meta.load_files, meta.loads",
        ),
        commentary.quality_commentary(dq, fmt, t),
        tables,
    )


def scorecard_section(data: PackData, c: Ctx) -> SectionContent | None:
    """The weighted scorecard of the scope's reps; a rep's pack: own row + team average."""
    card = data.scorecard
    if card is None:
        return None
    t, fmt = c.t, c.fmt
    rep_pack = data.scope.level == "rep"

    def score(v) -> str:
        return fmt.number(v, 2)

    rows = [
        dict(
            rep_id=r.rep_id,
            name=r.name,
            team=r.team or fmt.na,
            result=score(r.result_score),
            process=score(r.process_score),
            capability=score(r.capability_score),
            score=score(r.scorecard_score),
            rank_in_team=fmt.count(r.rank_in_team),
            rank_in_company=fmt.count(r.rank_in_company),
        )
        for r in card.rows
    ]
    team = card.rows[0].team if rep_pack and card.rows else None
    average_label = t("scorecard.team_average", team=team or fmt.na)
    table_rows: list[list[object]] = [
        [
            r.name,
            r.team,
            r.result_score,
            r.process_score,
            r.capability_score,
            r.scorecard_score,
            r.rank_in_team,
            r.rank_in_company,
        ]
        for r in card.rows
    ]
    if card.team_average is not None:
        table_rows.append([average_label, team, None, None, None, card.team_average, None, None])
    table = Table(
        "scorecard",
        t("section.scorecard"),
        [
            Column(t("ranking.rep")),
            Column(t("ranking.team")),
            Column(t("scorecard.result"), "number"),
            Column(t("scorecard.process"), "number"),
            Column(t("scorecard.capability"), "number"),
            Column(t("scorecard.score"), "number"),
            Column(t("scorecard.rank_in_team"), "count"),
            Column(t("scorecard.rank_in_company"), "count"),
        ],
        table_rows,
    )
    return SectionContent(
        dict(
            rows=rows,
            team_average=dict(label=average_label, score=score(card.team_average))
            if card.team_average is not None
            else None,
            note=t("scorecard.note"),
            source=f"marts.fct_rep_scorecard ({c.kind}), marts.dim_sales_reps",
        ),
        commentary.scorecard_commentary(card, fmt, t, rep_pack),
        [table],
    )


def process_section(data: PackData, c: Ctx) -> SectionContent:
    """Visits, calls, demos, proposals and quotes of the scope's reps, against their targets."""
    t, fmt = c.t, c.fmt
    rows = [
        dict(
            rep_id=r.rep_id,
            name=r.name,
            team=r.team or fmt.na,
            cells=[
                dict(
                    count=fmt.count(r.counts[m]),
                    target=fmt.number(r.targets[m], 0) if m in r.targets else None,
                    attainment=fmt.pct(r.attainment[m]) if m in r.attainment else None,
                    status=_status(r.attainment.get(m)),
                )
                for m in PROCESS_ACTIVITIES
            ],
        )
        for r in data.process
    ]
    columns = [Column(t("ranking.rep")), Column(t("ranking.team"))]
    for m in PROCESS_ACTIVITIES:
        columns.append(Column(t(f"process.{m}"), "count"))
        if m in PROCESS_TARGETED:
            columns.append(Column(t("process.target_of", activity=t(f"process.{m}")), "number"))
            columns.append(Column(t("process.attainment_of", activity=t(f"process.{m}")), "pct"))
    table_rows: list[list[object]] = []
    for r in data.process:
        values: list[object] = [r.name, r.team]
        for m in PROCESS_ACTIVITIES:
            values.append(r.counts[m])
            if m in PROCESS_TARGETED:
                values += [r.targets[m], r.attainment[m]]
        table_rows.append(values)
    return SectionContent(
        dict(
            activities=[
                dict(key=m, label=t(f"process.{m}"), targeted=m in PROCESS_TARGETED)
                for m in PROCESS_ACTIVITIES
            ],
            rows=rows,
            note=t("process.note"),
            source=f"marts.fct_sales_performance ({c.kind}, rep), marts.fct_rep_scorecard",
        ),
        commentary.process_commentary(data.process, fmt, t),
        [Table("process", t("section.process"), columns, table_rows)],
    )


# --------------------------------------------------------------------------- outlook sections
# Each shows its tables through the template macro ``m.grid``: a heading, column labels
# (numeric columns right-aligned) and rows of already formatted strings.


#: A table of more columns than this prints smaller (class ``wide``) to fit the page.
WIDE_COLUMNS = 6


def _grid(key: str, heading: str | None, table: Table, rows: list[list[str]]) -> dict[str, Any]:
    return dict(
        id=f"{key}-table",
        heading=heading,
        columns=[dict(label=col.label, num=col.kind != "text") for col in table.columns],
        rows=rows,
        wide=len(table.columns) > WIDE_COLUMNS,
    )


def _table_grid(
    key: str,
    heading: str | None,
    table: Table,
    fmt: Formatter,
    cells: dict[int, Callable[[Any], str]] | None = None,
) -> dict[str, Any]:
    """The HTML grid of ``table``, each value formatted as its kind says (the row's kind
    where the table has ``row_kinds``, amounts in full); ``cells`` formats the columns of
    those indexes another way. The workbook gets ``table`` itself: one set of values, two
    renderings."""
    rows = []
    for i, row in enumerate(table.rows):
        shown = []
        for j, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            kind = column.kind
            if table.row_kinds is not None and kind != "text":
                kind = table.row_kinds[i]
            if cells and j in cells:
                shown.append(cells[j](value))
            else:
                shown.append(_format_kind(fmt, kind, value, headline=False))
        rows.append(shown)
    return _grid(key, heading, table, rows)


def pipeline_section(data: PackData, c: Ctx) -> SectionContent | None:
    """Coverage entering next quarter (snapshot) and open pipeline by expected-close quarter."""
    cov = data.pipeline
    if cov is None:
        return None
    t, fmt = c.t, c.fmt
    snap = cov.snapshot
    coverage = Table(
        "coverage",
        t("pipeline.coverage_heading"),
        [
            Column(t("pipeline.snapshot_date"), "date"),
            Column(t("pipeline.quarter")),
            Column(t("pipeline.open"), "money"),
            Column(t("pipeline.weighted"), "money"),
            Column(t("pipeline.target"), "money"),
            Column(t("pipeline.coverage_col"), "number"),
        ],
        [
            [
                snap.snapshot_date,
                snap.next_quarter,
                snap.open_pipeline,
                snap.weighted_pipeline,
                snap.revenue_target,
                snap.coverage,
            ]
        ]
        if snap
        else [],
    )
    by_period = Table(
        "pipeline",
        t("pipeline.by_period_heading"),
        [
            Column(t("pipeline.quarter")),
            Column(t("pipeline.opportunities"), "count"),
            Column(t("pipeline.open"), "money"),
            Column(t("pipeline.weighted"), "money"),
            Column(t("pipeline.target"), "money"),
            Column(t("pipeline.booked"), "money"),
            Column(t("pipeline.remaining"), "money"),
            Column(t("pipeline.coverage_col"), "number"),
        ],
        [
            [
                p.period,
                p.open_opportunities,
                p.open_pipeline,
                p.weighted_pipeline,
                p.revenue_target,
                p.revenue_booked,
                p.remaining_target,
                p.pipeline_coverage,
            ]
            for p in cov.periods
        ],
    )

    def times(coverage: float | None) -> str:
        return commentary.coverage_text(fmt, coverage)

    grids = [
        _table_grid(x.key, heading, x, fmt, cells={len(x.columns) - 1: times})
        for x, heading in ((coverage, None), (by_period, t("pipeline.by_period_heading")))
        if x.rows
    ]
    return SectionContent(
        dict(
            grids=grids,
            notes=[t("pipeline.note")],
            source="marts.fct_pipeline_snapshots, marts.fct_pipeline"
            f" (quarter, {data.scope.level})",
        ),
        commentary.pipeline_commentary(cov, fmt, t),
        [x for x in (coverage, by_period) if x.rows],
    )


def forecast_section(data: PackData, c: Ctx) -> SectionContent | None:
    """Trend and pipeline forecast of next quarter beside the past quarters' actuals."""
    rows = data.forecast
    if rows is None:
        return None
    t, fmt = c.t, c.fmt
    table = Table(
        "forecast",
        t("section.forecast"),
        [
            Column(t("forecast.quarter")),
            Column(t("forecast.origin"), "date"),
            Column(t("forecast.trend"), "money"),
            Column(t("forecast.pipeline"), "money"),
            Column(t("forecast.actual_col"), "money"),
            Column(t("forecast.method")),
        ],
        [
            [
                r.forecast_quarter,
                r.origin_date,
                r.trend_forecast,
                r.pipeline_forecast,
                r.actual_revenue,
                t(f"forecast.method_{r.trend_method or 'none'}"),
            ]
            for r in rows
        ],
    )
    grid = _grid(
        "forecast",
        None,
        table,
        [
            [
                r.forecast_quarter,
                fmt.date(r.origin_date),
                fmt.money(r.trend_forecast),
                fmt.money(r.pipeline_forecast),
                fmt.money(r.actual_revenue),
                t(f"forecast.method_{r.trend_method or 'none'}"),
            ]
            for r in rows
        ],
    )
    notes = [t("forecast.note")]
    source = f"marts.fct_revenue_forecast ({data.scope.level})"
    return SectionContent(
        dict(grids=[grid] if rows else [], notes=notes, source=source),
        commentary.forecast_commentary(rows, fmt, t),
        [table] if rows else [],
    )


def customers_section(data: PackData, c: Ctx) -> SectionContent | None:
    """Customer movement and repeat purchase of the scope; its accounts by company ABC tier."""
    cust = data.customers
    if cust is None:
        return None
    t, fmt = c.t, c.fmt
    r = cust.retention
    kinds = ["count", "count", "count", "count", "count", "pct", "pct", "count", "count", "pct"]
    names = [
        "active_at_start",
        "active_at_end",
        "new_customers",
        "gained",
        "churned",
        "churn_rate",
        "retention_rate",
        "trailing_customers",
        "repeat_customers",
        "repeat_purchase_rate",
    ]

    def value(name: str):
        if name == "new_customers":
            return data.current.new_customers
        return getattr(r, name) if r else None

    movement = Table(
        "customers",
        t("customers.movement_heading"),
        [Column(t("customers.measure")), Column(c.period, "number")],
        [[t(f"customers.{n}"), value(n)] for n in names],
        row_kinds=kinds,  # type: ignore[arg-type]
    )
    total = sum((x.trailing_revenue for x in cust.tiers), Decimal(0))
    tiers = Table(
        "tiers",
        t("customers.tiers_heading"),
        [
            Column(t("customers.tier")),
            Column(t("customers.accounts"), "count"),
            Column(t("customers.trailing_revenue"), "money"),
            Column(t("customers.share"), "pct"),
        ],
        [
            [x.tier, x.accounts, x.trailing_revenue, x.trailing_revenue / total if total else None]
            for x in cust.tiers
        ],
    )

    grids = [
        _table_grid("customers", None, movement, fmt),
        _table_grid("tiers", t("customers.tiers_heading"), tiers, fmt),
    ]
    notes = [t("customers.note")]
    if data.scope.level != "company":
        notes.append(t("customers.tiers_scope_note"))
    return SectionContent(
        dict(
            grids=grids,
            notes=notes,
            source=f"marts.fct_customer_retention ({c.kind}, {data.scope.level}), "
            f"marts.fct_customer_value_tiers ({c.kind}, {data.scope.level}), "
            "marts.fct_sales_performance",
        ),
        commentary.customers_commentary(cust, c.period, fmt, t),
        [movement, tiers],
    )


def channels_section(data: PackData, c: Ctx) -> SectionContent | None:
    """Leads, conversion, won amount and revenue by lead source and by sales channel."""
    channels = data.channels
    if channels is None:
        return None
    t, fmt = c.t, c.fmt
    tables, grids = [], []
    for kind in data_outlook.CHANNEL_TYPES:
        rows = [x for x in channels if x.channel_type == kind]
        if not rows:
            continue
        sources = kind == "lead_source"
        columns = [Column(t(f"channels.{kind}"))]
        if sources:
            columns += [
                Column(t("channels.leads"), "count"),
                Column(t("channels.converted"), "count"),
                Column(t("channels.conversion"), "pct"),
            ]
        columns += [
            Column(t("channels.opportunities"), "count"),
            Column(t("channels.won"), "count"),
            Column(t("channels.won_amount"), "money"),
            Column(t("channels.orders"), "count"),
            Column(t("channels.revenue"), "money"),
        ]

        def typed(x, sources: bool = sources) -> list[object]:
            lead = [x.leads, x.converted_leads, x.lead_conversion_rate] if sources else []
            return [
                c.crm(x.channel),
                *lead,
                x.opportunities_created,
                x.won,
                x.won_amount,
                x.orders,
                x.revenue,
            ]

        def shown(x, sources: bool = sources) -> list[str]:
            lead = (
                [fmt.count(x.leads), fmt.count(x.converted_leads), fmt.pct(x.lead_conversion_rate)]
                if sources
                else []
            )
            return [
                c.crm(x.channel) or fmt.na,
                *lead,
                fmt.count(x.opportunities_created),
                fmt.count(x.won),
                fmt.money(x.won_amount),
                fmt.count(x.orders),
                fmt.money(x.revenue),
            ]

        key = f"channels-{kind.replace('_', '-')}"
        table = Table(key, t(f"channels.{kind}_heading"), columns, [typed(x) for x in rows])
        tables.append(table)
        grids.append(_grid(key, t(f"channels.{kind}_heading"), table, [shown(x) for x in rows]))
    notes = [t("channels.note")]
    masked = [replace(x, channel=c.crm(x.channel) or fmt.na) for x in channels]
    source = f"marts.fct_sales_channels ({c.kind}, {data.scope.level})"
    return SectionContent(
        dict(grids=grids, notes=notes, source=source),
        commentary.channels_commentary(masked, c.period, fmt, t),
        tables,
    )


Builder = Callable[[PackData, Ctx], SectionContent | None]

#: The pack's sections in order. A new section (process activity, scorecard, ...) is
#: one entry here, one data function in data.py (or data_outlook.py) and one block in
#: reports/templates/sections/<key>.html.
SECTIONS: tuple[tuple[str, Builder], ...] = (
    ("kpis", kpis_section),
    ("trend", trend_section),
    ("forecast", forecast_section),
    ("funnel", funnel_section),
    ("ranking", ranking_section),
    ("scorecard", scorecard_section),
    ("process", process_section),
    ("pipeline", pipeline_section),
    ("receivables", receivables_section),
    ("customers", customers_section),
    ("channels", channels_section),
    ("quality", quality_section),
)


def scope_name(data: PackData, t: Strings, company_name: str | None = None) -> str:
    scope = data.scope
    if scope.level == "company":
        return company_name or t("pack.scope_company")
    if scope.level == "rep":
        rep = data.team_average
        return t(
            "scope.rep",
            rep_id=scope.scope_id,
            name=data.rep_name or scope.scope_id,
            team=rep.team if rep else t("fmt.na"),
        )
    return t(f"scope.{scope.level}", name=scope.scope_id)


def build_context(
    data: PackData,
    t: Strings,
    fmt: Formatter,
    *,
    css: str,
    generated_at: datetime,
    company_name: str | None = None,
    mask_contacts: bool = True,
) -> dict[str, Any]:
    period = data.period
    c = Ctx(
        t=t,
        fmt=fmt,
        mask=mask_contacts,
        period=period.label,
        previous=period.previous().label,
        year_ago=period.year_ago().label,
        kind=period.period_type,
    )
    cur = data.current
    # The marts only go as far as the loads: a period is "in progress" when the
    # latest load's as-of date is before its end (an explicit earlier as_of_date
    # only moves the receivables snapshot).
    in_progress = data.latest_load_as_of is not None and data.latest_load_as_of < cur.period_end
    scope = scope_name(data, t, company_name)
    header = dict(
        company=scope,
        scope_level=t(f"level.{data.scope.level}"),
        quarter=period.label,
        period_name=c.p("header"),
        period=t(
            "header.period_range", start=fmt.date(cur.period_start), end=fmt.date(cur.period_end)
        ),
        as_of=fmt.date(data.as_of_date),
        generated_at=fmt.timestamp(generated_at),
        currency=fmt.currency,
        eyebrow=c.p("eyebrow"),
        in_progress=c.p(
            "in_progress", start=fmt.date(cur.period_start), loaded=fmt.date(data.latest_load_as_of)
        )
        if in_progress
        else None,
    )
    sections: list[Section] = []
    for key, builder in SECTIONS:
        content = builder(data, c)
        if content is None:
            continue
        sections.append(
            Section(
                key,
                len(sections) + 1,
                t(f"section.{key}"),
                content.data,
                content.commentary,
                content.tables,
            )
        )
    by_key = {s.key: s for s in sections}

    summary = [by_key["kpis"].commentary[0]]
    if by_key["funnel"].commentary and by_key["funnel"].data["weakest"] is not None:
        summary.append(by_key["funnel"].commentary[0])
    if "ranking" in by_key:
        summary.append(by_key["ranking"].commentary[0])
    outlook = (
        commentary.glance_pipeline(data.pipeline, fmt, t),
        commentary.glance_receivables(data.receivables, data.receivables_kpis, c.period, fmt, t),
        commentary.glance_customers(
            data.customers.retention if data.customers else None,
            cur.new_customers,
            c.period,
            fmt,
            t,
        ),
    )
    summary += [s for s in outlook if s is not None]
    summary.append(by_key["quality"].data["trust"]["summary"])

    return dict(
        t=t,
        html_lang=t("meta.html_lang"),
        css=Markup(css),
        document_title=c.p("document_title", period=period.label, scope=scope),
        header=header,
        summary=summary,
        sections=sections,
    )
