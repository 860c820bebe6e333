"""Headline KPIs vs target: this period, the previous one and the same period a year ago.

Reads the scope's rows of ``marts.fct_sales_performance``; in a rep's pack each card also
shows the team average (``marts.fct_team_averages`` of the team the rep was ranked in,
``fct_rep_scorecard.team``, and that team's own row for rates and averages). The headline's
"largest gap" names the team with the lowest attainment among the teams the ranking section
lists (company and region packs), read with the ranking's own query.

Bookings (``won_amount``, its ``bookings`` target and attainment) are cards of every pack; the
pack's lead amount (``Frame.lead``: revenue, or bookings when no orders were ever loaded but
opportunities were) heads the cards and the headline (``headline.<lead>_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Change, Formatter
from pipelines.packs.frame import REVENUE, Frame, Lead, PeriodMetrics, period_metrics
from pipelines.packs.sections.base import Ctx, Section, SectionContent, format_kind
from pipelines.packs.sections.ranking import (
    RankingRow,
    lowest_attainment,
    met_target,
    scope_teams,
)
from pipelines.packs.tables import Column, Table


@dataclass(frozen=True)
class TeamAverage:
    """A rep pack's benchmark: one row of ``marts.fct_team_averages`` (formula and grain
    in its yml) and the team's own ``fct_sales_performance`` row for rates and averages.
    """

    team: str
    reps: int
    revenue: Decimal | None
    revenue_target: Decimal | None
    collections: Decimal | None
    orders: Decimal | None
    new_customers: Decimal | None
    won_amount: Decimal | None
    won_amount_target: Decimal | None
    team_row: PeriodMetrics | None


@dataclass(frozen=True)
class Kpis:
    current: PeriodMetrics
    previous: PeriodMetrics | None
    year_ago: PeriodMetrics | None
    team_average: TeamAverage | None  # rep packs only
    teams: list[RankingRow]  # company and region packs: for the largest gap
    #: KPIs not shown: an entity they are computed from was never loaded (FIGURE_ENTITIES)
    unavailable: frozenset[str] = frozenset()
    #: the amount the pack leads with (``Frame.lead``): its KPIs come first, the headline's
    lead: Lead = REVENUE


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
    ("won_amount", "money", "change_pct", True),
    ("won_amount_target", "money", "change_pct", None),
    ("won_amount_attainment", "pct", "change_pp", True),
    ("collections", "money", "change_pct", True),
    ("orders", "count", "change_pct", True),
    ("new_customers", "count", "change_pct", True),
    ("avg_order_value", "money", "change_pct", True),
    ("win_rate", "pct", "change_pp", True),
    ("avg_deal_size", "money", "change_pct", True),
    ("avg_sales_cycle_days", "days", "change_days", False),
)

#: The input entities each KPI is computed from: without one the KPI is n/a (and the
#: headline says why instead of reading a figure of its absence).
FIGURE_ENTITIES: dict[str, tuple[str, ...]] = {
    "revenue": ("orders",),
    "revenue_attainment": ("orders",),
    "won_amount": ("opportunities",),
    "won_amount_attainment": ("opportunities",),
    "collections": ("payments",),
    "orders": ("orders",),
    "new_customers": ("orders",),
    "avg_order_value": ("orders",),
    "win_rate": ("opportunities",),
    "avg_deal_size": ("opportunities",),
    "avg_sales_cycle_days": ("opportunities",),
}

#: Fields blanked with a KPI (figures shown beside it).
_WITH = {
    "win_rate": ("won", "lost", "median_sales_cycle_days"),
    "avg_sales_cycle_days": ("median_sales_cycle_days",),
}


def unavailable(frame: Frame) -> set[str]:
    """The KPIs whose input entity was never loaded."""
    missing = set(frame.missing({e for es in FIGURE_ENTITIES.values() for e in es}))
    return {name for name, es in FIGURE_ENTITIES.items() if missing & set(es)}


def _blank(m: PeriodMetrics | None, names: set[str]) -> PeriodMetrics | None:
    if m is None or not names:
        return m
    fields = {f for n in names for f in (n, *_WITH.get(n, ()))}
    return replace(m, **{f: None for f in fields})


#: Every entity a KPI is computed from.
SECTION_ENTITIES: tuple[str, ...] = tuple(
    dict.fromkeys(e for es in FIGURE_ENTITIES.values() for e in es)
)

#: Team-average fields that are per-rep means (the rest come from the team's own row).
_PER_REP_MEANS = (
    "revenue",
    "revenue_target",
    "collections",
    "orders",
    "new_customers",
    "won_amount",
    "won_amount_target",
)


def kpi_order(lead: Lead) -> list[str]:
    """The KPIs in pack order: the lead amount, its target and attainment first."""
    first = [lead.amount, lead.target, lead.attainment]
    return first + [name for name, *_ in KPI_KINDS if name not in first]


# --------------------------------------------------------------------------- queries


def team_average(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, rep_id: str
) -> TeamAverage | None:
    """The benchmark beside a rep's figures: ``marts.fct_team_averages`` of the team the rep
    was in for the period (``fct_rep_scorecard.team``) and that team's own row.

    None when the rep has no team for the period.
    """
    rows = con.execute(
        """select a.team, a.reps, a.avg_revenue, a.avg_revenue_target, a.avg_collections,
                  a.avg_orders, a.avg_new_customers, a.avg_won_amount, a.avg_won_amount_target
           from marts.fct_rep_scorecard s
           join marts.fct_team_averages a
             on a.period_type = s.period_type and a.period = s.period and a.team = s.team
           where s.period_type = ? and s.period = ? and s.rep_id = ?""",
        [period_type, period, rep_id],
    ).fetchall()
    if not rows:
        return None
    team, *figures = rows[0]
    return TeamAverage(
        team, *figures, team_row=period_metrics(con, period_type, period, "team", team)
    )


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Kpis:
    scope, kind, period = frame.scope, frame.period.period_type, frame.period

    def metrics(label: str) -> PeriodMetrics | None:
        return period_metrics(con, kind, label, scope.level, scope.scope_id)

    blank = unavailable(frame)
    avg = team_average(con, kind, period.label, scope.scope_id) if scope.level == "rep" else None
    if avg is not None and blank:
        avg = replace(
            avg,
            team_row=_blank(avg.team_row, blank),
            **{f: None for f in _PER_REP_MEANS if f in blank},
        )
    return Kpis(
        lead=frame.lead,
        current=_blank(frame.current, blank),
        previous=_blank(metrics(period.previous().label), blank),
        year_ago=_blank(metrics(period.year_ago().label), blank),
        team_average=avg,
        teams=scope_teams(con, frame),
        unavailable=frozenset(blank),
    )


# --------------------------------------------------------------------------- commentary


def moved(t: Strings, change: Change) -> str:
    """``up 27.5%`` / ``down 3.0%`` / ``unchanged`` from a formatted change."""
    if change.direction is None:
        return t("move.na")
    if change.direction == "flat":
        return t("move.flat")
    return t(f"move.{change.direction}", value=change.text.lstrip("+-"))


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
    unavailable: frozenset[str] = frozenset(),
    missing_note: str | None = None,
    lead: Lead = REVENUE,
) -> list[str]:
    """The headline: the lead amount against its target, its change, the win rate.

    ``lead`` is revenue, or bookings (won amount) in a pack without orders; the sentences
    of the lead are ``headline.<lead.key>_*``.
    """
    out: list[str] = []
    if missing_note is not None:
        out.append(missing_note)
    amount, target, attainment = (
        getattr(cur, f) for f in (lead.amount, lead.target, lead.attainment)
    )
    shown = fmt.headline_money(amount)
    key = f"headline.{lead.key}"
    if lead.amount in unavailable:
        pass  # the note says why
    elif target is None or attainment is None:
        out.append(t(f"{key}_no_target", amount=shown, quarter=quarter, level=t(f"level.{level}")))
    else:
        values = dict(
            amount=shown, attainment=fmt.pct(attainment), target=fmt.headline_money(target)
        )
        worst = lowest_attainment(teams, lead)
        if worst is None:
            out.append(t(f"{key}_target", **values))
        else:
            worst_attainment = getattr(worst, lead.attainment)
            suffix = "_target_all_met" if met_target(worst_attainment) else "_target_gap"
            out.append(
                t(
                    key + suffix,
                    team=worst.name,
                    team_attainment=fmt.pct(worst_attainment),
                    **values,
                )
            )

    def change(m: PeriodMetrics | None, name: str):
        return fmt.change_pct(getattr(cur, name), getattr(m, name) if m else None)

    qoq, yoy = change(prev, lead.amount), change(year_ago, lead.amount)
    names = dict(previous=prev_label, year_ago=year_ago_label)
    if lead == REVENUE:  # revenue's sentences also say how collections moved
        names["collections_qoq"] = moved(t, change(prev, "collections"))
    if lead.amount in unavailable:
        pass
    elif qoq.value is not None and yoy.value is not None:
        out.append(t(f"{key}_qoq_yoy", qoq=moved(t, qoq), yoy=moved(t, yoy), **names))
    elif qoq.value is not None:
        out.append(t(f"{key}_qoq_only", qoq=moved(t, qoq), **names))
    elif yoy.value is not None:
        out.append(t(f"{key}_yoy_only", yoy=moved(t, yoy), **names))
    else:
        out.append(t("headline.no_comparison", **names))

    if "win_rate" in unavailable or cur.won is None or cur.lost is None:
        pass
    elif cur.won + cur.lost == 0:
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


# --------------------------------------------------------------------------- context


def team_benchmark(data: Kpis, name: str):
    """The team average shown beside a rep's figure (None outside rep packs)."""
    avg = data.team_average
    if avg is None:
        return None
    if name in _PER_REP_MEANS:
        return getattr(avg, name)
    return getattr(avg.team_row, name) if avg.team_row else None


