"""Amounts the contract accepts are computed exactly in every mart, whatever their size.

Reporting currency IDR (amounts in the reporting currency are large by nature), business
timezone Asia/Shanghai, as_of_date 2026-09-30. The raw amounts are the largest the contract
accepts (DECIMAL(18,6)): orders of 999999999999.99 in IDR (rate 1) and in USD, opportunities of
999999999999.999999 USD, the USD rate 16250.123457 IDR. Each USD amount is about 1.6 × 10^16
IDR; 80 of them make totals above 10^18, which used to overflow DECIMAL(18, x) (sums, weighted
pipeline, customer tiers). Every expected total is computed here in plain Python Decimal from
the raw rows: each amount × rate rounded to cents (half away from zero), then summed.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

AS_OF = "2026-09-30"
USD_RATE = Decimal("16250.123457")
ORDER_AMOUNT = Decimal("999999999999.99")
OPPORTUNITY_AMOUNT = Decimal("999999999999.999999")
NEGOTIATION = Decimal("0.7")  # stage_probabilities.negotiation in dbt_project.yml
N_ORDERS = 80  # per currency
N_WON = 20
N_OPEN = 20


def _cent(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _rate(currency: str) -> Decimal:
    return Decimal(1) if currency == "IDR" else USD_RATE


def _orders() -> list[dict]:
    out = []
    for i in range(N_ORDERS * 2):
        currency = "IDR" if i % 2 == 0 else "USD"
        month = 1 + i % 9  # 2026-01 .. 2026-09
        out.append(
            dict(
                order_id=f"O{i}",
                account_id=f"A{i % 4}",
                rep_id="R1" if i % 3 else "R2",
                ordered_at=ts(f"2026-{month:02d}-{1 + i % 27:02d} 10:00:00"),
                status="delivered",
                currency=currency,
                total_amount=str(ORDER_AMOUNT),
                payment_terms_days=30,
            )
        )
    return out


def _opportunities() -> list[dict]:
    out = []
    for i in range(N_WON + N_OPEN):
        won = i < N_WON
        out.append(
            dict(
                opportunity_id=f"OP{i}",
                account_id=f"A{i % 4}",
                owner_rep_id="R1" if i % 2 else "R2",
                name=f"deal {i}",
                created_at=ts("2026-06-01 09:00:00"),
                stage="won" if won else "negotiation",
                amount=str(OPPORTUNITY_AMOUNT),
                currency="USD",
                expected_close_date="2026-09-20" if won else "2026-11-15",
                closed_at=ts(f"2026-09-{1 + i % 20:02d} 10:00:00") if won else None,
                last_modified_at=ts("2026-09-25 10:00:00"),
            )
        )
    return out


ORDERS = _orders()
OPPORTUNITIES = _opportunities()

RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [
        (1, dict(rep_id="R1", rep_name="Alice", team="T1", region="East")),
        (1, dict(rep_id="R2", rep_name="Bob", team="T2", region="North")),
    ],
    "accounts": [
        (
            1,
            dict(
                account_id=f"A{i}",
                account_name=f"Account {i}",
                region="East",
                channel="direct",
                owner_rep_id="R1",
                created_at=ts("2025-01-10 09:00:00"),
            ),
        )
        for i in range(4)
    ],
    "products": [(1, dict(product_id="P1", product_name="Plant", product_line="Hardware"))],
    "orders": [(1, o) for o in ORDERS],
    "order_lines": [
        (
            1,
            dict(
                order_id=o["order_id"],
                line_no=1,
                product_id="P1",
                quantity="1",
                unit_price=o["total_amount"],
            ),
        )
        for o in ORDERS
    ],
    "invoices": [
        (
            1,
            dict(
                invoice_id=f"I{o['order_id']}",
                order_id=o["order_id"],
                issued_at=o["ordered_at"][:10],
                due_date=o["ordered_at"][:10],
                amount=o["total_amount"],
                currency=o["currency"],
            ),
        )
        for o in ORDERS
    ],
    # every other order is paid in full, in its currency, a day after it was ordered
    "payments": [
        (
            1,
            dict(
                payment_id=f"PA{o['order_id']}",
                order_id=o["order_id"],
                paid_at=ts(f"{o['ordered_at'][:10]} 20:00:00"),
                amount=o["total_amount"],
                currency=o["currency"],
            ),
        )
        for o in ORDERS[::2] + ORDERS[1::4]
    ],
    "opportunities": [(1, o) for o in OPPORTUNITIES],
    "fx_rates": [
        (1, dict(rate_date="2025-01-01", currency="USD", rate_to_reporting=str(USD_RATE)))
    ],
    "targets": [
        (1, dict(period="2026", level="company", scope_id="all", metric=m, target_value=v))
        for m, v in [("revenue", "999999999999"), ("bookings", "999999999999")]
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("large")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        RAW,
        loads={1: AS_OF},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["build", "--exclude", "resource_type:unit_test"],
        db=db,
        tmp=tmp,
        as_of=AS_OF,
        load_id=1,
        vars={"reporting_currency": "IDR"},
        allowed=("success", "pass", "warn"),
    )
    con = duckdb.connect(str(db))
    yield con
    con.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, *params: object):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def _order_revenue(orders: list[dict]) -> Decimal:
    return sum(
        (_cent(Decimal(o["total_amount"]) * _rate(o["currency"])) for o in orders), Decimal(0)
    )


def test_revenue_and_bookings_totals_are_exact(warehouse: duckdb.DuckDBPyConnection) -> None:
    revenue = _order_revenue(ORDERS)
    assert revenue > Decimal(10) ** 18
    got = _scalar(
        warehouse,
        """select revenue from marts.fct_sales_performance
           where period_type = 'year' and period = '2026' and level = 'company'""",
    )
    assert got == revenue
    # R1 books the orders whose index is not a multiple of 3
    r1 = _order_revenue([o for i, o in enumerate(ORDERS) if i % 3])
    got_r1 = _scalar(
        warehouse,
        """select revenue from marts.fct_sales_performance
           where period_type = 'year' and period = '2026' and level = 'rep' and scope_id = 'R1'""",
    )
    assert got_r1 == r1
    won = N_WON * _cent(OPPORTUNITY_AMOUNT * USD_RATE)
    assert won > Decimal(10) ** 17
    got_won = _scalar(
        warehouse,
        """select won_amount from marts.fct_sales_performance
           where period_type = 'year' and period = '2026' and level = 'company'""",
    )
    assert got_won == won
    paid = _order_revenue(ORDERS[::2] + ORDERS[1::4])
    collections = _scalar(
        warehouse,
        """select collections from marts.fct_sales_performance
           where period_type = 'year' and period = '2026' and level = 'company'""",
    )
    assert collections == paid


def test_open_pipeline_and_its_weight_are_exact(warehouse: duckdb.DuckDBPyConnection) -> None:
    amount = _cent(OPPORTUNITY_AMOUNT * USD_RATE)
    weighted = _cent(amount * NEGOTIATION)
    rows = warehouse.execute(
        """select open_opportunities, open_pipeline, weighted_pipeline from marts.fct_pipeline
           where period_type = 'quarter' and period = '2026Q4' and level = 'company'"""
    ).fetchall()
    assert rows == [(N_OPEN, N_OPEN * amount, N_OPEN * weighted)]


def test_customer_tiers_and_receivables_are_exact(warehouse: duckdb.DuckDBPyConnection) -> None:
    # the trailing 12 months measured for 2026 (to as_of_date 2026-09-30) hold every order;
    # the share of each account is its revenue / the total, rounded to 6 places
    total = _order_revenue(ORDERS)
    per_account = {
        f"A{a}": _order_revenue([o for o in ORDERS if o["account_id"] == f"A{a}"]) for a in range(4)
    }
    rows = warehouse.execute(
        """select account_id, trailing_revenue, scope_trailing_revenue, revenue_share
           from marts.fct_customer_value_tiers
           where level = 'company' and period_type = 'year' and period = '2026'
           order by account_id"""
    ).fetchall()
    assert rows == [
        (a, v, v, (v / total).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
        for a, v in sorted(per_account.items())
    ]
    # open receivables: the orders not paid, due on their order date (invoice due_date)
    paid_ids = {o["order_id"] for o in ORDERS[::2] + ORDERS[1::4]}
    unpaid = _order_revenue([o for o in ORDERS if o["order_id"] not in paid_ids])
    outstanding = _scalar(
        warehouse,
        "select sum(outstanding) from marts.fct_overdue_receivables where as_of_date = ?",
        dt.date(2026, 9, 30),
    )
    assert outstanding == unpaid


def test_every_mart_was_built(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    marts = {
        name
        for (name,) in warehouse.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    assert {
        "fct_sales_performance",
        "fct_pipeline",
        "fct_customer_value_tiers",
        "fct_receivables_kpis",
        "fct_sales_forecast",
        "fct_targets",
        "fct_team_averages",
    } <= marts
