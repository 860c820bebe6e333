"""Monthly trend: the scope's lead amount and its target for the 12 months ending with the period.

The lead amount is revenue, or bookings (won amount) in a pack without orders
(``Frame.lead``). Reads the scope's month rows of ``marts.fct_sales_performance``. A month
without a row is a gap (never drawn as zero); twelve months of nothing but zeros and gaps
draw no chart, a sentence says so. After the 12 months the chart draws the statistical
forecast of the quarter after the period's end with its prediction band (the scope's month
rows of ``marts.fct_sales_forecast`` for the lead amount, made as of the period's end), when
the warehouse has that mart and the forecast.
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
from pipelines.packs.frame import REVENUE, Frame, Lead, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, status, unit
from pipelines.packs.tables import Column, Table


@dataclass(frozen=True)
class MonthPoint:
    month_start: date
    period: str | None  # None: the mart has no row for this month
    amount: Decimal | None  # the lead amount: revenue or won amount
    target: Decimal | None
    attainment: float | None


@dataclass(frozen=True)
class ForecastMonth:
    """A month of the statistical forecast after the period (``fct_sales_forecast``)."""

    period: str
    forecast: Decimal
    lower: Decimal
    upper: Decimal


@dataclass(frozen=True)
class Trend:
    lead: Lead
    months: list[MonthPoint]
    forecast: list[ForecastMonth] = ()  # type: ignore[assignment]


def forecast_months(
    con: duckdb.DuckDBPyConnection, last_day: date, scope: Scope, lead: Lead = REVENUE
) -> list[ForecastMonth]:
    """The statistical forecast of the months of the quarter starting after ``last_day``
    (made as of ``last_day``), oldest first; none without the mart or the forecast."""
    if not has_table(con, "marts.fct_sales_forecast"):
        return []
    rows = con.execute(
        """select period, forecast, forecast_lower, forecast_upper
           from marts.fct_sales_forecast
           where measure = ? and period_type = 'month' and level = ? and scope_id = ?
             and origin_date = ? and forecast is not null
           order by period_start""",
        [lead.key, scope.level, scope.scope_id, last_day],
    ).fetchall()
    return [ForecastMonth(*r) for r in rows]


def monthly_series(
    con: duckdb.DuckDBPyConnection,
    last_day: date,
    count: int = 12,
    scope: Scope | None = None,
    lead: Lead = REVENUE,
) -> list[MonthPoint]:
    """The scope's lead amount and its target for the ``count`` months ending with
    ``last_day``'s month.

    Months the mart has no row for are returned with ``None`` values (a gap,
    not a zero).
    """
    scope = scope or Scope.company()
    starts = trailing_month_starts(last_day, count)
    found = {
        r[1]: r
        for r in con.execute(
            f"""select period, period_start, {lead.amount}, {lead.target}, {lead.attainment}
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


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Trend:
    lead, end = frame.lead, frame.current.period_end
    return Trend(
        lead,
        monthly_series(con, end, scope=frame.scope, lead=lead),
        forecast_months(con, end, frame.scope, lead),
    )


def trend_commentary(
    months: list[MonthPoint],
    fmt: Formatter,
    t: Strings,
    period: str = "",
    lead: Lead = REVENUE,
) -> list[str]:
    metric = t(f"lead.{lead.key}.in_sentence")
    with_data = [m for m in months if m.amount is not None]
    if not with_data:
        return [t("trend.no_data", period=period, metric=metric)]
    first, last = with_data[0].period or "", with_data[-1].period or ""
    total = sum((m.amount for m in with_data), Decimal(0))
    targeted = [m for m in with_data if m.target is not None and m.target != 0]
    out: list[str] = []
    if targeted:
        t_amount = sum((m.amount for m in targeted), Decimal(0))
        t_tgt = sum((m.target for m in targeted), Decimal(0))
        out.append(
            t.plural(
                "trend.total_with_target",
                len(with_data),
                first=first,
                last=last,
                metric=metric,
                amount=fmt.headline_money(total),
                target=fmt.headline_money(t_tgt),
                attainment=fmt.pct(t_amount / t_tgt),
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
                metric=metric,
                amount=fmt.headline_money(total),
            )
        )
    if len(with_data) > 1 and any(m.amount for m in with_data):
        best = max(with_data, key=lambda m: (m.amount, m.month_start))
        worst = min(with_data, key=lambda m: (m.amount, m.month_start))
        out.append(
            t(
                "trend.best_worst",
                best=best.period,
                best_value=fmt.headline_money(best.amount),
                worst=worst.period,
                worst_value=fmt.headline_money(worst.amount),
            )
        )
    if targeted:
        met = sum(1 for m in targeted if m.amount >= m.target)
        out.append(t.plural("trend.months_met", len(targeted), met=met))
    return out


