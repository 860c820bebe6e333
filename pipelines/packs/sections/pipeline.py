"""Pipeline coverage for next quarter: the snapshot entering it and open pipeline by quarter.

Reads the scope's latest row of ``marts.fct_pipeline_snapshots`` on or before the as-of date
and its ``marts.fct_pipeline`` rows by expected-close quarter, and the pack period's pipeline
waterfall (``marts.fct_pipeline_waterfall``: opening balance, movements, closing balance). These
marts came later than the core ones: a warehouse without the first two leaves the section out,
one without the waterfall leaves its table out. Revenue booked (and so what
remains of the target, and its coverage) comes from the orders: in a pack without orders it is
n/a, never a zero that leaves the whole target "to book".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, table_grid
from pipelines.packs.tables import Column, Table

#: Expected-close quarters listed in the pipeline table (from the pack's quarter on).
PIPELINE_QUARTERS = 4


@dataclass(frozen=True)
class CoverageSnapshot:
    """One row of ``fct_pipeline_snapshots``: the scope's pipeline for the next quarter."""

    snapshot_date: date
    next_quarter: str
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    revenue_target: Decimal | None
    coverage: float | None


@dataclass(frozen=True)
class PipelinePeriod:
    """One row of ``fct_pipeline`` (expected-close quarter)."""

    period: str
    open_opportunities: int
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    revenue_target: Decimal | None
    revenue_booked: Decimal | None  # None: no orders loaded
    remaining_target: Decimal | None
    pipeline_coverage: float | None


#: The waterfall's movements in the order they are added up (sign +1 / -1; 0: a balance).
WATERFALL_MOVEMENTS: tuple[tuple[str, int], ...] = (
    ("opening_balance", 0),
    ("new_amount", 1),
    ("pulled_in", 1),
    ("transferred_in", 1),
    ("amount_up", 1),
    ("amount_down", -1),
    ("pushed_out", -1),
    ("won", -1),
    ("lost", -1),
    ("transferred_out", -1),
    ("closing_balance", 0),
)
#: Movements that are always 0 for the company (a deal changing owner stays in the company).
TRANSFERS = ("transferred_in", "transferred_out")


@dataclass(frozen=True)
class Waterfall:
    """One row of ``fct_pipeline_waterfall``: the period's pipeline from opening to closing."""

    opening_date: date
    closing_date: date
    is_history_complete: bool
    amounts: dict[str, Decimal]


@dataclass(frozen=True)
class PipelineCoverage:
    snapshot: CoverageSnapshot | None  # None: no snapshot of the scope on or before the cut-off
    periods: list[PipelinePeriod]
    waterfall: Waterfall | None = None  # None: no waterfall mart, or no row for the scope


def pipeline_coverage(
    con: duckdb.DuckDBPyConnection, scope: Scope, period_start: date, cutoff: date
) -> PipelineCoverage | None:
    """Coverage entering the next quarter and open pipeline by expected-close quarter.

    The snapshot is the scope's latest on or before ``cutoff`` (a closed quarter's
    pack: its last day, the day before the next quarter starts). The quarters are
    those of ``fct_pipeline`` starting on or after the quarter holding
    ``period_start`` (the mart is as of the warehouse's last build).
    """
    if not all(has_table(con, t) for t in ("marts.fct_pipeline", "marts.fct_pipeline_snapshots")):
        return None
    row = con.execute(
        """select snapshot_date, next_quarter, coalesce(next_quarter_open_pipeline, 0),
                  coalesce(next_quarter_weighted_pipeline, 0), next_quarter_revenue_target,
                  next_quarter_coverage
           from marts.fct_pipeline_snapshots
           where level = ? and scope_id = ? and snapshot_date <= ?
           order by snapshot_date desc limit 1""",
        [scope.level, scope.scope_id, cutoff],
    ).fetchall()
    periods = con.execute(
        """select period, open_opportunities, open_pipeline, weighted_pipeline, revenue_target,
                  revenue_booked, remaining_target, pipeline_coverage
           from marts.fct_pipeline
           where period_type = 'quarter' and level = ? and scope_id = ? and period_end >= ?
           order by period_start limit ?""",
        [scope.level, scope.scope_id, period_start, PIPELINE_QUARTERS],
    ).fetchall()
    return PipelineCoverage(
        CoverageSnapshot(*row[0]) if row else None, [PipelinePeriod(*r) for r in periods]
    )


