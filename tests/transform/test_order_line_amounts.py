"""Revenue from exports that carry line amounts or discount rates and no order totals.

Two real shapes of export, loaded by the real loader into a real DuckDB warehouse and built
by dbt (every model, data tests included):

- a sales-lines export (the Kaggle sales sample): orders without a total, lines whose own
  amount (SALES) differs from quantity × unit price (PRICEEACH is capped in that export):
  the export's line amount is the truth;
- an ERP's order details (Northwind): orders without a total, lines with a unit price,
  a quantity and a discount *rate* (0.05 = 5 %).

The expected figures are computed here from the input rows in plain Python, by the rules
docs/metrics.md states: a line's amount is the exported line_amount, else quantity ×
unit_price × (1 − discount_rate) rounded half away from zero to 6 places; an order's amount
is the sum of its lines' amounts; reporting amounts are amount × rate rounded to cents,
per order for revenue and per line for product-line revenue.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from pipelines.core.contract import entity
from pipelines.ingest.load import ingest_file
from tests.ingest.support import NOW, TZ, csv_bytes, new_warehouse, register_load, write_export
from tests.support.dbt_warehouse import run_dbt

AS_OF = "2023-12-31"

REPS = [
    ["rep_id", "rep_name", "team", "region"],
    ["R1", "Ann", "East", "US"],
    ["R2", "Bo", "West", "EU"],
]
ACCOUNTS = [
    ["account_id", "account_name", "region", "channel", "owner_rep_id", "created_at"],
    ["A1", "Land of Toys Inc.", "US", "direct", "R1", "2022-01-01 10:00:00"],
    ["A2", "Alfreds Futterkiste", "EU", "direct", "R2", "2022-01-01 10:00:00"],
]
PRODUCTS = [
    ["product_id", "product_name", "product_line"],
    ["S10_1678", "1969 Harley Davidson", "Motorcycles"],
    ["S10_1949", "1952 Alpine Renault", "Classic Cars"],
    ["11", "Queso Cabrales", "Dairy Products"],
    ["42", "Singaporean Hokkien Fried Mee", "Grains/Cereals"],
]
FX = [
    ["rate_date", "currency", "rate_to_reporting"],
    ["2023-01-01", "USD", "7.123456"],
    ["2023-01-01", "EUR", "7.654321"],
]
#: No total_amount column: neither export has order totals.
ORDERS = [
    ["order_id", "account_id", "rep_id", "ordered_at", "status", "currency"],
    # sales-lines export (USD)
    ["10107", "A1", "R1", "2023-02-24 00:00:00", "shipped", "USD"],
    ["10121", "A1", "R1", "2023-05-07 00:00:00", "shipped", "USD"],
    ["10134", "A1", "R1", "2023-07-01 00:00:00", "cancelled", "USD"],
    # order details (EUR)
    ["10248", "A2", "R2", "2023-03-04 09:00:00", "delivered", "EUR"],
    ["10249", "A2", "R2", "2023-05-05 09:00:00", "delivered", "EUR"],
    ["10250", "A2", "R2", "2023-05-08 09:00:00", "delivered", "EUR"],
    # neither total nor lines: loaded, flagged, counted in orders, not in revenue
    ["10251", "A2", "R2", "2023-06-08 09:00:00", "received", "EUR"],
]
LINE_HEADER = [
    "order_id", "line_no", "product_id", "quantity", "unit_price", "discount_rate", "line_amount",
]  # fmt: skip
LINES = [
    LINE_HEADER,
    # SALES differs from QUANTITYORDERED × PRICEEACH (PRICEEACH capped at 100)
    ["10107", "1", "S10_1678", "30", "100.00", "", "2871.00"],
    ["10107", "2", "S10_1949", "50", "100.00", "", "5000.00"],
    ["10121", "1", "S10_1678", "34", "81.35", "", "2765.90"],
    ["10121", "2", "S10_1949", "41", "100.00", "", "7737.93"],
    ["10134", "1", "S10_1678", "41", "100.00", "", "4460.80"],  # a cancelled order
    # UnitPrice, Quantity and a Discount rate
    ["10248", "1", "11", "12", "14.00", "0", ""],
    ["10248", "2", "42", "10", "9.80", "0.15", ""],
    ["10249", "1", "11", "9", "18.60", "0.05", ""],
    ["10249", "2", "42", "40", "42.40", "", ""],
    ["10250", "1", "11", "7", "0.333333", "0.15", ""],  # 1.98333135 -> 1.983331
    ["10250", "2", "42", "3", "7.777777", "0.25", ""],  # 17.49999825 -> 17.499998
    ["10250", "3", "42", "15", "16.80", "0.15", ""],
]

SIX = Decimal("0.000001")
CENT = Decimal("0.01")


def _line_amount(row: dict[str, str]) -> Decimal:
    """The line's amount: the export's own, else quantity × price × (1 − rate), 6 places."""
    if row["line_amount"]:
        return Decimal(row["line_amount"])
    rate = Decimal(row["discount_rate"] or "0")
    exact = Decimal(row["quantity"]) * Decimal(row["unit_price"]) * (1 - rate)
    return exact.quantize(SIX, rounding=ROUND_HALF_UP)


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(table[0], r, strict=True)) for r in table[1:]]


def _rate(currency: str) -> Decimal:
    return {r["currency"]: Decimal(r["rate_to_reporting"]) for r in _rows(FX)}[currency]


def _quarter(ordered_at: str) -> str:
    day = date.fromisoformat(ordered_at[:10])
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


ORDER_ROWS = {o["order_id"]: o for o in _rows(ORDERS)}
LINE_ROWS = _rows(LINES)
PRODUCT_LINE = {p["product_id"]: p["product_line"] for p in _rows(PRODUCTS)}


def _order_amounts() -> dict[str, Decimal]:
    """Each order's amount in its currency: the sum of its lines' amounts."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in LINE_ROWS:
        totals[line["order_id"]] += _line_amount(line)
    return dict(totals)


