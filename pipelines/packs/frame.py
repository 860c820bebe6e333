"""The frame of one pack: the scope's row of the period, the as-of date, who the pack is for.

Read before any section: the tables every pack needs are checked up front (a clear error
when dbt has not run), the scope must exist, and the scope's ``fct_sales_performance`` row
of the period must be there (``NoDataForPeriod`` otherwise). Each section then reads its own
mart with the frame in hand (``pipelines/packs/sections``). Values come out as DuckDB gives
them: money ``Decimal``, rates ``float``, dates ``datetime.date``; nothing is formatted here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.periods import Period, resolve_as_of
from pipelines.packs.scope import COMPANY_SCOPE_ID, Scope, scope_exists
from pipelines.warehouse.inputs import EntityInput, entity_inputs

#: Tables the frame itself reads (the sections declare theirs).
FRAME_TABLES: tuple[str, ...] = (
    "marts.fct_sales_performance",
    "marts.dim_sales_reps",
    "marts.fct_rep_scorecard",
    "marts.fct_team_averages",
    "meta.loads",
)


class NoDataForPeriod(ValueError):
    """The marts hold no row for the period and scope asked for (nothing to report yet)."""


#: The name the quarterly pack used first; kept for callers that catch it.
NoDataForQuarter = NoDataForPeriod


class MissingTablesError(RuntimeError):
    """The warehouse lacks marts/meta tables the pack needs (dbt not run yet?)."""


@dataclass(frozen=True)
class PeriodMetrics:
    """One row of ``marts.fct_sales_performance``."""

    period: str
    period_start: date
    period_end: date
    revenue: Decimal
    collections: Decimal
    orders: int
    new_customers: int
    avg_order_value: Decimal | None
    revenue_target: Decimal | None
    revenue_attainment: float | None
    won: int | None  # None: no opportunities loaded (the KPIs blank it)
    lost: int | None
    win_rate: float | None
    avg_deal_size: Decimal | None
    avg_sales_cycle_days: float | None
    median_sales_cycle_days: float | None
    won_amount: Decimal | None  # bookings: the amounts won (None: no opportunities loaded)
    won_amount_target: Decimal | None  # target of metric ``bookings``
    won_amount_attainment: float | None


_METRIC_COLUMNS = (
    "period, period_start, period_end, revenue, collections, orders, new_customers, "
    "avg_order_value, revenue_target, revenue_attainment, won, lost, win_rate, "
    "avg_deal_size, avg_sales_cycle_days, median_sales_cycle_days, "
    "won_amount, won_amount_target, won_amount_attainment"
)


@dataclass(frozen=True)
class Lead:
    """The amount a pack leads with: its headline, the first KPIs, the trend chart.

    ``key`` names its strings (``lead.<key>.*``); ``amount``, ``target`` and ``attainment``
    are the ``fct_sales_performance`` columns (and :class:`PeriodMetrics` fields); ``entity``
    is the input entity the amount is computed from.
    """

    key: str
    amount: str
    target: str
    attainment: str
    entity: str


#: Revenue: the booked ERP orders.
REVENUE = Lead("revenue", "revenue", "revenue_target", "revenue_attainment", "orders")
#: Bookings: the amounts of the opportunities won (a business that sells without ERP orders).
BOOKINGS = Lead(
    "bookings", "won_amount", "won_amount_target", "won_amount_attainment", "opportunities"
)


@dataclass(frozen=True)
class Frame:
    """What every section of one pack (period x scope) shares."""

    period: Period
    scope: Scope
    as_of_date: date
    latest_load_as_of: date | None
    current: PeriodMetrics  # the scope's row of the period
    available_periods: tuple[str, str] | None = None
    rep_name: str | None = None  # rep packs: the rep's name from dim_sales_reps
    #: rep packs: the team the rep was ranked in for the period (fct_rep_scorecard), when
    #: fct_team_averages has that team's row (the team of the team average beside the KPIs)
    rep_team: str | None = None
    #: the input entities as of the latest load (None: a warehouse without raw/meta tables)
    inputs: dict[str, EntityInput] | None = None

    @property
    def lead(self) -> Lead:
        """Bookings when no orders were ever loaded but opportunities were, else revenue."""
        if self.missing([REVENUE.entity]) and not self.missing([BOOKINGS.entity]):
            return BOOKINGS
        return REVENUE

    def missing(self, entities: Iterable[str]) -> list[str]:
        """Those of ``entities`` never loaded as of the pack's date."""
        if self.inputs is None:
            return []
        return [e for e in entities if e in self.inputs and self.inputs[e].state == "missing"]

    def stale(self, entities: Iterable[str]) -> list[EntityInput]:
        """Those of ``entities`` last loaded long before the pack's date."""
        if self.inputs is None:
            return []
        return [
            self.inputs[e] for e in entities if e in self.inputs and self.inputs[e].state == "stale"
        ]


