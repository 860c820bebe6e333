"""Data access for the review packs: SQL against the marts, plain values out.

Every function takes an open DuckDB connection and returns dataclasses holding
Python values: money stays ``Decimal`` exactly as DuckDB returns it, rates stay
``float`` (they are DOUBLE in the marts), dates are ``datetime.date``. Nothing
here formats, translates or decides what is worth saying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.periods import Period, Quarter, resolve_as_of, trailing_month_starts
from pipelines.packs import data_outlook
from pipelines.packs.data_outlook import (
    Channel,
    Customers,
    ForecastQuarter,
    PipelineCoverage,
    ReceivablesKpis,
)
from pipelines.packs.scope import Scope, scope_exists

#: Tables the quarterly pack reads; checked up front for a clear error.
REQUIRED_TABLES: tuple[str, ...] = (
    "marts.fct_sales_performance",
    "marts.fct_funnel_conversion",
    "marts.fct_lead_sources",
    "marts.fct_receivables_aging",
    "marts.fct_rep_scorecard",
    "marts.fct_team_averages",
    "marts.dq_findings",
    "marts.dim_sales_reps",
    "marts.dim_accounts",
    "meta.load_files",
    "meta.loads",
)

#: Aging buckets in display order (the mart's ``aging_bucket`` values).
AGING_BUCKETS: tuple[str, ...] = ("not_due", "1_30", "31_60", "61_90", "over_90")

#: Severities in display order (the mart's ``dq_findings.severity`` values).
SEVERITIES: tuple[str, ...] = ("quarantine", "warn")

COMPANY_SCOPE = "all"
TOP_OVERDUE_LIMIT = 10
OLDEST_FINDINGS_LIMIT = 10


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
    won: int
    lost: int
    win_rate: float | None
    avg_deal_size: Decimal | None
    avg_sales_cycle_days: float | None
    median_sales_cycle_days: float | None


_METRIC_COLUMNS = (
    "period, period_start, period_end, revenue, collections, orders, new_customers, "
    "avg_order_value, revenue_target, revenue_attainment, won, lost, win_rate, "
    "avg_deal_size, avg_sales_cycle_days, median_sales_cycle_days"
)


@dataclass(frozen=True)
class MonthPoint:
    month_start: date
    period: str | None  # None: the mart has no row for this month
    revenue: Decimal | None
    revenue_target: Decimal | None
    revenue_attainment: float | None


@dataclass(frozen=True)
class FunnelStage:
    stage_order: int
    stage_from: str
    stage_to: str
    reached_from: int
    reached_to: int
    conversion_rate: float | None


@dataclass(frozen=True)
class LeadSource:
    source: str
    leads: int
    converted: int
    lead_conversion_rate: float | None


@dataclass(frozen=True)
class RankingRow:
    scope_id: str
    name: str  # rep name (falls back to rep_id) or team name
    team: str | None
    region: str | None
    is_active: bool | None
    revenue: Decimal
    revenue_target: Decimal | None
    revenue_attainment: float | None
    won: int
    lost: int
    win_rate: float | None


@dataclass(frozen=True)
class AgingBucket:
    bucket: str
    outstanding: Decimal
    orders: int


@dataclass(frozen=True)
class OverdueItem:
    order_id: str
    account_id: str | None
    account_name: str | None
    rep_id: str | None
    rep_name: str | None
    currency: str | None
    due_date: date | None
    days_overdue: int
    outstanding: Decimal


@dataclass(frozen=True)
class Receivables:
    snapshot_date: date | None  # None: no snapshot on or before the cut-off
    buckets: list[AgingBucket]
    top_overdue: list[OverdueItem]
    overdue_orders: int


@dataclass(frozen=True)
class FindingCount:
    key: str | None  # rule, or owner's team (None: no owner / owner not in dim)
    severity: str
    count: int


@dataclass(frozen=True)
class OpenFinding:
    rule: str
    entity: str | None
    record_id: str | None
    record_name: str | None
    owner_rep_id: str | None
    owner_name: str | None
    column_name: str | None
    value_seen: str | None
    message: str | None
    first_seen_load: int | None


@dataclass(frozen=True)
class LoadQuality:
    load_id: int
    as_of_date: date | None
    files_loaded: int
    rows_in: int
    rows_quarantined: int


@dataclass(frozen=True)
class DataQuality:
    by_rule: list[FindingCount]
    by_team: list[FindingCount]
    oldest_quarantined: list[OpenFinding]
    latest_load: LoadQuality | None


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
class PackData:
    """Everything one pack (period x scope) shows, read in one go."""

    period: Period
    scope: Scope
    as_of_date: date
    latest_load_as_of: date | None
    current: PeriodMetrics
    previous: PeriodMetrics | None
    year_ago: PeriodMetrics | None
    months: list[MonthPoint]
    funnel: list[FunnelStage]
    funnel_previous: list[FunnelStage]
    lead_sources: list[LeadSource]
    teams: list[RankingRow]
    reps: list[RankingRow]
    receivables: Receivables
    quality: DataQuality
    team_average: TeamAverage | None = None
    rep_name: str | None = None  # rep packs: the rep's name from dim_sales_reps
    available_periods: tuple[str, str] | None = field(default=None)
    scorecard: Scorecard | None = None
    process: list[ProcessRow] = field(default_factory=list)
    # Sections of data_outlook.py (None: the warehouse lacks the mart; section left out)
    pipeline: PipelineCoverage | None = None
    forecast: list[ForecastQuarter] | None = None
    customers: Customers | None = None
    receivables_kpis: ReceivablesKpis | None = None
    channels: list[Channel] | None = None

    @property
    def quarter(self) -> Period:
        """The period (the name the quarterly pack used)."""
        return self.period


#: The name the quarterly pack used first.
QuarterlyData = PackData


# --------------------------------------------------------------------------- helpers


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def check_tables(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        f"{schema}.{name}"
        for schema, name in _rows(
            con, "select table_schema, table_name from information_schema.tables"
        )
    }
    missing = [t for t in REQUIRED_TABLES if t not in present]
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
    scope_id: str = COMPANY_SCOPE,
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
        for r in _rows(
            con,
            """select period, period_start, revenue, revenue_target, revenue_attainment
               from marts.fct_sales_performance
               where period_type = 'month' and level = ? and scope_id = ?
                 and period_start between ? and ?""",
            [scope.level, scope.scope_id, starts[0], starts[-1]],
        )
    }
    points = []
    for start in starts:
        r = found.get(start)
        if r is None:
            points.append(MonthPoint(start, None, None, None, None))
        else:
            points.append(MonthPoint(start, r[0], r[2], r[3], r[4]))
    return points


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
        for r in _rows(
            con,
            """select stage_order, stage_from, stage_to, reached_from, reached_to, conversion_rate
               from marts.fct_funnel_conversion
               where period_type = ? and period = ? and level = ? and scope_id = ?
               order by stage_order""",
            [period_type, period, scope.level, scope.scope_id],
        )
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
        for r in _rows(
            con,
            """select source, leads, converted, lead_conversion_rate
               from marts.fct_lead_sources
               where period_type = ? and period = ? and level = ? and scope_id = ?
               order by leads desc, source""",
            [period_type, period, scope.level, scope.scope_id],
        )
    ]


_RANKING_ORDER = "order by p.revenue_attainment desc nulls last, p.revenue desc, name"


def team_ranking(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    region: str | None = None,
) -> list[RankingRow]:
    """Teams by attainment (highest first, no target last), region from the rep dimension.

    ``region`` keeps only that region's teams.
    """
    return [
        RankingRow(*r)
        for r in _rows(
            con,
            f"""with team_region as (
                    select team, min(region) as region from marts.dim_sales_reps group by team
                )
                select p.scope_id, p.scope_id as name, p.scope_id as team, t.region,
                       null::boolean as is_active, p.revenue, p.revenue_target,
                       p.revenue_attainment, p.won, p.lost, p.win_rate
                from marts.fct_sales_performance p
                left join team_region t on t.team = p.scope_id
                where p.period_type = ? and p.period = ? and p.level = 'team'
                  and (? is null or t.region = ?)
                {_RANKING_ORDER}""",
            [period_type, period, region, region],
        )
    ]


def rep_ranking(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    scope: Scope | None = None,
) -> list[RankingRow]:
    """Reps of ``scope`` (default: all) by attainment (highest first, no target last)."""
    # A rep ranks in the team and region of the period (the scorecard's), else today's.
    where, params = (scope or Scope.company()).rep_filter(
        "p.scope_id", "coalesce(s.team, r.team)", "coalesce(s.region, r.region)"
    )
    return [
        RankingRow(*r)
        for r in _rows(
            con,
            f"""select p.scope_id, coalesce(r.rep_name, p.scope_id) as name,
                       coalesce(s.team, r.team), coalesce(s.region, r.region),
                       r.is_active, p.revenue, p.revenue_target, p.revenue_attainment,
                       p.won, p.lost, p.win_rate
                from marts.fct_sales_performance p
                left join marts.dim_sales_reps r on r.rep_id = p.scope_id
                left join marts.fct_rep_scorecard s
                  on s.period_type = p.period_type and s.period = p.period
                  and s.rep_id = p.scope_id
                where p.period_type = ? and p.period = ? and p.level = 'rep' and {where}
                {_RANKING_ORDER}""",
            [period_type, period, *params],
        )
    ]


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


def receivables(
    con: duckdb.DuckDBPyConnection, cutoff: date, scope: Scope | None = None
) -> Receivables:
    """The latest aging snapshot on or before ``cutoff``: bucket totals and top overdue.

    Only orders of ``scope``: a team or region by the team the rep was in at the order date
    (the mart's team / region, as in ``fct_receivables_kpis``); default: every order.
    """
    where, params = (scope or Scope.company()).rep_filter("r.rep_id", "r.team", "r.region")
    row = con.execute(
        "select max(as_of_date) from marts.fct_receivables_aging where as_of_date <= ?",
        [cutoff],
    ).fetchone()
    snapshot = row[0] if row else None
    if snapshot is None:
        return Receivables(None, [AgingBucket(b, Decimal("0.00"), 0) for b in AGING_BUCKETS], [], 0)
    totals = {
        r[0]: r
        for r in _rows(
            con,
            f"""select aging_bucket, sum(outstanding), count(*) filter (where outstanding > 0)
               from marts.fct_receivables_aging r where as_of_date = ? and {where}
               group by aging_bucket""",
            [snapshot, *params],
        )
    }
    buckets = [
        AgingBucket(b, totals[b][1], totals[b][2])
        if b in totals
        else AgingBucket(b, Decimal("0.00"), 0)
        for b in AGING_BUCKETS
    ]
    # Buckets the pack does not know about would silently vanish: fail loudly instead.
    unknown = sorted(str(b) for b in totals if b not in AGING_BUCKETS)
    if unknown:
        raise ValueError(f"unknown aging_bucket value(s) in marts.fct_receivables_aging: {unknown}")
    top = [
        OverdueItem(*r)
        for r in _rows(
            con,
            f"""select r.order_id, r.account_id, a.account_name, r.rep_id, s.rep_name,
                      r.currency, r.due_date, r.days_overdue, r.outstanding
               from marts.fct_receivables_aging r
               left join marts.dim_accounts a on a.account_id = r.account_id
               left join marts.dim_sales_reps s on s.rep_id = r.rep_id
               where r.as_of_date = ? and r.days_overdue > 0 and r.outstanding > 0 and {where}
               order by r.outstanding desc, r.days_overdue desc, r.order_id
               limit ?""",
            [snapshot, *params, TOP_OVERDUE_LIMIT],
        )
    ]
    overdue_orders = con.execute(
        f"""select count(*) from marts.fct_receivables_aging r
           where as_of_date = ? and days_overdue > 0 and outstanding > 0 and {where}""",
        [snapshot, *params],
    ).fetchone()[0]
    return Receivables(snapshot, buckets, top, overdue_orders)


def load_as_of(con: duckdb.DuckDBPyConnection, as_of: date) -> int | None:
    """The last load whose business date is on or before ``as_of``."""
    row = con.execute(
        "select max(load_id) from meta.loads where as_of_date <= ?", [as_of]
    ).fetchone()
    return row[0] if row else None


def data_quality(
    con: duckdb.DuckDBPyConnection, scope: Scope | None = None, as_of: date | None = None
) -> DataQuality:
    """Findings open as of the last load on or before ``as_of`` (default: open now).

    For the latest load that is ``is_open``; for an earlier load ``L`` a finding
    was open when ``first_seen_load <= L <= last_seen_load``. Findings are kept
    when their owner rep is in ``scope`` (the company keeps unowned ones too).
    """
    scope = scope or Scope.company()
    owner, owner_params = scope.rep_filter("f.owner_rep_id")
    latest = con.execute("select max(load_id) from meta.loads").fetchone()[0]
    as_of_load = load_as_of(con, as_of) if as_of is not None else latest
    if as_of_load is None and latest is not None:
        open_sql, open_params = "false", []  # nothing was loaded by then
    elif as_of_load is None or as_of_load == latest:
        open_sql, open_params = "f.is_open", []
    else:
        open_sql = "f.first_seen_load <= ? and f.last_seen_load >= ?"
        open_params = [as_of_load, as_of_load]
    where = f"({open_sql}) and {owner}"
    params = [*open_params, *owner_params]
    by_rule = [
        FindingCount(*r)
        for r in _rows(
            con,
            f"""select rule, severity, count(*) from marts.dq_findings f
               where {where} group by rule, severity order by rule, severity""",
            params,
        )
    ]
    by_team = [
        FindingCount(*r)
        for r in _rows(
            con,
            f"""select s.team, f.severity, count(*)
               from marts.dq_findings f
               left join marts.dim_sales_reps s on s.rep_id = f.owner_rep_id
               where {where} group by s.team, f.severity
               order by s.team nulls last, f.severity""",
            params,
        )
    ]
    oldest = [
        OpenFinding(*r)
        for r in _rows(
            con,
            f"""select f.rule, f.entity, f.record_id, f.record_name, f.owner_rep_id, s.rep_name,
                      f.column_name, f.value_seen, f.message, f.first_seen_load
               from marts.dq_findings f
               left join marts.dim_sales_reps s on s.rep_id = f.owner_rep_id
               where {where} and f.severity = 'quarantine'
               order by f.first_seen_load nulls last, f.finding_id
               limit ?""",
            [*params, OLDEST_FINDINGS_LIMIT],
        )
    ]
    row = con.execute(
        """with latest as (
               select max(load_id) as load_id from meta.load_files
               where status = 'loaded' and (? is null or load_id <= ?)
           )
           select f.load_id, any_value(l.as_of_date), count(*),
                  coalesce(sum(f.rows_in), 0), coalesce(sum(f.rows_quarantined), 0)
           from meta.load_files f
           join latest on latest.load_id = f.load_id
           left join meta.loads l on l.load_id = f.load_id
           where f.status = 'loaded'
           group by f.load_id""",
        [as_of_load, as_of_load],
    ).fetchone()
    latest_load = LoadQuality(*row) if row else None
    return DataQuality(by_rule, by_team, oldest, latest_load)


def read_pack_data(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope | None = None,
    as_of_date: date | None = None,
) -> PackData:
    """Read everything one pack needs; ``ValueError`` if the scope has no data for the period.

    A past period is read as of its end: the receivables snapshot and the open
    data-quality findings are the latest on or before min(period end, as_of_date).
    """

    check_tables(con)
    scope = scope or Scope.company()
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
    load_as_of = latest_load_as_of(con)
    as_of = resolve_as_of(current.period_end, as_of_date, load_as_of)
    previous = period.previous().label

    def metrics(label: str) -> PeriodMetrics | None:
        return period_metrics(con, kind, label, scope.level, scope.scope_id)

    if scope.level == "company":
        teams = team_ranking(con, period.label, kind)
    elif scope.level == "region":
        teams = team_ranking(con, period.label, kind, region=scope.scope_id)
    else:
        teams = []  # a team's or a rep's pack ranks no other team
    # A rep's pack holds no other rep's individual rows: no rep ranking at all.
    reps = [] if scope.level == "rep" else rep_ranking(con, period.label, kind, scope)
    return PackData(
        period=period,
        scope=scope,
        as_of_date=as_of,
        latest_load_as_of=load_as_of,
        current=current,
        previous=metrics(previous),
        year_ago=metrics(period.year_ago().label),
        months=monthly_series(con, current.period_end, scope=scope),
        funnel=funnel(con, period.label, kind, scope),
        funnel_previous=funnel(con, previous, kind, scope),
        lead_sources=lead_sources(con, period.label, kind, scope),
        teams=teams,
        reps=reps,
        receivables=receivables(con, as_of, scope),
        quality=data_quality(con, scope, as_of),
        team_average=team_average(con, kind, period.label, scope.scope_id)
        if scope.level == "rep"
        else None,
        rep_name=_rep_name(con, scope.scope_id) if scope.level == "rep" else None,
        available_periods=available,
        scorecard=scorecard(con, kind, period.label, scope),
        process=process_activity(con, kind, period.label, scope),
        pipeline=data_outlook.pipeline_coverage(con, scope, current.period_start, as_of),
        forecast=data_outlook.revenue_forecast(con, current.period_end, scope),
        customers=data_outlook.customers(con, kind, period.label, scope),
        receivables_kpis=data_outlook.receivables_kpis(con, kind, period.label, scope),
        channels=data_outlook.sales_channels(con, kind, period.label, scope),
    )


def _rep_name(con: duckdb.DuckDBPyConnection, rep_id: str) -> str | None:
    row = con.execute("select rep_name from marts.dim_sales_reps where rep_id = ?", [rep_id])
    found = row.fetchone()
    return found[0] if found else None


def read_quarterly_data(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, as_of_date: date | None = None
) -> PackData:
    """The company pack of ``quarter`` (the first entry point; see :func:`read_pack_data`)."""
    return read_pack_data(con, quarter, Scope.company(), as_of_date)


# --------------------------------------------------------------------------- scorecard, process


@dataclass(frozen=True)
class ScorecardRow:
    """One rep's row of ``marts.fct_rep_scorecard`` (scores 0–100, None: part not scored)."""

    rep_id: str
    name: str
    team: str | None  # the team the rep was ranked in (the period's team)
    result_score: Decimal | None
    process_score: Decimal | None
    capability_score: Decimal | None
    scorecard_score: Decimal | None
    rank_in_team: int | None
    rank_in_company: int | None


@dataclass(frozen=True)
class Scorecard:
    rows: list[ScorecardRow]
    #: Rep packs: fct_team_averages.avg_scorecard_score of the rep's team (the mean over its
    #: scored reps) and scored_reps, how many reps that is; None elsewhere.
    team_average: Decimal | None = None
    team_scored: int = 0


def scorecard(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope | None = None
) -> Scorecard:
    """Scorecard rows of the reps in ``scope``, best score first (unscored last).

    A rep's pack gets only the rep's own row, plus their team's average score.
    """
    scope = scope or Scope.company()
    where, params = scope.rep_filter("s.rep_id", "s.team", "s.region")
    rows = [
        ScorecardRow(*r)
        for r in _rows(
            con,
            f"""select s.rep_id, coalesce(r.rep_name, s.rep_id) as name, s.team,
                       s.result_score, s.process_score, s.capability_score, s.scorecard_score,
                       s.rank_in_team, s.rank_in_company
                from marts.fct_rep_scorecard s
                left join marts.dim_sales_reps r on r.rep_id = s.rep_id
                where s.period_type = ? and s.period = ? and {where}
                order by s.scorecard_score desc nulls last, name, s.rep_id""",
            [period_type, period, *params],
        )
    ]
    if scope.level != "rep" or not rows or rows[0].team is None:
        return Scorecard(rows)
    found = con.execute(
        """select avg_scorecard_score, scored_reps from marts.fct_team_averages
           where period_type = ? and period = ? and team = ?""",
        [period_type, period, rows[0].team],
    ).fetchall()
    return Scorecard(rows, *found[0]) if found else Scorecard(rows)


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
    for r in _rows(
        con,
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
    ):
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