def _detail(name: str, m: PeriodMetrics, fmt: Formatter, t: Strings) -> str | None:
    """The small print under a card's value."""
    if name == "win_rate" and m.won is not None:
        return t("kpi.won_lost", won=fmt.count(m.won), lost=fmt.count(m.lost))
    if name == "avg_sales_cycle_days" and m.median_sales_cycle_days is not None:
        return t("kpi.median_cycle", value=fmt.days(m.median_sales_cycle_days))
    return None


def _kpi_cards(data: Kpis, fmt: Formatter, t: Strings) -> list[KpiCard]:
    cur, prev, ago = data.current, data.previous, data.year_ago
    kinds = {name: (kind, change, better) for name, kind, change, better in KPI_KINDS}
    cards: list[KpiCard] = []
    for name in kpi_order(data.lead):
        kind, change_name, better = kinds[name]
        change = getattr(fmt, change_name)
        c = getattr(cur, name)
        p = getattr(prev, name) if prev else None
        a = getattr(ago, name) if ago else None
        bench = (
            format_kind(fmt, kind, team_benchmark(data, name))
            if data.team_average is not None
            else None
        )
        cards.append(
            KpiCard(
                name,
                t(f"kpi.{name}"),
                format_kind(fmt, kind, c),
                _detail(name, cur, fmt, t),
                change(c, p, better),
                change(c, a, better),
                bench,
            )
        )
    return cards