# --------------------------------------------------------------------------- queries


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """``schema.name`` exists (the marts that came later may be missing: section left out)."""
    schema, name = table.split(".")
    return (
        con.execute(
            """select count(*) from information_schema.tables
               where table_schema = ? and table_name = ?""",
            [schema, name],
        ).fetchone()[0]
        > 0
    )


def check_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    missing = [t for t in tables if t not in present]
    if missing:
        raise MissingTablesError(
            "the warehouse lacks table(s) the review pack reads: "
            + ", ".join(missing)
            + " (run the dbt build first)"
        )


def available_period_range(
    con: duckdb.DuckDBPyConnection, period_type: str = "quarter", scope: Scope | None = None
) -> tuple[str, str] | None:
    scope = scope or Scope.company()
    row = con.execute(
        """select min(period), max(period) from marts.fct_sales_performance
           where period_type = ? and level = ? and scope_id = ?""",
        [period_type, scope.level, scope.scope_id],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def period_metrics(
    con: duckdb.DuckDBPyConnection,
    period_type: str,
    period: str,
    level: str = "company",
    scope_id: str = COMPANY_SCOPE_ID,
) -> PeriodMetrics | None:
    row = con.execute(
        f"""select {_METRIC_COLUMNS} from marts.fct_sales_performance
            where period_type = ? and period = ? and level = ? and scope_id = ?""",
        [period_type, period, level, scope_id],
    ).fetchone()
    return PeriodMetrics(*row) if row else None


def latest_load_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute("select max(as_of_date) from meta.loads").fetchone()
    return row[0] if row else None


def rep_name(con: duckdb.DuckDBPyConnection, rep_id: str) -> str | None:
    row = con.execute("select rep_name from marts.dim_sales_reps where rep_id = ?", [rep_id])
    found = row.fetchone()
    return found[0] if found else None


def rep_team(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, rep_id: str
) -> str | None:
    """The team the rep was ranked in for the period that has a ``fct_team_averages`` row."""
    rows = con.execute(
        """select a.team
           from marts.fct_rep_scorecard s
           join marts.fct_team_averages a
             on a.period_type = s.period_type and a.period = s.period and a.team = s.team
           where s.period_type = ? and s.period = ? and s.rep_id = ?""",
        [period_type, period, rep_id],
    ).fetchall()
    return rows[0][0] if rows else None


def read_frame(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    as_of_date: date | None,
    required_tables: tuple[str, ...],
    inputs_as_of: Callable[[date], dict[str, EntityInput] | None] | None = None,
) -> Frame:
    """The frame of one pack; ``NoDataForPeriod`` if the scope has no row for the period.

    A past period is read as of its end: ``as_of_date`` is the earlier of the period end
    and ``as_of_date`` (default: the latest load's business date). ``inputs_as_of`` gives
    the input entities as of a date (default: :func:`entity_inputs` on ``con``; a set of
    packs reads them once for all its scopes, see ``source.py``).
    """
    check_tables(con, required_tables)
    kind = period.period_type
    if not scope_exists(con, scope):
        raise NoDataForPeriod(
            f"unknown scope {scope.label}: no such {scope.level} in marts.dim_sales_reps"
        )
    current = period_metrics(con, kind, period.label, scope.level, scope.scope_id)
    available = available_period_range(con, kind, scope)
    if current is None:
        if available:
            where = f"the marts hold {kind}s {available[0]} to {available[1]}"
        else:
            where = f"the marts hold no {kind}ly data yet"
        what = "" if scope.level == "company" else f" and scope {scope.label}"
        raise NoDataForPeriod(
            f"no data for {kind} {period.label}{what} in marts.fct_sales_performance; {where}"
        )
    loaded = latest_load_as_of(con)
    rep = scope.level == "rep"
    as_of = resolve_as_of(current.period_end, as_of_date, loaded)
    return Frame(
        period=period,
        scope=scope,
        as_of_date=as_of,
        # the marts are built from every load: what they hold is judged at the latest one
        inputs=(inputs_as_of or (lambda day: entity_inputs(con, day)))(loaded or as_of),
        latest_load_as_of=loaded,
        current=current,
        available_periods=available,
        rep_name=rep_name(con, scope.scope_id) if rep else None,
        rep_team=rep_team(con, kind, period.label, scope.scope_id) if rep else None,
    )
