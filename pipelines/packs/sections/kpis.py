"""Headline KPIs vs target: this period, the previous one and the same period a year ago.

Reads the scope's rows of ``marts.fct_sales_performance``; in a rep's pack each card also
shows the team average (``marts.fct_team_averages`` of the team the rep was ranked in,
``fct_rep_scorecard.team``, and that team's own row for rates and averages). The headline's
"largest gap" names the team with the lowest attainment among the teams the ranking section
lists (company and region packs), read with the ranking's own query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Change, Formatter
from pipelines.packs.frame import Frame, PeriodMetrics, period_metrics
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

#: The input entities each KPI is computed from: without one the KPI is n/a (and the
#: headline says why instead of reading a figure of its absence).
FIGURE_ENTITIES: dict[str, tuple[str, ...]] = {
    "revenue": ("orders",),
    "revenue_attainment": ("orders",),
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
_PER_REP_MEANS = ("revenue", "revenue_target", "collections", "orders", "new_customers")


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
                  a.avg_orders, a.avg_new_customers
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
) -> list[str]:
    out: list[str] = []
    if missing_note is not None:
        out.append(missing_note)
    revenue = fmt.headline_money(cur.revenue)
    if "revenue" in unavailable:
        pass  # the note says why
    elif cur.revenue_target is None or cur.revenue_attainment is None:
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
    if "revenue" in unavailable:
        pass
    elif qoq.value is not None and yoy.value is not None:
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


def _kpi_cards(data: Kpis, fmt: Formatter, t: Strings) -> list[KpiCard]:
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
            format_kind(fmt, kind, team_benchmark(data, name))
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
        t("kpi.won_lost", won=fmt.count(cur.won), lost=fmt.count(cur.lost))
        if cur.won is not None
        else None,
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
