"""Receivables aging: the latest aging snapshot by bucket, the top overdue orders, DSO, and
the expected-loss provision by bucket.

Reads ``marts.fct_receivables_aging`` (the latest snapshot on or before the as-of date; a
team or region by the team the rep was in at the order date), with account names from
``marts.dim_accounts`` and owners from ``marts.dim_sales_reps``; and, when the mart exists,
the scope's DSO and on-time collection rate of the period (``marts.fct_receivables_kpis``);
and, when that mart exists, the provision of the snapshot by aging bucket
(``marts.fct_receivables_provision``: outstanding × the bucket's loss rate); and, when
``marts.fct_account_credit_risk`` exists too, the scope's accounts of the highest bad-debt
risk: the account's risk score and band (a property of the account, over all its open
receivables) beside the exposure, overdue amount and expected loss of the scope's own orders
(the provision rows of the scope, so they add up to the provision table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
from markupsafe import Markup

from pipelines.core.i18n import Strings
from pipelines.packs import charts
from pipelines.packs.formatting import Formatter, known_amount, known_sum
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import (
    Ctx,
    Section,
    SectionContent,
    format_kind,
    table_grid,
    unit,
)
from pipelines.packs.tables import Column, Table

#: Aging buckets in display order (the mart's ``aging_bucket`` values).
AGING_BUCKETS: tuple[str, ...] = ("not_due", "1_30", "31_60", "61_90", "over_90")
TOP_OVERDUE_LIMIT = 10
TOP_RISK_LIMIT = 10


@dataclass(frozen=True)
class AgingBucket:
    bucket: str
    outstanding: Decimal | None  # None: no amount of the bucket converts (no fx rate)
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
    outstanding: Decimal | None


@dataclass(frozen=True)
class Receivables:
    snapshot_date: date | None  # None: no snapshot on or before the cut-off
    buckets: list[AgingBucket]
    top_overdue: list[OverdueItem]
    overdue_orders: int


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


@dataclass(frozen=True)
class ProvisionBucket:
    """Expected loss of one aging bucket (``fct_receivables_provision``)."""

    bucket: str
    outstanding: Decimal | None
    loss_rate: Decimal | None  # None: nothing in the bucket
    expected_loss: Decimal | None


@dataclass(frozen=True)
class AccountRisk:
    """One account of the scope with an open receivable: its risk (fct_account_credit_risk)
    and the scope's exposure to it (fct_receivables_provision rows of the scope's orders)."""

    account_id: str
    account_name: str | None
    risk_score: float
    risk_band: str  # high / medium / low
    exposure: Decimal | None  # None: an amount without fx rate (see known_sum)
    overdue: Decimal | None
    expected_loss: Decimal | None


@dataclass(frozen=True)
class ReceivablesFigures:
    aging: Receivables
    kpis: ReceivablesKpis | None  # None: no fct_receivables_kpis (or no row): no DSO block
    #: None: no fct_receivables_provision or no snapshot: no provision block
    provision: list[ProvisionBucket] | None = None
    #: None: no fct_account_credit_risk / provision or no snapshot: no credit-risk block
    risk: list[AccountRisk] | None = None


# --------------------------------------------------------------------------- queries


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
        for r in con.execute(
            f"""select aging_bucket, sum(outstanding), count(*) filter (where outstanding > 0)
               from marts.fct_receivables_aging r where as_of_date = ? and {where}
               group by aging_bucket""",
            [snapshot, *params],
        ).fetchall()
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
        for r in con.execute(
            f"""select r.order_id, r.account_id, a.account_name, r.rep_id, s.rep_name,
                      r.currency, r.due_date, r.days_overdue, r.outstanding
               from marts.fct_receivables_aging r
               left join marts.dim_accounts a on a.account_id = r.account_id
               left join marts.dim_sales_reps s on s.rep_id = r.rep_id
               where r.as_of_date = ? and r.days_overdue > 0 and r.outstanding > 0 and {where}
               order by r.outstanding desc, r.days_overdue desc, r.order_id
               limit ?""",
            [snapshot, *params, TOP_OVERDUE_LIMIT],
        ).fetchall()
    ]
    overdue_orders = con.execute(
        f"""select count(*) from marts.fct_receivables_aging r
           where as_of_date = ? and days_overdue > 0 and outstanding > 0 and {where}""",
        [snapshot, *params],
    ).fetchone()[0]
    return Receivables(snapshot, buckets, top, overdue_orders)


def receivables_kpis(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> ReceivablesKpis | None:
    """The scope's DSO and on-time collection rate; None without the mart or a row."""
    if not has_table(con, "marts.fct_receivables_kpis"):
        return None
    row = con.execute(
        """select measure_date, days_measured, revenue, receivables_end, dso_days,
                  due_in_period, paid_on_time, on_time_collection_rate
           from marts.fct_receivables_kpis
           where period_type = ? and period = ? and level = ? and scope_id = ?""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return ReceivablesKpis(*row[0]) if row else None


def provision(
    con: duckdb.DuckDBPyConnection, snapshot: date | None, scope: Scope | None = None
) -> list[ProvisionBucket] | None:
    """The expected-loss provision of the aging snapshot by bucket, for the scope's orders;
    None without the mart or a snapshot."""
    if snapshot is None or not has_table(con, "marts.fct_receivables_provision"):
        return None
    where, params = (scope or Scope.company()).rep_filter("r.rep_id", "r.team", "r.region")
    rows = {
        r[0]: r
        for r in con.execute(
            f"""select aging_bucket, sum(outstanding), max(loss_rate), sum(expected_loss)
                from marts.fct_receivables_provision r where as_of_date = ? and {where}
                group by aging_bucket""",
            [snapshot, *params],
        ).fetchall()
    }
    return [
        ProvisionBucket(*rows[b]) if b in rows else ProvisionBucket(b, Decimal("0.00"), None, None)
        for b in AGING_BUCKETS
    ]


def credit_risk(
    con: duckdb.DuckDBPyConnection,
    snapshot: date | None,
    scope: Scope | None = None,
    limit: int = TOP_RISK_LIMIT,
) -> list[AccountRisk] | None:
    """The scope's accounts with something outstanding at the snapshot, highest risk score
    first (then the larger expected loss, then the account id); None without the marts or a
    snapshot. Exposure, overdue and expected loss are those of the scope's orders."""
    needed = ("marts.fct_account_credit_risk", "marts.fct_receivables_provision")
    if snapshot is None or not all(has_table(con, table) for table in needed):
        return None
    where, params = (scope or Scope.company()).rep_filter("r.rep_id", "r.team", "r.region")
    rows = con.execute(
        f"""with exposure as (
                select r.account_id, sum(r.outstanding) as exposure,
                       coalesce(sum(r.outstanding) filter (where r.days_overdue > 0), 0)
                           as overdue,
                       sum(r.expected_loss) as expected_loss
                from marts.fct_receivables_provision r
                where r.as_of_date = ? and r.outstanding > 0 and {where}
                group by r.account_id
            )
            select e.account_id, a.account_name, k.risk_score, k.risk_band, e.exposure,
                   e.overdue, e.expected_loss
            from exposure e
            inner join marts.fct_account_credit_risk k
                on k.as_of_date = ? and k.account_id = e.account_id
            left join marts.dim_accounts a on a.account_id = e.account_id
            order by k.risk_score desc, e.expected_loss desc nulls last, e.account_id
            limit ?""",
        [snapshot, *params, snapshot, limit],
    ).fetchall()
    return [AccountRisk(*r) for r in rows]


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> ReceivablesFigures:
    kind, label = frame.period.period_type, frame.period.label
    aging = receivables(con, frame.as_of_date, frame.scope)
    return ReceivablesFigures(
        aging,
        receivables_kpis(con, kind, label, frame.scope),
        provision(con, aging.snapshot_date, frame.scope),
        credit_risk(con, aging.snapshot_date, frame.scope),
    )


# --------------------------------------------------------------------------- commentary


def bucket_total(buckets: list[AgingBucket], name: str) -> Decimal:
    """The bucket's known outstanding amount (unconverted amounts add nothing)."""
    return known_amount(next((b.outstanding for b in buckets if b.bucket == name), None))


def outstanding_total(buckets: list[AgingBucket]) -> Decimal | None:
    """Outstanding of every bucket; None when no amount converts (see ``known_sum``)."""
    return known_sum(b.outstanding for b in buckets)


def share(part: Decimal | None, total: Decimal | None) -> Decimal | None:
    return part / total if part is not None and total else None


def receivables_commentary(
    rec: Receivables, cutoff_label: str, fmt: Formatter, t: Strings
) -> list[str]:
    if rec.snapshot_date is None:
        return [t("receivables.no_snapshot", date=cutoff_label)]
    total = outstanding_total(rec.buckets)
    orders = sum(b.orders for b in rec.buckets)
    date = fmt.date(rec.snapshot_date)
    if total is None:
        return [t("receivables.unconverted", date=date, currency=fmt.currency)]
    if total <= 0:
        return [t("receivables.nothing", date=date)]
    overdue = total - bucket_total(rec.buckets, "not_due")
    out = [
        t(
            "receivables.summary",
            date=date,
            total=fmt.headline_money(total),
            orders=t.plural("receivables.orders", orders, count=fmt.count(orders)),
            overdue=fmt.headline_money(overdue),
            share=fmt.pct(overdue / total),
        )
    ]
    over_90 = bucket_total(rec.buckets, "over_90")
    if over_90 > 0:
        out.append(
            t(
                "receivables.over_90",
                amount=fmt.headline_money(over_90),
                share=fmt.pct(over_90 / total),
            )
        )
    else:
        out.append(t("receivables.none_over_90"))
    if rec.top_overdue:
        top = rec.top_overdue[0]
        out.append(
            t(
                "receivables.largest",
                order=top.order_id,
                account=top.account_name or top.account_id or fmt.na,
                amount=fmt.headline_money(top.outstanding),
                days=fmt.count(top.days_overdue),
                rep=top.rep_name or top.rep_id or fmt.na,
            )
        )
    return out


def receivables_kpi_commentary(k: ReceivablesKpis, period: str, fmt: Formatter, t: Strings) -> str:
    """One sentence: DSO and the on-time collection rate of the period."""
    dso = t("receivables.dso_sentence", period=period, dso=fmt.days(k.dso_days))
    if k.on_time_collection_rate is None:
        return dso + t("fmt.sentence_sep") + t("receivables.nothing_due", period=period)
    return (
        dso
        + t("fmt.sentence_sep")
        + t(
            "receivables.on_time_sentence",
            rate=fmt.pct(k.on_time_collection_rate),
            due=fmt.headline_money(k.due_in_period),
        )
    )


def glance_receivables(
    rec: Receivables, kpis: ReceivablesKpis | None, period: str, fmt: Formatter, t: Strings
) -> str | None:
    """DSO of the period and the overdue exposure of the aging snapshot (either may be absent)."""
    clauses = []
    if kpis is not None and kpis.dso_days is not None:
        clauses.append(t("glance.dso", period=period, dso=fmt.days(kpis.dso_days)))
    if rec.snapshot_date is not None:
        total = outstanding_total(rec.buckets)
        date = fmt.date(rec.snapshot_date)
        if total is None:
            pass  # no amount converts: the section says so
        elif total > 0:
            overdue = total - bucket_total(rec.buckets, "not_due")
            clauses.append(
                t(
                    "glance.overdue",
                    overdue=fmt.headline_money(overdue),
                    date=date,
                    share=fmt.pct(overdue / total),
                    total=fmt.headline_money(total),
                )
            )
        else:
            clauses.append(t("glance.nothing_outstanding", date=date))
    if not clauses:
        return None
    return t("glance.receivables", clauses=t("glance.clause_sep").join(clauses))


# --------------------------------------------------------------------------- context

#: The DSO block's figures (fct_receivables_kpis columns) and their kinds.
KPI_NAMES: tuple[tuple[str, str], ...] = (
    ("dso_days", "days"),
    ("on_time_collection_rate", "pct"),
    ("receivables_end", "money"),
    ("revenue", "money"),
    ("due_in_period", "money"),
    ("paid_on_time", "money"),
    ("days_measured", "count"),
)


def _aging_tables(rec: Receivables, total: Decimal | None, title: str, c: Ctx) -> list[Table]:
    t = c.t
    return [
        Table(
            "aging",
            title,
            [
                Column(t("receivables.bucket")),
                Column(t("receivables.outstanding"), "money"),
                Column(t("receivables.orders_col"), "count"),
                Column(t("receivables.share"), "pct"),
            ],
            [
                [
                    t(f"bucket.{b.bucket}"),
                    b.outstanding,
                    b.orders,
                    share(b.outstanding, total),
                ]
                for b in rec.buckets
            ]
            + [[t("receivables.total"), total, sum(b.orders for b in rec.buckets), None]],
        ),
        Table(
            "overdue-top",
            t("receivables.top_heading"),
            [
                Column(t("receivables.order")),
                Column(t("receivables.account")),
                Column(t("receivables.owner")),
                Column(t("receivables.due_date"), "date"),
                Column(t("receivables.days_overdue"), "count"),
                Column(t("receivables.outstanding"), "money"),
                Column(t("receivables.currency")),
            ],
            [
                [
                    o.order_id,
                    c.crm(o.account_name) or o.account_id,
                    o.rep_name or o.rep_id,
                    o.due_date,
                    o.days_overdue,
                    o.outstanding,
                    o.currency,
                ]
                for o in rec.top_overdue
            ],
        ),
    ]


def context(data: ReceivablesFigures, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    rec, k = data.aging, data.kpis
    as_of = c.frame.as_of_date
    total = outstanding_total(rec.buckets)
    divisor = charts.axis_scale(
        float(max((known_amount(b.outstanding) for b in rec.buckets), default=0)), wan=fmt.wan
    )
    title = t("receivables.title")
    amounts = [float(known_amount(b.outstanding)) for b in rec.buckets]
    drawn = bool(rec.snapshot_date) and charts.drawable(amounts)
    top = [
        dict(
            order_id=o.order_id,
            account=c.crm(o.account_name) or o.account_id or fmt.na,
            owner=o.rep_name or o.rep_id or fmt.na,
            currency=o.currency or fmt.na,
            due_date=fmt.date(o.due_date),
            days_overdue=fmt.count(o.days_overdue),
            outstanding=fmt.money(o.outstanding),
        )
        for o in rec.top_overdue
    ]
    tables = _aging_tables(rec, total, title, c)
    # DSO and on-time collection of the period (fct_receivables_kpis), when the mart exists
    kpi_table = Table(
        "receivables-kpis",
        t("receivables.kpis_heading"),
        [Column(t("receivables.kpi")), Column(c.period, "number")],
        [[t(f"receivables.{n}"), getattr(k, n) if k else None] for n, _kind in KPI_NAMES],
        row_kinds=[kind for _n, kind in KPI_NAMES],  # type: ignore[misc]
    )
    kpi_rows = (
        [
            dict(
                key=n,
                label=t(f"receivables.{n}"),
                value=format_kind(fmt, kind, getattr(k, n), headline=False),
            )
            for n, kind in KPI_NAMES
        ]
        if k
        else []
    )
    sentences = receivables_commentary(rec, fmt.date(as_of), fmt, t)
    if k:
        sentences.append(receivables_kpi_commentary(k, c.period, fmt, t))
    prov = data.provision
    provision_total = known_sum(p.expected_loss for p in prov) if prov else None
    if prov and provision_total is not None and total:
        sentences.append(
            t(
                "receivables.provision_sentence",
                amount=fmt.headline_money(provision_total),
                share=fmt.pct(provision_total / total),
            )
        )
    provision_table = (
        [
            Table(
                "provision",
                t("receivables.provision_heading"),
                [
                    Column(t("receivables.bucket")),
                    Column(t("receivables.outstanding"), "money"),
                    Column(t("receivables.loss_rate"), "pct"),
                    Column(t("receivables.expected_loss"), "money"),
                ],
                [
                    [t(f"bucket.{p.bucket}"), p.outstanding, p.loss_rate, p.expected_loss]
                    for p in prov
                ]
                + [[t("receivables.total"), total, None, provision_total]],
            )
        ]
        if prov
        else []
    )
    risk = data.risk
    if risk:
        sentences.append(risk_commentary(risk, fmt, t, c))
    risk_tables = [_risk_table(risk, c)] if risk else []
    return SectionContent(
        dict(
            snapshot=fmt.date(rec.snapshot_date) if rec.snapshot_date else None,
            snapshot_note=t(
                "receivables.snapshot",
                snapshot=fmt.date(rec.snapshot_date),
                cutoff=fmt.date(as_of),
            )
            if rec.snapshot_date
            else None,
            buckets=[
                dict(
                    key=b.bucket,
                    label=t(f"bucket.{b.bucket}"),
                    outstanding=fmt.money(b.outstanding),
                    orders=fmt.count(b.orders),
                    share=fmt.pct(share(b.outstanding, total)),
                )
                for b in rec.buckets
            ],
            total=dict(
                outstanding=fmt.money(total),
                orders=fmt.count(sum(b.orders for b in rec.buckets)),
            ),
            chart=Markup(
                charts.aging_chart(
                    [t(f"bucket.{b}") for b in AGING_BUCKETS],
                    amounts,
                    title=title,
                    y_label=t("receivables.axis", unit=unit(t, divisor, fmt.currency)),
                    x_label=t("receivables.bucket"),
                    divisor=divisor,
                )
            )
            if drawn
            else None,
            no_chart=t("receivables.no_chart", date=fmt.date(rec.snapshot_date))
            if rec.snapshot_date and not drawn
            else None,
            top=top,
            overdue_orders=rec.overdue_orders,
            note=t("receivables.note"),
            kpis=kpi_rows,
            provision=[
                dict(
                    key=p.bucket,
                    label=t(f"bucket.{p.bucket}"),
                    outstanding=fmt.money(p.outstanding),
                    loss_rate=fmt.pct(p.loss_rate) if p.loss_rate is not None else fmt.na,
                    expected_loss=fmt.money(p.expected_loss),
                )
                for p in prov
            ]
            if prov
            else None,
            provision_total=fmt.money(provision_total) if prov else None,
            provision_note=t("receivables.provision_note") if prov else None,
            risk=table_grid(
                "credit-risk",
                t("receivables.risk_heading"),
                risk_tables[0],
                fmt,
                {0: lambda v: v or fmt.na, 1: lambda v: fmt.number(v, 1)},
            )
            if risk
            else None,
            risk_note=t("receivables.risk_note") if risk else None,
            kpis_note=t("receivables.kpis_note", date=fmt.date(k.measure_date)) if k else None,
            source="marts.fct_receivables_aging, marts.dim_accounts, marts.dim_sales_reps"
            + (f", marts.fct_receivables_kpis ({c.kind}, {c.level})" if k else "")
            + (", marts.fct_receivables_provision" if prov else "")
            + (", marts.fct_account_credit_risk" if risk else ""),
        ),
        sentences,
        ([kpi_table] if k else [])
        + (tables if rec.snapshot_date else [])
        + provision_table
        + risk_tables,
    )


def _risk_table(risk: list[AccountRisk], c: Ctx) -> Table:
    """The scope's accounts of the highest bad-debt risk (values for the sheet and the grid)."""
    t = c.t
    return Table(
        "credit-risk",
        t("receivables.risk_heading"),
        [
            Column(t("receivables.account")),
            Column(t("receivables.risk_score"), "number"),
            Column(t("receivables.risk_band")),
            Column(t("receivables.exposure"), "money"),
            Column(t("receivables.overdue"), "money"),
            Column(t("receivables.expected_loss"), "money"),
        ],
        [
            [
                c.crm(a.account_name) or a.account_id,
                Decimal(str(a.risk_score)),
                t(f"receivables.band_{a.risk_band}"),
                a.exposure,
                a.overdue,
                a.expected_loss,
            ]
            for a in risk
        ],
    )


def risk_commentary(risk: list[AccountRisk], fmt: Formatter, t: Strings, c: Ctx) -> str:
    """The riskiest account of the scope, and how many of its accounts are high risk."""
    top = risk[0]
    high = sum(1 for a in risk if a.risk_band == "high")
    return t(
        "receivables.risk_sentence",
        account=c.crm(top.account_name) or top.account_id,
        score=fmt.number(Decimal(str(top.risk_score)), 1),
        band=t(f"receivables.band_{top.risk_band}"),
        overdue=fmt.headline_money(top.overdue),
        loss=fmt.headline_money(top.expected_loss),
    ) + (t("fmt.sentence_sep") + t("receivables.risk_high", count=fmt.count(high)) if high else "")


def glance(data: ReceivablesFigures, content: SectionContent, c: Ctx) -> str | None:
    return glance_receivables(data.aging, data.kpis, c.period, c.fmt, c.t)


SECTION = Section(
    key="receivables",
    marts=("marts.fct_receivables_aging", "marts.dim_accounts", "marts.dim_sales_reps"),
    optional_marts=(
        "marts.fct_receivables_kpis",
        "marts.fct_receivables_provision",
        "marts.fct_account_credit_risk",
    ),
    load=load,
    context=context,
    glance=glance,
    entities=("orders", "payments"),
)
