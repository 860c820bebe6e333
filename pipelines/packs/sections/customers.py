"""Customers: movement and repeat purchase of the scope, its accounts by company ABC tier.

Reads the scope's row of ``marts.fct_customer_retention`` for the period and its rows of
``marts.fct_customer_value_tiers`` (the tier is the account's place in the company ranking;
the revenue is the scope's). New customers (first order) are the frame's
``fct_sales_performance.new_customers``. Both marts came later than the core ones: a
warehouse without them leaves the section out. Customer acquisition cost (CAC) and its
payback come from the scope's row of ``marts.fct_customer_acquisition`` (when the warehouse
has it); without a loaded ``marketing_spend`` file they are n/a, and the notes say why. Its
channel rows break CAC down by spend channel (a new customer counts for the lead source of its
first order's opportunity), each n/a channel with its reason (``cac_na_reason``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter, known_sum
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, table_grid
from pipelines.packs.tables import Column, Table

#: ABC tiers in display order (the mart's ``value_tier`` values).
VALUE_TIERS: tuple[str, ...] = ("A", "B", "C")


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
    trailing_revenue: Decimal | None  # None: no amount converts (no fx rate)


@dataclass(frozen=True)
class Acquisition:
    """One row of ``fct_customer_acquisition``: the scope's spend, CAC and CAC payback."""

    spend: Decimal | None  # None: no spend row for the scope and period, or one without fx
    unpriced_spend_rows: int
    new_customers: int
    cac: Decimal | None
    cac_payback_months: Decimal | None
    first_year_complete: bool


@dataclass(frozen=True)
class ChannelAcquisition:
    """One channel row of ``fct_customer_acquisition`` (a spend channel or a lead source)."""

    channel: str
    spend: Decimal | None
    new_customers: int
    cac: Decimal | None
    cac_payback_months: Decimal | None
    cac_na_reason: str | None  # why cac is n/a (no_channel, unpriced_spend, no_spend, ...)


@dataclass(frozen=True)
class Customers:
    retention: Retention | None  # None: the scope has no row for the period
    tiers: list[ValueTier]  # the scope's accounts by company tier, every tier (0 when empty)
    #: None: the scope has no row (no spend, no new customer) or the mart does not exist
    acquisition: Acquisition | None = None
    channels: list[ChannelAcquisition] = field(default_factory=list)


#: The input CAC is computed from besides the orders: without it CAC is n/a.
SPEND_ENTITY = "marketing_spend"


