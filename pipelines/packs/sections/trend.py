"""Monthly trend: the scope's revenue and target for the 12 months ending with the period.

Reads the scope's month rows of ``marts.fct_sales_performance``. A month without a row is a
gap (never drawn as zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
from markupsafe import Markup

from pipelines.core.i18n import Strings
from pipelines.core.periods import trailing_month_starts
from pipelines.packs import charts
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, status, unit
from pipelines.packs.tables import Column, Table


@dataclass(frozen=True)
class MonthPoint:
    month_start: date
    period: str | None  # None: the mart has no row for this month
    revenue: Decimal | None
    revenue_target: Decimal | None
    revenue_attainment: float | None


def monthly_series(
    con: duckdb.DuckDBPyConnection, last_day: date, count: int = 12, scope: Scope | None = None
) -> list[MonthPoint]:
    """The scope's revenue and target for the ``count`` months ending with ``last_day``'s month.

    Months the mart has no row for are returned with ``None`` values (a gap,
    not a zero).
    """
    scope = scope or Scope.company()
    starts = trailing_month_starts(last_day, count)
    found = {
        r[1]: r
        for r in con.execute(
            """select period, period_start, revenue, revenue_target, revenue_attainment
               from marts.fct_sales_performance
               where period_type = 'month' and level = ? and scope_id = ?
                 and period_start between ? and ?""",
            [scope.level, scope.scope_id, starts[0], starts[-1]],
        ).fetchall()
    }
    points = []
    for start in starts:
        r = found.get(start)
        if r is None:
            points.append(MonthPoint(start, None, None, None, None))
        else:
            points.append(MonthPoint(start, r[0], r[2], r[3], r[4]))
    return points


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> list[MonthPoint]:
    return monthly_series(con, frame.current.period_end, scope=frame.scope)


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


def context(months: list[MonthPoint], c: Ctx) -> SectionContent:
    t, fmt, cur = c.t, c.fmt, c.frame.current
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
                y_label=t("trend.axis", unit=unit(t, divisor, fmt.currency)),
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
            status=status(m.revenue_attainment),
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
            source=f"marts.fct_sales_performance (month, {c.level})",
        ),
        trend_commentary(months, fmt, t, c.period),
        [table] if has_months else [],
    )


SECTION = Section(
    key="trend",
    marts=("marts.fct_sales_performance",),
    load=load,
    context=context,
    entities=("orders",),
)
