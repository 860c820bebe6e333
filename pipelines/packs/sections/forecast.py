"""Forecast band: the trend and pipeline forecast of next quarter beside past actuals.

Reads the scope's rows of ``marts.fct_revenue_forecast`` (one per forecast quarter): the
quarter after the pack's period and the four before it, oldest first. The mart came later
than the core ones: a warehouse without it leaves the section out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, grid
from pipelines.packs.tables import Column, Table

#: Quarters of forecast history shown before the next quarter.
FORECAST_HISTORY = 4


@dataclass(frozen=True)
class ForecastQuarter:
    """One row of ``fct_revenue_forecast`` (the pack's scope)."""

    forecast_quarter: str
    origin_date: date
    trend_method: str | None
    trend_forecast: Decimal | None
    pipeline_forecast: Decimal | None
    actual_revenue: Decimal | None


def revenue_forecast(
    con: duckdb.DuckDBPyConnection, period_end: date, scope: Scope
) -> list[ForecastQuarter] | None:
    """The scope's quarter after the pack's period and the quarters before it, oldest first."""
    if not has_table(con, "marts.fct_revenue_forecast"):
        return None
    rows = con.execute(
        """select forecast_quarter, origin_date, trend_method, trend_forecast, pipeline_forecast,
                  actual_revenue
           from marts.fct_revenue_forecast
           where level = ? and scope_id = ?
             and quarter_start <= (select min(quarter_start) from marts.fct_revenue_forecast
                                   where quarter_start > ?)
           order by quarter_start desc limit ?""",
        [scope.level, scope.scope_id, period_end, FORECAST_HISTORY + 1],
    ).fetchall()
    return [ForecastQuarter(*r) for r in reversed(rows)]


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> list[ForecastQuarter] | None:
    return revenue_forecast(con, frame.current.period_end, frame.scope)


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


def context(rows: list[ForecastQuarter], c: Ctx) -> SectionContent:
    """Trend and pipeline forecast of next quarter beside the past quarters' actuals."""
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
    shown = grid(
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
    source = f"marts.fct_revenue_forecast ({c.level})"
    return SectionContent(
        dict(grids=[shown] if rows else [], notes=notes, source=source),
        forecast_commentary(rows, fmt, t),
        [table] if rows else [],
    )


SECTION = Section(
    key="forecast",
    marts=(),
    optional_marts=("marts.fct_revenue_forecast",),
    load=load,
    context=context,
    entities=("orders",),
)