def context(data: Trend, c: Ctx) -> SectionContent:
    t, fmt, cur, lead, months = c.t, c.fmt, c.frame.current, data.lead, data.months
    in_period = {
        i for i, m in enumerate(months) if cur.period_start <= m.month_start <= cur.period_end
    }
    amounts = [float(m.amount) if m.amount is not None else None for m in months]
    targets = [float(m.target) if m.target is not None else None for m in months]
    points = [
        charts.ForecastPoint(f.period, float(f.forecast), float(f.lower), float(f.upper))
        for f in data.forecast
    ]
    divisor = charts.axis_scale(
        max([v for v in amounts + targets if v is not None] + [p.upper for p in points] + [0.0]),
        wan=fmt.wan,
    )
    name = t(f"lead.{lead.key}.name")
    metric = t(f"lead.{lead.key}.in_sentence")
    title = t("trend.title", metric=metric)
    has_months = any(m.amount is not None for m in months)
    labels = [m.period or m.month_start.strftime("%Y-%m") for m in months]
    drawn = has_months and charts.drawable(amounts, targets)
    chart = (
        Markup(
            charts.trend_chart(
                labels,
                amounts,
                targets,
                in_period,
                title=title,
                y_label=t("trend.axis", name=name, unit=unit(t, divisor, fmt.currency)),
                x_label=t("trend.month"),
                revenue_label=name,
                target_label=t("trend.target"),
                divisor=divisor,
                forecast=points,
                forecast_label=t("trend.forecast"),
                band_label=t("trend.band"),
            )
        )
        if drawn
        else None
    )
    rows = [
        dict(
            month=labels[i],
            in_quarter=i in in_period,
            amount=fmt.money(m.amount),
            target=fmt.money(m.target),
            attainment=fmt.pct(m.attainment),
            status=status(m.attainment),
        )
        for i, m in enumerate(months)
    ]
    table = Table(
        "trend",
        title,
        [
            Column(t("trend.month")),
            Column(name, "money"),
            Column(t("trend.target"), "money"),
            Column(t("trend.attainment"), "pct"),
        ],
        [[labels[i], m.amount, m.target, m.attainment] for i, m in enumerate(months)],
    )
    return SectionContent(
        dict(
            has_data=has_months,
            chart=chart,
            no_chart=t("trend.no_chart", metric=metric) if has_months and not drawn else None,
            title=title,
            amount_label=name,
            rows=rows,
            note=t("trend.note") + (" " + t("trend.forecast_note") if points else ""),
            forecast=[
                dict(
                    month=f.period,
                    forecast=fmt.money(f.forecast),
                    lower=fmt.money(f.lower),
                    upper=fmt.money(f.upper),
                )
                for f in data.forecast
            ],
            source=f"marts.fct_sales_performance (month, {c.level})",
        ),
        trend_commentary(months, fmt, t, c.period, lead),
        [table] if has_months else [],
    )


SECTION = Section(
    key="trend",
    marts=("marts.fct_sales_performance",),
    optional_marts=("marts.fct_sales_forecast",),
    load=load,
    context=context,
    follows_lead=True,
)
