"""Forecast: next quarter's statistical forecast and its band beside the pipeline forecasts
(stage-weighted, and the CRM's commit and best case), the benchmarks and the past quarters'
actuals, with how the forecast did on the back-test.

Reads the scope's quarter rows of ``marts.fct_sales_forecast`` for the pack's lead amount
(revenue, or bookings in a pack without orders): the quarter after the pack's period and the
four before it, oldest first, each forecast as of the day before it began; and the scope's
row of ``marts.fct_forecast_accuracy`` (the back-test against the naive and seasonal-naive
forecasts). Each quarter's pipeline forecast says its basis (the load snapshot of the day,
or reconstructed from the stage history before the first load); without either it is n/a and
the basis column says why. The marts came later than the core ones: a warehouse without
them leaves the section out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, Lead, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, grid
from pipelines.packs.tables import Column, Table

#: Quarters of forecast history shown before the next quarter.
FORECAST_HISTORY = 4


@dataclass(frozen=True)
class ForecastQuarter:
    """One quarter row of ``fct_sales_forecast`` (the pack's scope and lead amount)."""

    forecast_quarter: str
    origin_date: date
    method: str | None
    forecast: Decimal | None
    forecast_lower: Decimal | None
    forecast_upper: Decimal | None
    pipeline_forecast: Decimal | None
    pipeline_basis: str | None
    pipeline_commit_forecast: Decimal | None
    pipeline_best_case_forecast: Decimal | None
    naive_forecast: Decimal | None
    seasonal_naive_forecast: Decimal | None
    actual: Decimal | None
    forecast_pct_error: float | None


@dataclass(frozen=True)
class Accuracy:
    """The scope's back-test (``fct_forecast_accuracy``)."""

    quarters_tested: int
    forecast_mape: float | None
    naive_mape: float | None
    seasonal_naive_mape: float | None
    improvement_over_naive: float | None
    improvement_over_seasonal_naive: float | None


@dataclass(frozen=True)
class Forecast:
    quarters: list[ForecastQuarter]
    accuracy: Accuracy | None


def sales_forecast(
    con: duckdb.DuckDBPyConnection, period_end: date, scope: Scope, lead: Lead
) -> Forecast | None:
    """The scope's quarter after the pack's period and the quarters before it, oldest first."""
    if not has_table(con, "marts.fct_sales_forecast"):
        return None
    rows = con.execute(
        """select forecast_quarter, origin_date, method, forecast, forecast_lower,
                  forecast_upper, pipeline_forecast, pipeline_basis, pipeline_commit_forecast,
                  pipeline_best_case_forecast, naive_forecast, seasonal_naive_forecast,
                  actual, forecast_pct_error
           from marts.fct_sales_forecast
           where measure = ? and period_type = 'quarter' and level = ? and scope_id = ?
             and period_start <= (select min(period_start) from marts.fct_sales_forecast
                                  where period_type = 'quarter' and period_start > ?)
           order by period_start desc limit ?""",
        [lead.key, scope.level, scope.scope_id, period_end, FORECAST_HISTORY + 1],
    ).fetchall()
    accuracy = None
    if has_table(con, "marts.fct_forecast_accuracy"):
        found = con.execute(
            """select quarters_tested, forecast_mape, naive_mape, seasonal_naive_mape,
                      improvement_over_naive, improvement_over_seasonal_naive
               from marts.fct_forecast_accuracy
               where measure = ? and level = ? and scope_id = ?""",
            [lead.key, scope.level, scope.scope_id],
        ).fetchone()
        accuracy = Accuracy(*found) if found else None
    return Forecast([ForecastQuarter(*r) for r in reversed(rows)], accuracy)


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Forecast | None:
    return sales_forecast(con, frame.current.period_end, frame.scope, frame.lead)


def forecast_commentary(data: Forecast, fmt: Formatter, t: Strings) -> list[str]:
    """The next quarter's forecast and band beside the pipeline's, how the last known
    quarter came in, and how the forecast did against the naive ones on the back-test."""
    rows = data.quarters
    if not rows:
        return [t("forecast.none")]
    nxt = rows[-1]
    out = []
    if nxt.forecast is None:
        out.append(
            t(
                "forecast.no_model",
                quarter=nxt.forecast_quarter,
                pipeline=fmt.headline_money(nxt.pipeline_forecast),
            )
        )
    else:
        out.append(
            t(
                "forecast.next",
                quarter=nxt.forecast_quarter,
                forecast=fmt.headline_money(nxt.forecast),
                lower=fmt.headline_money(nxt.forecast_lower),
                upper=fmt.headline_money(nxt.forecast_upper),
                pipeline=fmt.headline_money(nxt.pipeline_forecast),
            )
        )
    if nxt.pipeline_commit_forecast is not None:
        out.append(
            t(
                "forecast.categories",
                quarter=nxt.forecast_quarter,
                commit=fmt.headline_money(nxt.pipeline_commit_forecast),
                best_case=fmt.headline_money(nxt.pipeline_best_case_forecast),
            )
        )
    known = [r for r in rows if r.actual is not None and r.forecast is not None]
    if known:
        last = known[-1]
        out.append(
            t(
                "forecast.actual",
                quarter=last.forecast_quarter,
                actual=fmt.headline_money(last.actual),
                forecast=fmt.headline_money(last.forecast),
                error=fmt.pct(last.forecast_pct_error),
            )
        )
    acc = data.accuracy
    if acc is not None and acc.quarters_tested and acc.improvement_over_naive is not None:
        better = (acc.improvement_over_naive or 0) > 0 and (
            acc.improvement_over_seasonal_naive or 0
        ) > 0
        out.append(
            t.plural(
                "forecast.backtest_better" if better else "forecast.backtest_worse",
                acc.quarters_tested,
                mape=fmt.pct(acc.forecast_mape),
                naive=fmt.pct(acc.naive_mape),
                seasonal=fmt.pct(acc.seasonal_naive_mape),
                vs_naive=fmt.pct(acc.improvement_over_naive),
                vs_seasonal=fmt.pct(acc.improvement_over_seasonal_naive),
            )
        )
    return out


def _method(t: Strings, method: str | None) -> str:
    return t(f"forecast.method_{method or 'none'}")


def _basis(t: Strings, basis: str | None) -> str:
    return t(f"forecast.basis_{basis or 'none'}")


def context(data: Forecast, c: Ctx) -> SectionContent:
    """Statistical forecast and band, the pipeline forecasts (weighted, commit, best case) and
    their basis, benchmarks, actuals and errors."""
    t, fmt, rows = c.t, c.fmt, data.quarters
    table = Table(
        "forecast",
        t("section.forecast"),
        [
            Column(t("forecast.quarter")),
            Column(t("forecast.origin"), "date"),
            Column(t("forecast.forecast"), "money"),
            Column(t("forecast.lower"), "money"),
            Column(t("forecast.upper"), "money"),
            Column(t("forecast.pipeline"), "money"),
            Column(t("forecast.commit"), "money"),
            Column(t("forecast.best_case"), "money"),
            Column(t("forecast.basis")),
            Column(t("forecast.naive"), "money"),
            Column(t("forecast.seasonal_naive"), "money"),
            Column(t("forecast.actual_col"), "money"),
            Column(t("forecast.error"), "pct"),
            Column(t("forecast.method")),
        ],
        [
            [
                r.forecast_quarter,
                r.origin_date,
                r.forecast,
                r.forecast_lower,
                r.forecast_upper,
                r.pipeline_forecast,
                r.pipeline_commit_forecast,
                r.pipeline_best_case_forecast,
                _basis(t, r.pipeline_basis),
                r.naive_forecast,
                r.seasonal_naive_forecast,
                r.actual,
                r.forecast_pct_error,
                _method(t, r.method),
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
                fmt.money(r.forecast),
                fmt.money(r.forecast_lower),
                fmt.money(r.forecast_upper),
                fmt.money(r.pipeline_forecast),
                fmt.money(r.pipeline_commit_forecast),
                fmt.money(r.pipeline_best_case_forecast),
                _basis(t, r.pipeline_basis),
                fmt.money(r.naive_forecast),
                fmt.money(r.seasonal_naive_forecast),
                fmt.money(r.actual),
                fmt.pct(r.forecast_pct_error),
                _method(t, r.method),
            ]
            for r in rows
        ],
    )
    notes = [t("forecast.note")]
    source = f"marts.fct_sales_forecast, marts.fct_forecast_accuracy ({c.level})"
    return SectionContent(
        dict(grids=[shown] if rows else [], notes=notes, source=source),
        forecast_commentary(data, fmt, t),
        [table] if rows else [],
    )


SECTION = Section(
    key="forecast",
    marts=(),
    optional_marts=("marts.fct_sales_forecast", "marts.fct_forecast_accuracy"),
    load=load,
    context=context,
    follows_lead=True,
)
