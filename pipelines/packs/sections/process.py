"""Process activity: visits, calls, demos, proposals and quotes of the scope's reps.

Reads the rep rows of ``marts.fct_sales_performance`` (counts, and target / attainment
where set) with the rep's name from ``marts.dim_sales_reps`` and the team of the period
from ``marts.fct_rep_scorecard`` (else the current one).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, status
from pipelines.packs.tables import Column, Table

#: Process activities of fct_sales_performance, and those that can have a target.
PROCESS_ACTIVITIES: tuple[str, ...] = ("visits", "calls", "demos", "proposals", "quotes")
PROCESS_TARGETED: tuple[str, ...] = ("visits", "proposals", "quotes")


@dataclass(frozen=True)
class ProcessRow:
    """A rep's process activity in the period: counts, and target / attainment where set."""

    rep_id: str
    name: str
    team: str | None
    counts: dict[str, int]  # every PROCESS_ACTIVITIES name
    targets: dict[str, Decimal | None]  # every PROCESS_TARGETED name
    attainment: dict[str, float | None]


def process_activity(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope | None = None
) -> list[ProcessRow]:
    """Rep rows of ``fct_sales_performance`` (level rep) in ``scope``, by team and name.

    The team shown is the scorecard's (the period's team), else the rep's current one.
    """
    where, params = (scope or Scope.company()).rep_filter(
        "p.scope_id", "coalesce(s.team, r.team)", "coalesce(s.region, r.region)"
    )
    targeted = ", ".join(f"p.{m}_target, p.{m}_attainment" for m in PROCESS_TARGETED)
    out = []
    for r in con.execute(
        f"""select p.scope_id, coalesce(r.rep_name, p.scope_id) as name,
                   coalesce(s.team, r.team) as team,
                   {", ".join(f"p.{m}" for m in PROCESS_ACTIVITIES)}, {targeted}
            from marts.fct_sales_performance p
            left join marts.dim_sales_reps r on r.rep_id = p.scope_id
            left join marts.fct_rep_scorecard s
              on s.period_type = p.period_type and s.period = p.period and s.rep_id = p.scope_id
            where p.period_type = ? and p.period = ? and p.level = 'rep' and {where}
            order by team nulls last, name, p.scope_id""",
        [period_type, period, *params],
    ).fetchall():
        n = len(PROCESS_ACTIVITIES)
        pairs = r[3 + n :]
        out.append(
            ProcessRow(
                r[0],
                r[1],
                r[2],
                dict(zip(PROCESS_ACTIVITIES, r[3 : 3 + n], strict=True)),
                dict(zip(PROCESS_TARGETED, pairs[0::2], strict=True)),
                dict(zip(PROCESS_TARGETED, pairs[1::2], strict=True)),
            )
        )
    return out


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> list[ProcessRow]:
    return process_activity(con, frame.period.period_type, frame.period.label, frame.scope)


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


def context(process: list[ProcessRow], c: Ctx) -> SectionContent:
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
                    status=status(r.attainment.get(m)),
                )
                for m in PROCESS_ACTIVITIES
            ],
        )
        for r in process
    ]
    columns = [Column(t("ranking.rep")), Column(t("ranking.team"))]
    for m in PROCESS_ACTIVITIES:
        columns.append(Column(t(f"process.{m}"), "count"))
        if m in PROCESS_TARGETED:
            columns.append(Column(t("process.target_of", activity=t(f"process.{m}")), "number"))
            columns.append(Column(t("process.attainment_of", activity=t(f"process.{m}")), "pct"))
    table_rows: list[list[object]] = []
    for r in process:
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
        process_commentary(process, fmt, t),
        [Table("process", t("section.process"), columns, table_rows)],
    )


SECTION = Section(
    key="process",
    marts=("marts.fct_sales_performance", "marts.dim_sales_reps", "marts.fct_rep_scorecard"),
    load=load,
    context=context,
    entities=("activities",),
)