def _booked(order_id: str) -> bool:
    return ORDER_ROWS[order_id]["status"] != "cancelled"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("line_amounts")
    db = tmp / "w.duckdb"
    con = new_warehouse(db)
    register_load(con, 1, date.fromisoformat(AS_OF))
    files = {
        "sales_reps": REPS,
        "accounts": ACCOUNTS,
        "products": PRODUCTS,
        "fx_rates": FX,
        "orders": ORDERS,
        "order_lines": LINES,
    }
    results = {}
    for name, rows in files.items():
        path = write_export(tmp / "drop", f"{name}.csv", csv_bytes(rows))
        results[name] = ingest_file(
            con, entity(name), path, load_id=1, run_id="run1", timezone=TZ, now=NOW
        )
    con.close()
    run_dbt(
        ["build", "--exclude", "resource_type:unit_test"],
        db=db,
        tmp=tmp,
        as_of=AS_OF,
        load_id=1,
        allowed=("success", "pass", "warn"),
    )
    con = duckdb.connect(str(db))
    yield con, results
    con.close()


def test_every_row_of_both_exports_is_loaded(warehouse) -> None:
    _, results = warehouse
    for name, rows in (("orders", ORDERS), ("order_lines", LINES)):
        r = results[name]
        assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == (
            "loaded",
            len(rows) - 1,
            len(rows) - 1,
            0,
        ), (name, r.message)


def test_an_order_without_total_takes_the_sum_of_its_line_amounts(warehouse) -> None:
    con, _ = warehouse
    expected = _order_amounts()
    got = {
        order_id: (amount, reporting, due)
        for order_id, amount, reporting, due in con.execute(
            """select order_id, order_amount_original, order_amount, amount_due
               from marts.fct_order_chain"""
        ).fetchall()
    }
    assert set(got) == set(ORDER_ROWS)
    for order_id, order in ORDER_ROWS.items():
        if order_id not in expected:
            assert got[order_id] == (None, None, None), order_id
            continue
        amount = expected[order_id]
        reporting = (amount * _rate(order["currency"])).quantize(CENT, rounding=ROUND_HALF_UP)
        due = amount if _booked(order_id) else None
        assert got[order_id] == (amount, reporting, due), order_id
    # the sales-lines export: its line amounts, not quantity × price
    assert expected["10107"] == Decimal("7871.00")
    assert expected["10107"] != Decimal(30 * 100 + 50 * 100)


def test_revenue_per_quarter_is_the_orders_line_sums_in_reporting_currency(warehouse) -> None:
    con, _ = warehouse
    amounts = _order_amounts()
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    orders: dict[str, int] = defaultdict(int)
    for order_id, order in ORDER_ROWS.items():
        if not _booked(order_id):
            continue
        quarter = _quarter(order["ordered_at"])
        orders[quarter] += 1
        if order_id in amounts:
            revenue[quarter] += (amounts[order_id] * _rate(order["currency"])).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
    got = {
        period: (rev, n)
        for period, rev, n in con.execute(
            """select period, revenue, orders from marts.fct_sales_performance
               where period_type = 'quarter' and level = 'company' and orders > 0"""
        ).fetchall()
    }
    assert got == {q: (revenue[q], orders[q]) for q in orders}


def test_revenue_per_quarter_of_discount_rate_lines(warehouse) -> None:
    """Northwind's order details alone (region EU): Σ unit_price × quantity × (1 − rate)."""
    con, _ = warehouse
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    by_order: dict[str, Decimal] = defaultdict(Decimal)
    for line in LINE_ROWS:
        if not line["line_amount"]:
            rate = Decimal(line["discount_rate"] or "0")
            gross = Decimal(line["unit_price"]) * Decimal(line["quantity"])
            by_order[line["order_id"]] += (gross * (1 - rate)).quantize(SIX, ROUND_HALF_UP)
    for order_id, amount in by_order.items():
        order = ORDER_ROWS[order_id]
        revenue[_quarter(order["ordered_at"])] += (amount * _rate(order["currency"])).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    got = dict(
        con.execute(
            """select period, revenue from marts.fct_sales_performance
               where period_type = 'quarter' and level = 'region' and scope_id = 'EU'
               and revenue > 0"""
        ).fetchall()
    )
    assert got == dict(revenue)


def test_product_line_revenue_is_the_sum_of_line_amounts(warehouse) -> None:
    con, _ = warehouse
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in LINE_ROWS:
        order = ORDER_ROWS[line["order_id"]]
        if not _booked(line["order_id"]):
            continue
        key = (_quarter(order["ordered_at"]), PRODUCT_LINE[line["product_id"]])
        revenue[key] += (_line_amount(line) * _rate(order["currency"])).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    got = {
        (period, product_line): rev
        for period, product_line, rev in con.execute(
            """select period, product_line, revenue from marts.fct_product_line_performance
               where period_type = 'quarter' and level = 'company'"""
        ).fetchall()
    }
    assert got == dict(revenue)


def test_an_order_with_neither_total_nor_lines_is_loaded_and_flagged(warehouse) -> None:
    con, _ = warehouse
    assert con.execute("select count(*) from raw.orders where order_id = '10251'").fetchone() == (
        1,
    )
    findings = con.execute(
        """select rule, severity, entity, record_id, owner_rep_id, is_open
           from marts.fct_dq_findings
           where rule in ('order_without_amount', 'order_lines_mismatch')"""
    ).fetchall()
    assert findings == [("order_without_amount", "warn", "orders", "10251", "R2", True)]