def pipeline_waterfall(
    con: duckdb.DuckDBPyConnection, scope: Scope, period: str, period_type: str
) -> Waterfall | None:
    """The scope's waterfall of the period (None without the mart or a row for the scope)."""
    if not has_table(con, "marts.fct_pipeline_waterfall"):
        return None
    names = [name for name, _ in WATERFALL_MOVEMENTS]
    row = con.execute(
        f"""select opening_date, closing_date, is_history_complete, {", ".join(names)}
            from marts.fct_pipeline_waterfall
            where period_type = ? and period = ? and level = ? and scope_id = ?""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchone()
    if row is None:
        return None
    return Waterfall(row[0], row[1], row[2], dict(zip(names, row[3:], strict=True)))


#: The input entity of revenue booked (and of what remains of the target).
BOOKED_ENTITY = "orders"


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> PipelineCoverage | None:
    cov = pipeline_coverage(con, frame.scope, frame.current.period_start, frame.as_of_date)
    if cov is None:
        return None
    period = frame.period
    cov = replace(
        cov, waterfall=pipeline_waterfall(con, frame.scope, period.label, period.period_type)
    )
    if not frame.missing([BOOKED_ENTITY]):
        return cov
    blank = dict(revenue_booked=None, remaining_target=None, pipeline_coverage=None)
    return replace(cov, periods=[replace(p, **blank) for p in cov.periods])


# --------------------------------------------------------------------------- commentary


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


def waterfall_table(w: Waterfall, c: Ctx) -> Table:
    """The waterfall as rows movement / amount, signed as they add up; transfers only where
    there are any (never for the company)."""
    t = c.t
    rows = [
        # an amount no fx rate converted is None: shown as n/a, like every unconverted amount
        [t(f"waterfall.{name}"), None if w.amounts[name] is None else w.amounts[name] * (sign or 1)]
        for name, sign in WATERFALL_MOVEMENTS
        if name not in TRANSFERS or w.amounts[name]
    ]
    return Table(
        "waterfall",
        t(
            "waterfall.heading",
            opening=c.fmt.date(w.opening_date),
            closing=c.fmt.date(w.closing_date),
        ),
        [Column(t("waterfall.movement")), Column(t("waterfall.amount"), "money")],
        rows,
    )


def waterfall_commentary(w: Waterfall, period: str, fmt: Formatter, t: Strings) -> str:
    a = w.amounts
    return t(
        "waterfall.sentence",
        period=period,
        opening=fmt.headline_money(a["opening_balance"]),
        added=fmt.headline_money(
            None if None in (a["new_amount"], a["pulled_in"]) else a["new_amount"] + a["pulled_in"]
        ),
        won=fmt.headline_money(a["won"]),
        lost=fmt.headline_money(a["lost"]),
        pushed=fmt.headline_money(a["pushed_out"]),
        closing=fmt.headline_money(a["closing_balance"]),
    )


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


# --------------------------------------------------------------------------- context


def context(cov: PipelineCoverage, c: Ctx) -> SectionContent:
    """Coverage entering next quarter (snapshot) and open pipeline by expected-close quarter."""
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
        return coverage_text(fmt, coverage)

    grids = [
        table_grid(x.key, heading, x, fmt, cells={len(x.columns) - 1: times})
        for x, heading in ((coverage, None), (by_period, t("pipeline.by_period_heading")))
        if x.rows
    ]
    tables = [x for x in (coverage, by_period) if x.rows]
    notes = [t("pipeline.note")]
    commentary = pipeline_commentary(cov, fmt, t)
    source = f"marts.fct_pipeline_snapshots, marts.fct_pipeline (quarter, {c.level})"
    if cov.waterfall is not None:
        waterfall = waterfall_table(cov.waterfall, c)
        grids.append(table_grid(waterfall.key, waterfall.title, waterfall, fmt))
        tables.append(waterfall)
        notes.append(t("waterfall.note"))
        if not cov.waterfall.is_history_complete:
            notes.append(t("waterfall.incomplete"))
        commentary.append(waterfall_commentary(cov.waterfall, c.period, fmt, t))
        source += f", marts.fct_pipeline_waterfall ({c.kind}, {c.level})"
    return SectionContent(
        dict(grids=grids, notes=notes, source=source),
        commentary,
        tables,
    )


def glance(cov: PipelineCoverage, content: SectionContent, c: Ctx) -> str | None:
    return glance_pipeline(cov, c.fmt, c.t)


SECTION = Section(
    key="pipeline",
    marts=(),
    optional_marts=(
        "marts.fct_pipeline_snapshots",
        "marts.fct_pipeline",
        "marts.fct_pipeline_waterfall",
    ),
    load=load,
    context=context,
    glance=glance,
    entities=("opportunities",),
)
