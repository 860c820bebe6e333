"""The canonical export contract, as data.

One place describes every input entity: its file, columns and types, its key,
the records it references and the field that names its owner. Ingest, the
warehouse schema, the demo-data generator and the docs all read this module;
nothing else lists columns. The prose version is ``docs/data-contract.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "text", "date", "timestamp", "decimal", "rate", "int", "bool"]

#: (precision, scale) of each exact-number type. ``decimal``: money, quantities, scores (6
#: decimal places). ``rate``: ratios such as fx rates, which keep the precision the source
#: gives: a rate of 1/4500 (0.000222222222222) keeps every written digit, up to 18 places.
DECIMAL_DIGITS: dict[str, tuple[int, int]] = {"decimal": (18, 6), "rate": (38, 18)}

#: DuckDB type of each contract type in the raw tables. Money and rates are
#: exact decimals; timestamps are instants (stored UTC, read in the business
#: timezone).
DUCKDB_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    **{t: f"DECIMAL({p},{s})" for t, (p, s) in DECIMAL_DIGITS.items()},
    "int": "BIGINT",
    "bool": "BOOLEAN",
}

#: Decimal places kept for every ``decimal`` column (see DECIMAL_DIGITS).
DECIMAL_SCALE = DECIMAL_DIGITS["decimal"][1]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True
    allowed: tuple[str, ...] | None = None
    #: Optional, but an empty value is flagged (loaded, with a warn-level finding).
    flag_if_empty: str | None = None
    #: (column, values): the empty value is flagged only on rows whose ``column`` holds none
    #: of ``values`` (an open deal without an expected close date; a closed one needs none).
    flag_unless: tuple[str, tuple[str, ...]] | None = None
    #: False for a column added after warehouses already held rows: an empty value leaves a
    #: row's version hash what it was before the column existed (no spurious new versions).
    hash_if_empty: bool = True
    #: A value outside ``allowed`` is loaded and flagged with this rule (a warning), not
    #: quarantined (``value_not_allowed``): a picklist the CRM lets an org extend.
    flag_if_not_allowed: str | None = None


@dataclass(frozen=True)
class Reference:
    """``column`` must name an existing ``entity`` record (by its key)."""

    column: str
    entity: str


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    #: Column holding the rep who owns the record (alerts go to them).
    owner_column: str | None = None
    #: Column naming the record for people ("Acme Ltd", not "A-0042").
    label_column: str | None = None
    optional: bool = False
    #: Ordered (earlier, later) pairs of date or timestamp columns: the later one's date may
    #: not precede the earlier one's. Compared as calendar dates (a timestamp by its date in
    #: the business timezone); a pair out of order is a warning (loaded and flagged).
    ordered_pairs: tuple[tuple[str, str], ...] = ()
    #: Columns that may not be negative.
    non_negative: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def C(name: str, type_: ColumnType, required: bool = True, allowed: tuple[str, ...] | None = None):
    return Column(name, type_, required, allowed)


STAGES = ("qualified", "discovery", "proposal", "negotiation", "won", "lost")
LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
CHANNELS = ("direct", "distribution", "ecommerce", "other")
ACTIVITY_TYPES = ("visit", "call", "email", "meeting", "demo", "proposal", "quote")
ORDER_STATUSES = (
    "received",
    "reviewed",
    "in_production",
    "in_warehouse",
    "shipped",
    "delivered",
    "cancelled",
)
TARGET_LEVELS = ("company", "region", "team", "rep")
#: The CRM's forecast category of a deal (Salesforce ForecastCategoryName: Pipeline, Best
#: Case, Commit, Closed, Omitted), normalised.
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
TARGET_METRICS = (
    "revenue",
    "bookings",
    "collections",
    "new_customers",
    "units",
    "visits",
    "proposals",
    "quotes",
)

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "sales_reps",
        (
            C("rep_id", "id"),
            C("rep_name", "text"),
            C("email", "text", False),
            # A CRM that exports no users file: a profile takes the reps from the owner column
            # of its deals (name as id) and knows no team or region: loaded and flagged; the
            # rep's figures count for the rep and the company only.
            Column("team", "text", required=False, flag_if_empty="rep_without_team"),
            Column("region", "text", required=False, flag_if_empty="rep_without_team"),
            C("manager_id", "id", False),
            C("role", "text", False),
            C("hired_on", "date", False),
            C("left_on", "date", False),
        ),
        key=("rep_id",),
        owner_column="rep_id",
        label_column="rep_name",
        ordered_pairs=(("hired_on", "left_on"),),
        description="Sales reps with their team and region.",
    ),
    Entity(
        "rep_assignments",
        (
            C("rep_id", "id"),
            C("team", "text"),
            C("region", "text", False),
            C("manager_id", "id", False),
            C("effective_from", "date"),
            C("effective_to", "date", False),
        ),
        key=("rep_id", "effective_from"),
        references=(Reference("rep_id", "sales_reps"),),
        owner_column="rep_id",
        optional=True,
        ordered_pairs=(("effective_from", "effective_to"),),
        description=(
            "The rep hierarchy as it was, with effective dates (optional): the rep's team, "
            "region and manager from effective_from (inclusive) to effective_to (exclusive: the "
            "first day it no longer held; empty: until the rep's next row in this file, else "
            "until the next team / region / manager the loads of sales_reps recorded after "
            "effective_from, else open-ended). For the dates a row covers it overrides the "
            "team the sales_reps loads give (team moves before the first load, or a move the "
            "CRM recorded late); int_sales_rep_history gives the precise rule."
        ),
    ),
    Entity(
        "accounts",
        (
            C("account_id", "id"),
            C("account_name", "text"),
            C("industry", "text", False),
            C("size_band", "text", False),
            C("region", "text"),
            C("channel", "text", allowed=CHANNELS),
            # Many CRMs hold unowned accounts: loaded, flagged so sales ops assigns one.
            Column("owner_rep_id", "id", required=False, flag_if_empty="missing_owner"),
            C("created_at", "timestamp"),
            C("phone", "text", False),
            # ISO 3166-1 alpha-2 (US, CN): the region a phone number without + is read in
            C("country", "text", False),
            C("email", "text", False),
        ),
        key=("account_id",),
        references=(Reference("owner_rep_id", "sales_reps"),),
        owner_column="owner_rep_id",
        label_column="account_name",
        description="Customer accounts.",
    ),
    Entity(
        "products",
        (
            C("product_id", "id"),
            C("product_name", "text"),
            C("product_line", "text"),
            C("list_price", "decimal", False),
        ),
        key=("product_id",),
        label_column="product_name",
        non_negative=("list_price",),
        description="Product catalogue.",
    ),
    Entity(
        "leads",
        (
            C("lead_id", "id"),
            C("created_at", "timestamp"),
            C("source", "text"),
            C("owner_rep_id", "id"),
            C("company_name", "text"),
            C("status", "text", allowed=LEAD_STATUSES),
            C("converted_at", "timestamp", False),
            C("opportunity_id", "id", False),
            C("bant_budget", "bool", False),
            C("bant_authority", "bool", False),
            C("bant_need", "bool", False),
            C("bant_timeline", "bool", False),
            C("phone", "text", False),
            # ISO 3166-1 alpha-2 (US, CN): the region a phone number without + is read in
            C("country", "text", False),
            C("email", "text", False),
        ),
        key=("lead_id",),
        references=(Reference("owner_rep_id", "sales_reps"),),
        owner_column="owner_rep_id",
        label_column="company_name",
        ordered_pairs=(("created_at", "converted_at"),),
        description="Leads from every channel.",
    ),
    Entity(
        "opportunities",
        (
            C("opportunity_id", "id"),
            # A deal is a business fact even when a link or a measure is missing: loaded and
            # flagged; without an amount it counts in won / lost / pipeline counts, not sums.
            Column("account_id", "id", required=False, flag_if_empty="missing_account"),
            C("owner_rep_id", "id"),
            C("name", "text"),
            C("created_at", "timestamp"),
            C("stage", "text", allowed=STAGES),
            Column("amount", "decimal", required=False, flag_if_empty="missing_amount"),
            C("currency", "text"),
            Column(
                "expected_close_date",
                "date",
                required=False,
                flag_if_empty="missing_expected_close",
                flag_unless=("stage", ("won", "lost")),
            ),
            C("closed_at", "timestamp", False),
            C("lost_reason", "text", False),
            C("product_line", "text", False),
            C("lead_id", "id", False),
            C("last_modified_at", "timestamp"),
            # The close date as the CRM shows it (Salesforce CloseDate, HubSpot Close Date):
            # a calendar date, never moved by a timezone. A won or lost deal belongs to the
            # period of this date; without it, to the date of closed_at in the business
            # timezone.
            Column("close_date", "date", required=False, hash_if_empty=False),
            # The CRM's forecast category (pipeline / best_case / commit / closed / omitted):
            # the commit and best-case totals beside the stage-weighted pipeline forecast. An
            # org's own category is loaded and flagged (unknown_forecast_category).
            Column(
                "forecast_category",
                "text",
                required=False,
                allowed=FORECAST_CATEGORIES,
                hash_if_empty=False,
                flag_if_not_allowed="unknown_forecast_category",
            ),
        ),
        key=("opportunity_id",),
        references=(
            Reference("account_id", "accounts"),
            Reference("owner_rep_id", "sales_reps"),
        ),
        owner_column="owner_rep_id",
        label_column="name",
        ordered_pairs=(("created_at", "closed_at"), ("created_at", "close_date")),
        non_negative=("amount",),
        description="Sales opportunities (deals).",
    ),
    Entity(
        "opportunity_stage_history",
        (
            C("opportunity_id", "id"),
            C("stage", "text", allowed=STAGES),
            C("entered_at", "timestamp"),
        ),
        key=("opportunity_id", "stage", "entered_at"),
        references=(Reference("opportunity_id", "opportunities"),),
        description="Every stage an opportunity entered, with when.",
    ),
    Entity(
        "activities",
        (
            C("activity_id", "id"),
            C("rep_id", "id"),
            C("account_id", "id", False),
            C("opportunity_id", "id", False),
            C("type", "text", allowed=ACTIVITY_TYPES),
            C("occurred_at", "timestamp"),
        ),
        key=("activity_id",),
        references=(
            Reference("rep_id", "sales_reps"),
            Reference("account_id", "accounts"),
            Reference("opportunity_id", "opportunities"),
        ),
        owner_column="rep_id",
        description="Visits, calls, emails, meetings, demos, proposals and quotes.",
    ),
    Entity(
        "targets",
        (
            C("period", "text"),
            C("level", "text", allowed=TARGET_LEVELS),
            C("scope_id", "text"),
            C("metric", "text", allowed=TARGET_METRICS),
            C("product_line", "text", False),
            C("target_value", "decimal"),
        ),
        key=("period", "level", "scope_id", "metric", "product_line"),
        non_negative=("target_value",),
        description="Targets per period, level, scope and metric.",
    ),
    Entity(
        "marketing_spend",
        (
            # A month (2026-07), quarter (2026Q3) or year (2026), scoped like targets: the
            # company ('all'), a region, a team or a rep.
            C("period", "text"),
            C("level", "text", allowed=TARGET_LEVELS),
            C("scope_id", "text"),
            # Where the money went (events, ads, a partner programme): free text, optional.
            C("channel", "text", False),
            C("amount", "decimal"),
            C("currency", "text"),
        ),
        key=("period", "level", "scope_id", "channel"),
        optional=True,
        non_negative=("amount",),
        description=(
            "Sales and marketing spend per period, level, scope and channel (optional): the "
            "numerator of CAC (fct_customer_acquisition). A quarter or year without its own "
            "rows takes the sum of its months' (quarters') rows, as targets do; spend counts "
            "for the scope its row names, not rolled up across levels."
        ),
    ),
    Entity(
        "capability_scores",
        (
            C("rep_id", "id"),
            C("period", "text"),
            C("product_knowledge", "decimal"),
            C("selling_skill", "decimal"),
            C("teamwork", "decimal"),
        ),
        key=("rep_id", "period"),
        references=(Reference("rep_id", "sales_reps"),),
        owner_column="rep_id",
        optional=True,
        non_negative=("product_knowledge", "selling_skill", "teamwork"),
        description="Manager ratings per rep and period (optional).",
    ),
    Entity(
        "satisfaction_surveys",
        (
            C("account_id", "id"),
            C("surveyed_at", "date"),
            C("score", "decimal"),
        ),
        key=("account_id", "surveyed_at"),
        references=(Reference("account_id", "accounts"),),
        optional=True,
        non_negative=("score",),
        description="Customer satisfaction scores (optional).",
    ),
    Entity(
        "orders",
        (
            C("order_id", "id"),
            C("account_id", "id"),
            C("opportunity_id", "id", False),
            C("rep_id", "id"),
            C("ordered_at", "timestamp"),
            C("status", "text", allowed=ORDER_STATUSES),
            C("currency", "text"),
            # Optional: an ERP that exports only order lines (Northwind's order details, a
            # sales-lines export) has no order total. The order's amount is then the sum of
            # its lines' amounts (int_orders_enriched); an order with neither is loaded and
            # flagged in dbt (order_without_amount).
            C("total_amount", "decimal", False),
            C("channel", "text", False),
            C("payment_terms_days", "int", False),
            C("delivered_at", "timestamp", False),
        ),
        key=("order_id",),
        references=(
            Reference("account_id", "accounts"),
            Reference("rep_id", "sales_reps"),
            Reference("opportunity_id", "opportunities"),
        ),
        owner_column="rep_id",
        ordered_pairs=(("ordered_at", "delivered_at"),),
        non_negative=("total_amount", "payment_terms_days"),
        description=(
            "Orders booked in the ERP. An order's amount is `total_amount`, else (an export "
            "without order totals) the sum of its lines' amounts; an order with neither is "
            "loaded and flagged `order_without_amount` (it counts in order counts, not in "
            "revenue)."
        ),
    ),
    Entity(
        "order_lines",
        (
            C("order_id", "id"),
            C("line_no", "int"),
            C("product_id", "id"),
            C("quantity", "decimal"),
            C("unit_price", "decimal"),
            C("discount_amount", "decimal", False),
            # The discount as a fraction of quantity × unit_price (0.05 = 5 %), 0..1: used when
            # discount_amount is empty. A rate outside 0..1 is quarantined
            # (discount_rate_out_of_range).
            Column("discount_rate", "decimal", required=False, hash_if_empty=False),
            # The line's amount as the export states it (a sales-lines export's SALES): the
            # truth when given. Without it the amount is quantity × unit_price − discount
            # (int_order_lines_enriched.line_amount).
            Column("line_amount", "decimal", required=False, hash_if_empty=False),
        ),
        key=("order_id", "line_no"),
        references=(
            Reference("order_id", "orders"),
            Reference("product_id", "products"),
        ),
        non_negative=("quantity", "unit_price", "discount_amount", "line_amount"),
        description=(
            "Order lines. A line's amount is `line_amount` when the export gives it, else "
            "quantity × unit_price − discount, the discount being `discount_amount`, else "
            "quantity × unit_price × `discount_rate` (a fraction, 0.05 = 5 %; outside 0..1 the "
            "line is quarantined, `rate_out_of_range`); a computed amount is rounded half away "
            "from zero to 6 decimal places."
        ),
    ),
    Entity(
        "invoices",
        (
            C("invoice_id", "id"),
            C("order_id", "id"),
            C("issued_at", "date"),
            C("due_date", "date"),
            C("amount", "decimal"),
            C("currency", "text"),
        ),
        key=("invoice_id",),
        references=(Reference("order_id", "orders"),),
        optional=True,
        non_negative=("amount",),
        ordered_pairs=(("issued_at", "due_date"),),
        description="Invoices (optional; derived from orders when absent).",
    ),
    Entity(
        "payments",
        (
            C("payment_id", "id"),
            C("order_id", "id", False),
            C("invoice_id", "id", False),
            C("paid_at", "timestamp"),
            C("amount", "decimal"),
            C("currency", "text"),
            C("method", "text", False),
            C("reference", "text", False),
        ),
        key=("payment_id",),
        references=(
            Reference("order_id", "orders"),
            Reference("invoice_id", "invoices"),
        ),
        non_negative=("amount",),
        description="Payments received (one of order_id / invoice_id is required).",
    ),
    Entity(
        "fx_rates",
        (
            C("rate_date", "date"),
            C("currency", "text"),
            C("rate_to_reporting", "rate"),
        ),
        key=("rate_date", "currency"),
        optional=True,
        non_negative=("rate_to_reporting",),
        description="Rate converting one unit of currency into the reporting currency.",
    ),
)

ENTITY_BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}

#: Columns that hold ISO 4217 currency codes.
CURRENCY_COLUMNS = {"currency"}


def entity(name: str) -> Entity:
    try:
        return ENTITY_BY_NAME[name]
    except KeyError:
        known = ", ".join(ENTITY_BY_NAME)
        raise KeyError(f"unknown entity {name!r}; known entities: {known}") from None


def load_order() -> list[Entity]:
    """Entities ordered so every referenced entity loads before its referrers."""
    done: list[str] = []
    pending = list(ENTITIES)
    while pending:
        progressed = False
        for e in list(pending):
            deps = {r.entity for r in e.references if r.entity != e.name}
            if deps <= set(done):
                done.append(e.name)
                pending.remove(e)
                progressed = True
        if not progressed:  # pragma: no cover - the contract above is acyclic
            raise RuntimeError(f"reference cycle among {[e.name for e in pending]}")
    return [ENTITY_BY_NAME[n] for n in done]