def acquisition(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> Acquisition | None:
    if not has_table(con, "marts.fct_customer_acquisition"):
        return None
    row = con.execute(
        """select spend, unpriced_spend_rows, new_customers, cac, cac_payback_months,
                  first_year_complete
           from marts.fct_customer_acquisition
           where period_type = ? and period = ? and level = ? and scope_id = ?
             and channel = '(all)'""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return Acquisition(*row[0]) if row else None


def acquisition_channels(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> list[ChannelAcquisition]:
    """The scope's CAC per channel (named channels by spend, then ``(none)``); empty without
    the mart or when only the all-channel row exists."""
    if not has_table(con, "marts.fct_customer_acquisition"):
        return []
    rows = con.execute(
        """select channel, spend, new_customers, cac, cac_payback_months, cac_na_reason
           from marts.fct_customer_acquisition
           where period_type = ? and period = ? and level = ? and scope_id = ?
             and channel != '(all)'
           order by channel = '(none)', spend desc nulls last, channel""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return [ChannelAcquisition(*r) for r in rows]


def customers(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> Customers | None:
    needed = ("marts.fct_customer_retention", "marts.fct_customer_value_tiers")
    if not all(has_table(con, table) for table in needed):
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
    return Customers(
        Retention(*row[0]) if row else None,
        tiers,
        acquisition(con, period_type, period, scope),
        acquisition_channels(con, period_type, period, scope),
    )


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Customers | None:
    return customers(con, frame.period.period_type, frame.period.label, frame.scope)


# --------------------------------------------------------------------------- commentary


def customers_commentary(cust: Customers, period: str, fmt: Formatter, t: Strings) -> list[str]:
    """Active, gained and churned customers; repeat purchase; the scope's A-tier accounts and
    their share of the scope's trailing revenue."""
    out = []
    r = cust.retention
    if r is None:
        out.append(t("customers.none", period=period))
    else:
        out.append(
            t(
                "customers.movement",
                start=fmt.count(r.active_at_start),
                end=fmt.count(r.active_at_end),
                date=fmt.date(r.measure_date),
                gained=fmt.count(r.gained),
                churned=fmt.count(r.churned),
                churn=fmt.pct(r.churn_rate),
                retention=fmt.pct(r.retention_rate),
            )
        )
        out.append(
            t(
                "customers.repeat",
                trailing=fmt.count(r.trailing_customers),
                repeat=fmt.count(r.repeat_customers),
                rate=fmt.pct(r.repeat_purchase_rate),
            )
        )
    total = known_sum(x.trailing_revenue for x in cust.tiers)
    a = next(x for x in cust.tiers if x.tier == "A")
    if total is not None and total > 0 and a.trailing_revenue is not None:
        out.append(
            t(
                "customers.tier_a",
                accounts=fmt.count(a.accounts),
                all=fmt.count(sum(x.accounts for x in cust.tiers)),
                share=fmt.pct(a.trailing_revenue / total),
            )
        )
    return out


def glance_customers(
    retention: Retention | None, new_customers: int | None, period: str, fmt: Formatter, t: Strings
) -> str | None:
    """New (first order) and churned customers of the period, and those active at its end."""
    if retention is None or new_customers is None:
        return None
    return t(
        "glance.customers",
        new=fmt.count(new_customers),
        churned=fmt.count(retention.churned),
        period=period,
        active=fmt.count(retention.active_at_end),
        date=fmt.date(retention.measure_date),
    )


# --------------------------------------------------------------------------- context

#: The movement table's rows (fct_customer_retention columns, new_customers from the frame).
MOVEMENT: tuple[tuple[str, str], ...] = (
    ("active_at_start", "count"),
    ("active_at_end", "count"),
    ("new_customers", "count"),
    ("gained", "count"),
    ("churned", "count"),
    ("churn_rate", "pct"),
    ("retention_rate", "pct"),
    ("trailing_customers", "count"),
    ("repeat_customers", "count"),
    ("repeat_purchase_rate", "pct"),
)


def context(cust: Customers, c: Ctx) -> SectionContent:
    """Customer movement and repeat purchase of the scope; its accounts by company ABC tier."""
    t, fmt = c.t, c.fmt
    r = cust.retention

    def value(name: str):
        if name == "new_customers":
            return c.frame.current.new_customers
        return getattr(r, name) if r else None

    movement = Table(
        "customers",
        t("customers.movement_heading"),
        [Column(t("customers.measure")), Column(c.period, "number")],
        [[t(f"customers.{n}"), value(n)] for n, _kind in MOVEMENT],
        row_kinds=[kind for _n, kind in MOVEMENT],  # type: ignore[misc]
    )
    total = known_sum(x.trailing_revenue for x in cust.tiers)
    tiers = Table(
        "tiers",
        t("customers.tiers_heading"),
        [
            Column(t("customers.tier")),
            Column(t("customers.accounts"), "count"),
            Column(t("customers.trailing_revenue"), "money"),
            Column(t("customers.share"), "pct"),
        ],
        [
            [
                x.tier,
                x.accounts,
                x.trailing_revenue,
                x.trailing_revenue / total if total and x.trailing_revenue is not None else None,
            ]
            for x in cust.tiers
        ],
    )

    no_spend = bool(c.missing((SPEND_ENTITY,)))
    acq = None if no_spend else cust.acquisition
    acquisition_table = Table(
        "acquisition",
        t("customers.acquisition_heading"),
        [Column(t("customers.measure")), Column(c.period, "number")],
        [
            [t("customers.spend"), acq.spend if acq else None],
            [t("customers.new_customers"), c.frame.current.new_customers],
            [t("customers.cac"), acq.cac if acq else None],
            [t("customers.cac_payback_months"), acq.cac_payback_months if acq else None],
        ],
        row_kinds=["money", "count", "money", "number"],
    )
    channels = [] if no_spend else cust.channels
    channel_table = Table(
        "acquisition-channels",
        t("customers.channels_heading"),
        [
            Column(t("customers.channel")),
            Column(t("customers.spend"), "money"),
            Column(t("customers.new_customers"), "count"),
            Column(t("customers.cac"), "money"),
            Column(t("customers.cac_payback_months"), "number"),
            Column(t("customers.cac_na")),
        ],
        [
            [
                x.channel,
                x.spend,
                x.new_customers,
                x.cac,
                x.cac_payback_months,
                t(f"customers.cac_na_{x.cac_na_reason}") if x.cac_na_reason else "",
            ]
            for x in channels
        ],
    )
    grids = [
        table_grid("customers", None, movement, fmt),
        table_grid("acquisition", t("customers.acquisition_heading"), acquisition_table, fmt),
        *(
            [
                table_grid(
                    "acquisition-channels",
                    t("customers.channels_heading"),
                    channel_table,
                    fmt,
                    {4: lambda v: fmt.number(v, 2)},
                )
            ]
            if channels
            else []
        ),
        table_grid("tiers", t("customers.tiers_heading"), tiers, fmt),
    ]
    notes = [t("customers.note"), t("customers.cac_note")]
    if channels:
        notes.append(t("customers.channels_note"))
    notes.extend(acquisition_notes(acq, no_spend, t))
    if c.level != "company":
        notes.append(t("customers.tiers_scope_note"))
    return SectionContent(
        dict(
            grids=grids,
            notes=notes,
            source=f"marts.fct_customer_retention ({c.kind}, {c.level}), "
            f"marts.fct_customer_value_tiers ({c.kind}, {c.level}), "
            f"marts.fct_customer_acquisition ({c.kind}, {c.level}), "
            "marts.fct_sales_performance",
        ),
        customers_commentary(cust, c.period, fmt, t),
        [movement, acquisition_table, *([channel_table] if channels else []), tiers],
    )


def acquisition_notes(acq: Acquisition | None, no_spend: bool, t: Strings) -> list[str]:
    """Why CAC or its payback is n/a: no spend file loaded, no spend for the scope and
    period (or one without an fx rate), no new customer, a first year not yet over."""
    if no_spend:
        return [t("customers.cac_no_spend_file", entity=SPEND_ENTITY)]
    if acq is None or (acq.spend is None and acq.unpriced_spend_rows == 0):
        return [t("customers.cac_no_spend")]
    if acq.spend is None:
        return [t("customers.cac_unpriced", rows=acq.unpriced_spend_rows)]
    if acq.new_customers == 0:
        return [t("customers.cac_no_new_customers")]
    if acq.cac_payback_months is None and not acq.first_year_complete:
        return [t("customers.payback_first_year")]
    return []


def glance(cust: Customers, content: SectionContent, c: Ctx) -> str | None:
    return glance_customers(cust.retention, c.frame.current.new_customers, c.period, c.fmt, c.t)


SECTION = Section(
    key="customers",
    marts=(),
    optional_marts=(
        "marts.fct_customer_retention",
        "marts.fct_customer_value_tiers",
        "marts.fct_customer_acquisition",
    ),
    load=load,
    context=context,
    glance=glance,
    entities=("orders",),
)