def context(data: Kpis, c: Ctx) -> SectionContent:
    t, fmt, cur = c.t, c.fmt, data.current
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
        source=f"marts.fct_sales_performance ({c.kind}, {c.level})",
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
    kinds = {name: kind for name, kind, _change, _better in KPI_KINDS}
    for name in kpi_order(data.lead):

        def value(m: PeriodMetrics | None, name: str = name):
            return getattr(m, name) if m is not None else None

        row = [t(f"kpi.{name}"), value(cur), value(data.previous), value(data.year_ago)]
        if avg:
            row.append(team_benchmark(data, name))
        rows.append(row)
    table = Table(
        "kpis",
        t("section.kpis"),
        columns,  # type: ignore[arg-type]
        rows,
        row_kinds=[kinds[name] for name in kpi_order(data.lead)],  # type: ignore[misc]
    )
    return SectionContent(
        content,
        headline_commentary(
            cur,
            data.previous,
            data.year_ago,
            data.teams,
            c.period,
            c.previous,
            c.year_ago,
            fmt,
            t,
            level=c.level,
            unavailable=data.unavailable,
            missing_note=c.missing_note(SECTION_ENTITIES) if data.unavailable else None,
            lead=data.lead,
        ),
        [table],
    )


def glance(data: Kpis, content: SectionContent, c: Ctx) -> str | None:
    """The headline sentence (the missing-inputs note heads "At a glance" already)."""
    skip = 1 if data.unavailable else 0
    return content.commentary[skip] if len(content.commentary) > skip else None


SECTION = Section(
    key="kpis",
    marts=(
        "marts.fct_sales_performance",
        "marts.fct_team_averages",
        "marts.fct_rep_scorecard",
        "marts.dim_sales_reps",
    ),
    load=load,
    context=context,
    glance=glance,
    figure_entities=FIGURE_ENTITIES,
)
