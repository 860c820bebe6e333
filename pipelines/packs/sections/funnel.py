"""Funnel conversion and lead sources of the scope's creation cohort of the period.

Reads the scope's rows of ``marts.fct_funnel_conversion`` (this period and the previous one),
``marts.fct_lead_sources`` and ``marts.fct_lead_to_cash_funnel`` (lead -> opportunity -> won ->
ordered -> paid of the period's lead cohort; a warehouse without that mart leaves its table
out). A lead without an owner counts in the company pack only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
from markupsafe import Markup

from pipelines.core.i18n import Strings
from pipelines.packs import charts
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import (
    Ctx,
    Section,
    SectionContent,
    reverse_text,
    table_grid,
)
from pipelines.packs.tables import Column, Table

#: A lead source needs this many leads before its conversion rate is called "best".
MIN_LEADS_FOR_BEST_SOURCE = 10


@dataclass(frozen=True)
class FunnelStage:
    stage_order: int
    stage_from: str
    stage_to: str
    reached_from: int
    reached_to: int
    conversion_rate: float | None
    #: Reached stage_to, whether or not stage_from (stages recorded in the history: a deal
    #: that skipped stage_from counts here, not in reached_to).
    reached_stage_to: int | None = None


@dataclass(frozen=True)
class LeadSource:
    source: str
    leads: int
    converted: int
    lead_conversion_rate: float | None


@dataclass(frozen=True)
class LeadToCashStep:
    step_order: int
    step: str
    leads: int
    step_conversion_rate: float | None
    cohort_conversion_rate: float | None
    median_days_from_previous: float | None


@dataclass(frozen=True)
class Funnel:
    stages: list[FunnelStage]
    previous: list[FunnelStage]  # the previous period's cohort
    lead_sources: list[LeadSource]
    lead_to_cash: list[LeadToCashStep] | None = None  # None: no lead-to-cash mart


# --------------------------------------------------------------------------- queries


def funnel(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    scope: Scope | None = None,
) -> list[FunnelStage]:
    """The scope's stage pairs for the creation cohort of the period (default: company)."""
    scope = scope or Scope.company()
    return [
        FunnelStage(*r)
        for r in con.execute(
            """select stage_order, stage_from, stage_to, reached_from, reached_to, conversion_rate,
                      reached_stage_to
               from marts.fct_funnel_conversion
               where period_type = ? and period = ? and level = ? and scope_id = ?
               order by stage_order""",
            [period_type, period, scope.level, scope.scope_id],
        ).fetchall()
    ]


def lead_sources(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    scope: Scope | None = None,
) -> list[LeadSource]:
    """The scope's leads by source (default: company; an unowned lead counts there only)."""
    scope = scope or Scope.company()
    return [
        LeadSource(*r)
        for r in con.execute(
            """select source, leads, converted, lead_conversion_rate
               from marts.fct_lead_sources
               where period_type = ? and period = ? and level = ? and scope_id = ?
               order by leads desc, source""",
            [period_type, period, scope.level, scope.scope_id],
        ).fetchall()
    ]


def lead_to_cash(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    scope: Scope | None = None,
) -> list[LeadToCashStep] | None:
    """The scope's five steps for the lead cohort of the period ([] without leads; None
    without the mart)."""
    if not has_table(con, "marts.fct_lead_to_cash_funnel"):
        return None
    scope = scope or Scope.company()
    return [
        LeadToCashStep(*r)
        for r in con.execute(
            """select step_order, step, leads, step_conversion_rate, cohort_conversion_rate,
                      median_days_from_previous
               from marts.fct_lead_to_cash_funnel
               where period_type = ? and period = ? and level = ? and scope_id = ?
               order by step_order""",
            [period_type, period, scope.level, scope.scope_id],
        ).fetchall()
    ]


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Funnel:
    period, kind, scope = frame.period, frame.period.period_type, frame.scope
    return Funnel(
        funnel(con, period.label, kind, scope),
        funnel(con, period.previous().label, kind, scope),
        lead_sources(con, period.label, kind, scope),
        lead_to_cash(con, period.label, kind, scope),
    )


# --------------------------------------------------------------------------- commentary


def stage_label(t: Strings, stage: str) -> str:
    return t.get(f"stage.{stage}", stage)


def stage_pair(t: Strings, s: FunnelStage) -> str:
    return t(
        "funnel.stage_pair",
        stage_from=stage_label(t, s.stage_from),
        stage_to=stage_label(t, s.stage_to),
    )


