"""Data access for the outlook and customer sections: pipeline coverage, forecast band,
customers, receivables KPIs, lead sources and sales channels.

Same rules as ``data.py`` (plain values out, money ``Decimal``, rates ``float``,
nothing formatted). These marts came later than the core ones: a warehouse built
before them lacks the tables, and each function then returns ``None`` so its
section is left out of the pack (the core sections still render).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.packs.scope import Scope

#: Marts these sections read (each optional: a missing one leaves its section out).
OPTIONAL_TABLES: tuple[str, ...] = (
    "marts.fct_pipeline",
    "marts.fct_pipeline_snapshots",
    "marts.fct_revenue_forecast",
    "marts.fct_customer_retention",
    "marts.fct_customer_value_tiers",
    "marts.fct_receivables_kpis",
    "marts.fct_sales_channels",
)

#: Expected-close quarters listed in the pipeline table (from the pack's quarter on).
PIPELINE_QUARTERS = 4
#: Quarters of forecast history shown before the next quarter.
FORECAST_HISTORY = 4
#: ABC tiers in display order (the mart's ``value_tier`` values).
VALUE_TIERS: tuple[str, ...] = ("A", "B", "C")
#: Channel types in display order (the mart's ``channel_type`` values).
CHANNEL_TYPES: tuple[str, ...] = ("lead_source", "sales_channel")


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return (
        con.execute(
            """select count(*) from information_schema.tables
               where table_schema = ? and table_name = ?""",
            [schema, name],
        ).fetchone()[0]
        > 0
    )


# --------------------------------------------------------------------------- pipeline coverage


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
    revenue_booked: Decimal
    remaining_target: Decimal | None
    pipeline_coverage: float | None


@dataclass(frozen=True)
class PipelineCoverage:
    snapshot: CoverageSnapshot | None  # None: no snapshot of the scope on or before the cut-off
    periods: list[PipelinePeriod]


def pipeline_coverage(
    con: duckdb.DuckDBPyConnection, scope: Scope, period_start: date, cutoff: date
) -> PipelineCoverage | None:
    """Coverage entering the next quarter and open pipeline by expected-close quarter.

    The snapshot is the scope's latest on or before ``cutoff`` (a closed quarter's
    pack: its last day, the day before the next quarter starts). The quarters are
    those of ``fct_pipeline`` starting on or after the quarter holding
    ``period_start`` (the mart is as of the warehouse's last build).
    """
    if not (_has(con, "marts.fct_pipeline") and _has(con, "marts.fct_pipeline_snapshots")):
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


# --------------------------------------------------------------------------- forecast band


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
    if not _has(con, "marts.fct_revenue_forecast"):
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


# --------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class Retention:
    """One row of ``fct_customer_retention``."""

    measure_date: date
    active_at_start: int
    active_at_end: int
    gained: int
    churned: int
    churn_rate: float | None
    retention_rate: float | None
    trailing_customers: int
    repeat_customers: int
    repeat_purchase_rate: float | None


@dataclass(frozen=True)
class ValueTier:
    """The scope's accounts in one company ABC tier and their trailing revenue in the scope."""

    tier: str
    accounts: int
    trailing_revenue: Decimal


@dataclass(frozen=True)
class Customers:
    retention: Retention | None  # None: the scope has no row for the period
    tiers: list[ValueTier]  # the scope's accounts by company tier, every tier (0 when empty)


def customers(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> Customers | None:
    needed = ("marts.fct_customer_retention", "marts.fct_customer_value_tiers")
    if not all(_has(con, table) for table in needed):
        return None
    row = con.execute(
        """select measure_date, active_at_start, active_at_end, gained, churned, churn_rate,
                  retention_rate, trailing_customers, repeat_customers, repeat_purchase_rate
           from marts.fct_customer_retention
           where period_type = ? and period = ? and level = ? and scope_id = ?""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    found = {
        r[0]: r
        for r in con.execute(
            """select value_tier, count(*), sum(scope_trailing_revenue)
               from marts.fct_customer_value_tiers
               where period_type = ? and period = ? and level = ? and scope_id = ?
               group by value_tier""",
            [period_type, period, scope.level, scope.scope_id],
        ).fetchall()
    }
    unknown = sorted(str(k) for k in found if k not in VALUE_TIERS)
    if unknown:
        raise ValueError(
            f"unknown value_tier value(s) in marts.fct_customer_value_tiers: {unknown}"
        )
    tiers = [
        ValueTier(k, found[k][1], found[k][2]) if k in found else ValueTier(k, 0, Decimal("0.00"))
        for k in VALUE_TIERS
    ]
    return Customers(Retention(*row[0]) if row else None, tiers)


# --------------------------------------------------------------------------- receivables KPIs


@dataclass(frozen=True)
class ReceivablesKpis:
    """One row of ``fct_receivables_kpis``."""

    measure_date: date
    days_measured: int
    revenue: Decimal
    receivables_end: Decimal
    dso_days: Decimal | None
    due_in_period: Decimal
    paid_on_time: Decimal
    on_time_collection_rate: float | None


def receivables_kpis(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> ReceivablesKpis | None:
    """The scope's DSO and on-time collection rate; None without the mart or a row."""
    if not _has(con, "marts.fct_receivables_kpis"):
        return None
    row = con.execute(
        """select measure_date, days_measured, revenue, receivables_end, dso_days,
                  due_in_period, paid_on_time, on_time_collection_rate
           from marts.fct_receivables_kpis
           where period_type = ? and period = ? and level = ? and scope_id = ?""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return ReceivablesKpis(*row[0]) if row else None


# --------------------------------------------------------------------------- channels


@dataclass(frozen=True)
class Channel:
    """One row of ``fct_sales_channels``."""

    channel_type: str
    channel: str
    leads: int | None
    converted_leads: int | None
    lead_conversion_rate: float | None
    opportunities_created: int
    won: int
    won_amount: Decimal
    orders: int
    revenue: Decimal


def sales_channels(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> list[Channel] | None:
    """The scope's lead sources then sales channels of the period, by revenue."""
    if not _has(con, "marts.fct_sales_channels"):
        return None
    rows = con.execute(
        """select channel_type, channel, leads, converted_leads, lead_conversion_rate,
                  coalesce(opportunities_created, 0), coalesce(won, 0),
                  coalesce(won_amount, 0), coalesce(orders, 0), coalesce(revenue, 0)
           from marts.fct_sales_channels
           where period_type = ? and period = ? and level = ? and scope_id = ?
           order by channel_type, coalesce(revenue, 0) desc, channel""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return [Channel(*r) for r in rows]
