"""Receivables and customer marts, built for real.

Part 1 builds the staging, intermediate and mart models on a small hand-made warehouse and
checks figures worked out by hand (the arithmetic is in the comments). Business timezone
Asia/Shanghai, reporting currency CNY, as_of_date 2026-09-30, one load, default vars
(active_customer_days 365, trailing_months 12, ABC 0.80 / 0.95, payment terms 30).

Reps R1 (team East A, region East) and R2 (team North A, region North). USD 7.0 from 2026-06-30.

  order  account rep  ordered     amount       terms  due         payments
  O1     A1      R1   2025-08-10  1000 CNY     30     2025-09-09  1000 on 2025-09-01
  O3     A2      R1   2025-09-15   600 CNY     30     2025-10-15   600 on 2025-10-01
  O6     A4      R2   2026-03-01   400 CNY     30     2026-03-31   400 on 2026-04-20 (late)
  O9     A6      R2   2026-05-10   100 CNY     30     2026-06-09   100 on 2026-06-01
  O4     A3      R2   2026-07-05   100 USD=700 10     2026-07-15   none
  O2     A1      R1   2026-08-10  2000 CNY     30     2026-09-09   500 on 2026-09-05
  O7     A5      R1   2026-08-01  5000 CNY cancelled
  O5     A3      R2   2026-09-20   300 CNY     30     2026-10-20   none

Part 2 runs the nightly job on a small demo drop and recomputes DSO, ABC tiers and churn from
the CSV files with plain Python (tests/support/oracle.py helpers and the loops below),
knowing nothing of the SQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.support import oracle
from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

MARTS = (
    "fct_receivables_kpis",
    "fct_receivables_aging",
    "fct_overdue_receivables",
    "fct_order_chain",
    "fct_customer_retention",
    "fct_customer_value_tiers",
    "fct_customer_cohorts",
    "fct_customer_lifecycle",
    "fct_lead_potential",
)


def _order(oid: str, account: str, rep: str, day: str, currency: str, total: str, **extra):
    return dict(
        order_id=oid,
        account_id=account,
        rep_id=rep,
        ordered_at=ts(f"{day} 10:00:00"),
        status=extra.pop("status", "delivered"),
        currency=currency,
        total_amount=total,
        payment_terms_days=extra.pop("terms", 30),
        **extra,
    )


def _payment(pid: str, order: str, day: str, amount: str):
    return dict(
        payment_id=pid,
        order_id=order,
        paid_at=ts(f"{day} 10:00:00"),
        amount=amount,
        currency="CNY",
    )


RAW: dict[str, list[dict]] = {
    "sales_reps": [
        dict(rep_id="R1", rep_name="Alice", team="East A", region="East"),
        dict(rep_id="R2", rep_name="Bob", team="North A", region="North"),
    ],
    "accounts": [
        dict(
            account_id=a,
            account_name=f"Account {a}",
            region="East",
            channel="direct",
            owner_rep_id="R1",
            created_at=ts("2025-01-10 09:00:00"),
        )
        for a in ("A1", "A2", "A3", "A4", "A5", "A6")
    ],
    "fx_rates": [dict(rate_date="2026-06-30", currency="USD", rate_to_reporting="7.0")],
    "products": [
        dict(product_id="PRD1", product_name="MES", product_line="software", list_price="1000"),
        dict(product_id="PRD2", product_name="Sensor", product_line="hardware", list_price="500"),
    ],
    "orders": [
        _order("O1", "A1", "R1", "2025-08-10", "CNY", "1000"),
        _order("O3", "A2", "R1", "2025-09-15", "CNY", "600"),
        _order("O6", "A4", "R2", "2026-03-01", "CNY", "400"),
        _order("O9", "A6", "R2", "2026-05-10", "CNY", "100"),
        _order("O4", "A3", "R2", "2026-07-05", "USD", "100", terms=10),
        _order("O2", "A1", "R1", "2026-08-10", "CNY", "2000"),
        _order("O7", "A5", "R1", "2026-08-01", "CNY", "5000", status="cancelled"),
        _order("O5", "A3", "R2", "2026-09-20", "CNY", "300", status="received"),
    ],
    "order_lines": [
        dict(order_id="O2", line_no=1, product_id="PRD1", quantity="1", unit_price="1500"),
        dict(order_id="O2", line_no=2, product_id="PRD2", quantity="1", unit_price="500"),
    ],
    "payments": [
        _payment("P1", "O1", "2025-09-01", "1000"),
        _payment("P3", "O3", "2025-10-01", "600"),
        _payment("P6", "O6", "2026-04-20", "400"),
        _payment("P9", "O9", "2026-06-01", "100"),
        _payment("P2", "O2", "2026-09-05", "500"),
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("customers_receivables")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in RAW.items()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["run", "--select", *(f"+{m}" for m in MARTS)],
        db=db,
        tmp=tmp,
        as_of="2026-09-30",
        load_id=1,
    )
    con = duckdb.connect(str(db))
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_dso_and_on_time_rate_q3(warehouse: duckdb.DuckDBPyConnection) -> None:
    got = {
        (level, scope): rest
        for level, scope, *rest in _rows(
            warehouse,
            """select level, scope_id, revenue, receivables_end, dso_days, due_in_period,
                      paid_on_time, on_time_collection_rate
               from marts.fct_receivables_kpis
               where period_type = 'quarter' and period = '2026Q3'""",
        )
    }
    d = Decimal
    # revenue Q3: O4 100 USD x 7.0 = 700, O2 2000, O5 300 -> 3000 (O7 cancelled)
    # receivables at 09-30: O2 2000 - 500 = 1500, O4 700, O5 300 -> 2500
    # DSO = 2500 / 3000 x 92 days = 76.666.. -> 76.67
    # due in Q3: O4 (07-15) 700 unpaid, O2 (09-09) 2000 with 500 paid on 09-05 -> 500 / 2700
    company = [d("3000.00"), d("2500.00"), d("76.67"), d("2700.00"), d("500.00"), 500 / 2700]
    # R1 (East A, East): O2 only -> 1500 / 2000 x 92 = 69.00; 500 / 2000 on time
    r1 = [d("2000.00"), d("1500.00"), d("69.00"), d("2000.00"), d("500.00"), 0.25]
    # R2 (North A, North): O4 + O5 = 1000 revenue and receivables -> 92.00; O4 700 due, 0 paid
    r2 = [d("1000.00"), d("1000.00"), d("92.00"), d("700.00"), d("0.00"), 0.0]
    assert got == {
        ("company", "all"): company,
        ("region", "East"): r1,
        ("team", "East A"): r1,
        ("rep", "R1"): r1,
        ("region", "North"): r2,
        ("team", "North A"): r2,
        ("rep", "R2"): r2,
    }


def test_dso_of_the_year_to_date(warehouse: duckdb.DuckDBPyConnection) -> None:
    # 2026 measured to 09-30: 273 days; revenue O6 400 + O9 100 + 3000 = 3500; receivables 2500
    # -> 2500 / 3500 x 273 = 195.00. Due in 2026 to 09-30: O6 400 (paid late), O9 100 (on time),
    # O4 700, O2 2000 (500 on time) -> 600 / 3200 = 0.1875
    assert _rows(
        warehouse,
        """select measure_date, days_measured, revenue, receivables_end, dso_days,
                  on_time_collection_rate
           from marts.fct_receivables_kpis
           where period_type = 'year' and period = '2026' and level = 'company'""",
    ) == [
        (date(2026, 9, 30), 273, Decimal("3500.00"), Decimal("2500.00"), Decimal("195.00"), 0.1875)
    ]


def test_overdue_list_and_days_overdue(warehouse: duckdb.DuckDBPyConnection) -> None:
    # Only 09-30 has overdue orders (every earlier quarter end: paid, or not yet due).
    # O2 due 09-09 -> 21 days, 1500 left; O4 due 07-15 -> 16 + 31 + 30 = 77 days, 700
    assert _rows(
        warehouse,
        """select as_of_date, order_id, account_name, rep_id, rep_name, team, region,
                  outstanding_original, outstanding, days_overdue, aging_bucket, overdue_rank
           from marts.fct_overdue_receivables order by as_of_date, overdue_rank""",
    ) == [
        (
            date(2026, 9, 30),
            "O2",
            "Account A1",
            "R1",
            "Alice",
            "East A",
            "East",
            Decimal("1500"),
            Decimal("1500.00"),
            21,
            "1_30",
            1,
        ),
        (
            date(2026, 9, 30),
            "O4",
            "Account A3",
            "R2",
            "Bob",
            "North A",
            "North",
            Decimal("100"),
            Decimal("700.00"),
            77,
            "61_90",
            2,
        ),
    ]
    # the aging mart keeps its snapshots and columns: O5 is there too, not yet due
    assert _rows(
        warehouse,
        """select order_id, days_overdue, aging_bucket from marts.fct_receivables_aging
           where as_of_date = date '2026-09-30' order by order_id""",
    ) == [("O2", 21, "1_30"), ("O4", 77, "61_90"), ("O5", 0, "not_due")]


def test_order_chain(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert _rows(
        warehouse,
        """select order_id, chain_status, paid, fully_paid_date, days_overdue
           from marts.fct_order_chain order by order_id""",
    ) == [
        ("O1", "paid", Decimal("1000.00"), date(2025, 9, 1), None),
        ("O2", "overdue", Decimal("500.00"), None, 21),
        ("O3", "paid", Decimal("600.00"), date(2025, 10, 1), None),
        ("O4", "overdue", Decimal("0.00"), None, 77),
        ("O5", "ordered", Decimal("0.00"), None, 0),
        ("O6", "paid", Decimal("400.00"), date(2026, 4, 20), None),
        ("O7", "cancelled", Decimal("0.00"), None, None),
        ("O9", "paid", Decimal("100.00"), date(2026, 6, 1), None),
    ]


def test_abc_tiers_q3(warehouse: duckdb.DuckDBPyConnection) -> None:
    # trailing 12 months to 09-30 (after 2025-09-30): A1 2000, A3 700 + 300 = 1000, A4 400,
    # A6 100; total 3500. Revenue ranked before: A1 0 -> A; A3 2000 (57%) -> A;
    # A4 3000 (86%, not below 80%) -> B; A6 3400 (97%, not below 95%) -> C.
    # A2's order (2025-09-15) is outside the window, A5's is cancelled.
    assert _rows(
        warehouse,
        """select account_id, trailing_revenue, scope_trailing_revenue, revenue_rank, value_tier
           from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = '2026Q3' and level = 'company'
           order by revenue_rank""",
    ) == [
        ("A1", Decimal("2000.00"), Decimal("2000.00"), 1, "A"),
        ("A3", Decimal("1000.00"), Decimal("1000.00"), 2, "A"),
        ("A4", Decimal("400.00"), Decimal("400.00"), 3, "B"),
        ("A6", Decimal("100.00"), Decimal("100.00"), 4, "C"),
    ]


def test_abc_tiers_q3_by_team_and_rep(warehouse: duckdb.DuckDBPyConnection) -> None:
    # Trailing orders: R1 (East A, East) took O2 (A1 2000; O1, O3 are outside the window, O7
    # is cancelled); R2 (North A, North) took O4 + O5 (A3 700 + 300) and O6 (A4 400), O9 (A6
    # 100). Each account keeps its company tier and rank (test above); its scope revenue is
    # the scope's orders alone.
    got = _rows(
        warehouse,
        """select level, scope_id, account_id, scope_trailing_revenue, revenue_rank, value_tier
           from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = '2026Q3' and level <> 'company'
           order by level, scope_id, revenue_rank""",
    )
    assert got == [
        ("region", "East", "A1", Decimal("2000.00"), 1, "A"),
        ("region", "North", "A3", Decimal("1000.00"), 2, "A"),
        ("region", "North", "A4", Decimal("400.00"), 3, "B"),
        ("region", "North", "A6", Decimal("100.00"), 4, "C"),
        ("rep", "R1", "A1", Decimal("2000.00"), 1, "A"),
        ("rep", "R2", "A3", Decimal("1000.00"), 2, "A"),
        ("rep", "R2", "A4", Decimal("400.00"), 3, "B"),
        ("rep", "R2", "A6", Decimal("100.00"), 4, "C"),
        ("team", "East A", "A1", Decimal("2000.00"), 1, "A"),
        ("team", "North A", "A3", Decimal("1000.00"), 2, "A"),
        ("team", "North A", "A4", Decimal("400.00"), 3, "B"),
        ("team", "North A", "A6", Decimal("100.00"), 4, "C"),
    ]


def test_churn_retention_and_repeat_q3(warehouse: duckdb.DuckDBPyConnection) -> None:
    # active on 06-30 (orders after 2025-06-30): A1 (2025-08-10), A2 (2025-09-15), A4, A6 -> 4
    # active on 09-30 (orders after 2025-09-30): A1, A3, A4, A6 -> 4; churned A2, gained A3
    # trailing customers A1, A3, A4, A6; repeat A3 (2 orders) -> 1 / 4
    # product lines in the window: A1 software + hardware (O2's lines) -> one cross-sell customer
    got = _rows(
        warehouse,
        """select level, scope_id, active_at_start, active_at_end, gained, churned, churn_rate,
                  retention_rate, repeat_purchase_rate, cross_sell_customers
           from marts.fct_customer_retention
           where period_type = 'quarter' and period = '2026Q3' and level in ('company', 'rep')
           order by level, scope_id""",
    )
    assert got == [
        ("company", "all", 4, 4, 1, 1, 1 / 4, 1 - 1 / 4, 1 / 4, 1),
        # R1: A1, A2 active at the start; A1 at the end -> churn 1 / 2
        ("rep", "R1", 2, 1, 0, 1, 1 / 2, 1 / 2, 0.0, 1),
        # R2: A4, A6 at the start; A3, A4, A6 at the end; repeat A3 of 3
        ("rep", "R2", 2, 3, 1, 0, 0.0, 1.0, 1 / 3, 0),
    ]


def test_cohorts(warehouse: duckdb.DuckDBPyConnection) -> None:
    cohorts = {
        (c, k): (size, ordering)
        for c, k, size, ordering in _rows(
            warehouse,
            """select cohort_month, months_since_first_order, cohort_customers, ordering_customers
               from marts.fct_customer_cohorts""",
        )
    }
    # first orders: A1 2025-08, A2 2025-09, A4 2026-03, A6 2026-05, A3 2026-07
    assert sorted({c for c, _ in cohorts}) == [
        "2025-08",
        "2025-09",
        "2026-03",
        "2026-05",
        "2026-07",
    ]
    # A1 ordered again in 2026-08 = month 12 of its cohort, in no month between
    assert [cohorts["2025-08", k] for k in range(14)] == [(1, 1)] + [(1, 0)] * 11 + [(1, 1), (1, 0)]
    # A3: 07-05 first, 09-20 again -> months 0, 1, 2 = 1, 0, 1 (nothing after 2026-09)
    assert [cohorts.get(("2026-07", k)) for k in range(4)] == [(1, 1), (1, 0), (1, 1), None]


def test_lifecycle(warehouse: duckdb.DuckDBPyConnection) -> None:
    # A1 first order 2025-08-10 (before 2025-09-30) and active -> retention; A2 last order
    # 2025-09-15 -> churned; A3 two orders -> growth; A4 and A6 one order more than 90 days
    # ago -> service; A5 only a cancelled order -> acquisition
    assert _rows(
        warehouse,
        """select account_id, orders, product_lines, lifecycle_stage, value_tier
           from marts.fct_customer_lifecycle order by account_id""",
    ) == [
        ("A1", 2, 2, "retention", "A"),
        ("A2", 1, 0, "churned", None),
        ("A3", 2, 0, "growth", "A"),
        ("A4", 1, 0, "service", "B"),
        ("A5", 0, 0, "acquisition", None),
        ("A6", 1, 0, "service", "C"),
    ]


# --------------------------------------------------------------------------- demo data oracle

AS_OF = date(2026, 9, 30)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def demo_night(demo):
    """The shared demo night (tests/conftest.py): its warehouse and its drop."""
    assert demo["summary"]["status"] == "success", demo["summary"].get("error")
    con = duckdb.connect(str(demo["home"] / "warehouse.duckdb"), read_only=True)
    yield con, demo["drop"]
    con.close()


def _booked(drop: oracle.Drop) -> list[tuple[str, date, Decimal | None]]:
    """(account, local order date, reporting amount) of every non-cancelled order."""
    fx = oracle.Fx(drop)
    out = []
    for o in oracle.booked_orders(drop):
        day = oracle.local_date(o["ordered_at"])
        out.append((o["account_id"], day, fx.convert(o["total_amount"], o["currency"], day)))
    return out


def _quarters_until(as_of: date) -> list[tuple[str, date, date]]:
    out = []
    for year in (2025, 2026):
        for q in range(1, 5):
            start = date(year, 3 * q - 2, 1)
            end = oracle.quarter_end(f"{year}Q{q}")
            if start <= as_of:
                out.append((f"{year}Q{q}", start, min(end, as_of)))
    return out


@pytest.mark.e2e
def test_demo_dso_matches_a_second_computation(demo_night) -> None:
    con, drop = demo_night
    got = dict(
        _rows(
            con,
            """select period, dso_days from marts.fct_receivables_kpis
               where period_type = 'quarter' and level = 'company' and period >= '2025Q1'""",
        )
    )
    revenue = oracle.revenue_by_quarter(drop, AS_OF)
    expected = {}
    for label, start, measured in _quarters_until(AS_OF):
        receivable = sum(
            (r["outstanding"] or Decimal(0) for r in oracle.receivables(drop, measured).values()),
            Decimal(0),
        )
        days = (measured - start).days + 1
        if revenue.get(label):
            expected[label] = (receivable * days / revenue[label]).quantize(CENT, ROUND_HALF_UP)
    assert len(expected) >= 6
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.e2e
def test_demo_abc_tiers_match_a_second_computation(demo_night) -> None:
    con, drop = demo_night
    a_share = Decimal(str(oracle.dbt_var("abc_a_share")))
    b_share = Decimal(str(oracle.dbt_var("abc_b_share")))
    window_start = date(2025, 9, 30)  # trailing 12 months: after this day, up to AS_OF
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for account, day, amount in _booked(drop):
        if window_start < day <= AS_OF and amount is not None:
            revenue[account] += amount
    ranked = sorted((r for r in revenue.items() if r[1] > 0), key=lambda r: (-r[1], r[0]))
    total = sum(r for _, r in ranked)
    expected, before = [], Decimal(0)
    for account, amount in ranked:
        tier = "A" if before < total * a_share else "B" if before < total * b_share else "C"
        expected.append((account, amount, tier))
        before += amount
    got = _rows(
        con,
        """select account_id, trailing_revenue, value_tier from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = '2026Q3' and level = 'company'
           order by revenue_rank""",
    )
    assert got == expected
    assert {t for *_, t in expected} == {"A", "B", "C"}


@pytest.mark.e2e
def test_demo_churn_matches_a_second_computation(demo_night) -> None:
    con, drop = demo_night
    days = int(oracle.dbt_var("active_customer_days"))
    orders_by_account: dict[str, list[date]] = defaultdict(list)
    for account, day, _ in _booked(drop):
        if day <= AS_OF:
            orders_by_account[account].append(day)

    def active(on: date) -> set[str]:
        return {
            a
            for a, days_ in orders_by_account.items()
            if any(on - timedelta(days) < d <= on for d in days_)
        }

    expected = {}
    for label, start, measured in _quarters_until(AS_OF):
        at_start, at_end = active(start - timedelta(1)), active(measured)
        if at_start or at_end:
            churned = len(at_start - at_end)
            rate = churned / len(at_start) if at_start else None
            expected[label] = (len(at_start), len(at_end), churned, rate)
    got = {
        p: tuple(rest)
        for p, *rest in _rows(
            con,
            """select period, active_at_start, active_at_end, churned, churn_rate
               from marts.fct_customer_retention
               where period_type = 'quarter' and level = 'company'""",
        )
    }
    assert len(expected) >= 6
    assert {k: got.get(k) for k in expected} == expected
    assert any(c > 0 for _, _, c, _ in expected.values())