def weakest_stage(stages: list[FunnelStage]) -> FunnelStage | None:
    """Lowest conversion rate; ties go to the earliest stage; stages without a rate are skipped."""
    rated = [s for s in stages if s.conversion_rate is not None]
    if not rated:
        return None
    return min(rated, key=lambda s: (s.conversion_rate, s.stage_order))


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
    # every deal that reached the last stage, also one that skipped the stage before it
    reached_last = last.reached_to if last.reached_stage_to is None else last.reached_stage_to
    if first.reached_from > 0:
        out.append(
            t(
                "funnel.overall",
                entered=fmt.count(first.reached_from),
                quarter=quarter,
                first_stage=stage_label(t, first.stage_from),
                last_stage=stage_label(t, last.stage_to),
                reached=fmt.count(reached_last),
                rate=fmt.pct(Decimal(reached_last) / Decimal(first.reached_from)),
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
    biggest = max(sources, key=lambda s: (s.leads, reverse_text(s.source)))
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


def lead_to_cash_commentary(
    steps: list[LeadToCashStep], quarter: str, fmt: Formatter, t: Strings
) -> list[str]:
    if not steps or steps[0].leads == 0:
        return [t("lead_to_cash.empty", quarter=quarter)]
    by_step = {s.step: s for s in steps}
    return [
        t(
            "lead_to_cash.sentence",
            leads=fmt.count(by_step["lead"].leads),
            quarter=quarter,
            won=fmt.count(by_step["won"].leads),
            paid=fmt.count(by_step["paid"].leads),
            rate=fmt.pct(by_step["paid"].cohort_conversion_rate),
        )
    ]


def lead_to_cash_table(steps: list[LeadToCashStep], t: Strings) -> Table:
    return Table(
        "lead_to_cash",
        t("lead_to_cash.title"),
        [
            Column(t("lead_to_cash.step")),
            Column(t("lead_to_cash.leads"), "count"),
            Column(t("lead_to_cash.step_conversion"), "pct"),
            Column(t("lead_to_cash.cohort_conversion"), "pct"),
            Column(t("lead_to_cash.median_days"), "days"),
        ],
        [
            [
                t(f"lead_to_cash.steps.{s.step}"),
                s.leads,
                s.step_conversion_rate,
                s.cohort_conversion_rate,
                s.median_days_from_previous,
            ]
            for s in steps
        ],
    )


# --------------------------------------------------------------------------- context


def context(data: Funnel, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    weakest = weakest_stage(data.stages)
    prev_by_order = {s.stage_order: s for s in data.previous}

    def prev_rate(s):
        p = prev_by_order.get(s.stage_order)
        return p.conversion_rate if p else None

    rows = [
        dict(
            stage=stage_pair(t, s),
            reached_from=fmt.count(s.reached_from),
            reached_to=fmt.count(s.reached_to),
            conversion=fmt.pct(s.conversion_rate),
            previous=fmt.pct(prev_rate(s)),
            change=fmt.change_pp(s.conversion_rate, prev_rate(s)),
            weakest=weakest is not None and s.stage_order == weakest.stage_order,
        )
        for s in data.stages
    ]
    title = t("funnel.title")
    current = [s.conversion_rate for s in data.stages]
    previous = [prev_rate(s) for s in data.stages]
    drawn = weakest is not None and charts.drawable(current, previous)
    chart = (
        Markup(
            charts.funnel_chart(
                [stage_pair(t, s) for s in data.stages],
                current,
                previous,
                next((i for i, s in enumerate(data.stages) if s is weakest), None),
                title=title,
                x_label=t("funnel.axis"),
                y_label=t("funnel.stage"),
                current_label=t("funnel.current", quarter=c.period),
                previous_label=t("funnel.previous", quarter=c.previous),
            )
        )
        if drawn
        else None
    )
    no_chart = (
        t("funnel.no_chart", quarter=c.period, previous=c.previous)
        if weakest is not None and not drawn
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
                [stage_pair(t, s), s.reached_from, s.reached_to, s.conversion_rate, prev_rate(s)]
                for s in data.stages
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
    lead_to_cash_data = None
    if data.lead_to_cash is not None:
        l2c = lead_to_cash_table(data.lead_to_cash, t)
        tables.append(l2c)
        lead_to_cash_data = dict(
            grid=table_grid(l2c.key, None, l2c, fmt) if l2c.rows else None,
            commentary=lead_to_cash_commentary(data.lead_to_cash, c.period, fmt, t),
            note=t("lead_to_cash.note"),
            source=f"marts.fct_lead_to_cash_funnel ({c.kind}, {c.level})",
        )
    return SectionContent(
        dict(
            rows=rows,
            lead_to_cash=lead_to_cash_data,
            previous_label=c.previous,
            scope_note=t("funnel.scope_note") if c.level != "company" else None,
            weakest=dict(
                stage=stage_pair(t, weakest),
                rate=fmt.pct(weakest.conversion_rate),
                previous=fmt.pct(prev_rate(weakest)),
            )
            if weakest
            else None,
            chart=chart,
            no_chart=no_chart,
            note=t("funnel.note"),
            leads=dict(
                rows=leads_rows,
                commentary=lead_source_commentary(data.lead_sources, c.period, fmt, t),
            ),
            source=f"marts.fct_funnel_conversion ({c.kind}, {c.level})",
            leads_source=f"marts.fct_lead_sources ({c.kind}, {c.level})",
        ),
        funnel_commentary(
            data.stages,
            data.previous,
            c.period,
            c.previous,
            fmt,
            t,
            previous_name=c.p("previous_name"),
        ),
        tables,
    )


def glance(data: Funnel, content: SectionContent, c: Ctx) -> str | None:
    """The weakest stage's sentence, when a stage is named."""
    if content.commentary and content.data["weakest"] is not None:
        return content.commentary[0]
    return None


SECTION = Section(
    key="funnel",
    marts=("marts.fct_funnel_conversion", "marts.fct_lead_sources"),
    optional_marts=("marts.fct_lead_to_cash_funnel",),
    load=load,
    context=context,
    glance=glance,
    entities=("opportunities",),
)
