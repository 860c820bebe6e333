"""Receivables per instalment and the expected-loss provision, built for real.

A small hand-made warehouse (business timezone Asia/Shanghai, reporting currency CNY, as of
2026-09-30) holds orders with several invoices, payments naming an invoice or none, and an
order without invoices. dbt builds the receivables marts (and runs their unit tests); the test
recomputes, in plain Python from the input rows, each instalment's balance, days overdue and
aging bucket (payments naming an invoice pay it, the rest of the order's payments pay the
oldest due first), the provision by bucket at the default loss rates, and the collections per
team (the order's rep's team on the order date), and compares them with the marts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

AS_OF = date(2026, 9, 30)
LOSS_RATES = {
    "not_due": Decimal("0.01"),
    "1_30": Decimal("0.03"),
    "31_60": Decimal("0.10"),
    "61_90": Decimal("0.25"),
    "over_90": Decimal("0.50"),
}
SELECT = (
    "+fct_receivables_aging",
    "+fct_receivables_provision",
    "+fct_account_credit_risk",
    "+fct_receivables_kpis",
    "+fct_order_chain",
    "+fct_sales_performance",
)

ORDERS = [
    # order, account, rep, ordered, total, terms
    ("O1", "A1", "R1", "2026-06-01", "1000", 30),
    ("O2", "A2", "R1", "2026-07-01", "900", 30),
    ("O3", "A2", "R2", "2026-08-01", "600", 45),
    ("O4", "A3", "R2", "2026-09-01", "500", 30),
]
INVOICES = [
    # invoice, order, issued, due, amount
    ("I1", "O1", "2026-06-01", "2026-07-01", "400"),
    ("I2", "O1", "2026-06-01", "2026-08-31", "300"),
    ("I3", "O1", "2026-06-01", "2026-10-31", "300"),
    ("J1", "O2", "2026-07-01", "2026-07-31", "300"),
    ("J2", "O2", "2026-07-01", "2026-09-29", "600"),
    ("K1", "O4", "2026-09-01", "2026-09-15", "250"),
    ("K2", "O4", "2026-09-01", "2026-10-15", "250"),
]
PAYMENTS = [
    # payment, order, invoice, paid, amount
    ("P1", "O1", "I1", "2026-06-20", "400"),  # pays I1 on time
    ("P2", "O2", None, "2026-08-10", "350"),  # no invoice: J1 300, then 50 of J2
    ("P3", None, "K2", "2026-09-10", "100"),  # names K2 (due later) only
    ("P4", "O3", None, "2026-09-01", "200"),  # an order without invoices
    ("P5", "O1", "I3", "2026-10-05", "300"),  # after as_of: not counted
]


def _raw() -> dict[str, list[dict]]:
    return {
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
            for a in ("A1", "A2", "A3")
        ],
        "orders": [
            dict(
                order_id=o,
                account_id=a,
                rep_id=r,
                ordered_at=ts(f"{d} 10:00:00"),
                status="delivered",
                currency="CNY",
                total_amount=t,
                payment_terms_days=terms,
            )
            for o, a, r, d, t, terms in ORDERS
        ],
        "invoices": [
            dict(invoice_id=i, order_id=o, issued_at=iss, due_date=due, amount=amt, currency="CNY")
            for i, o, iss, due, amt in INVOICES
        ],
        "payments": [
            dict(
                payment_id=p,
                order_id=o,
                invoice_id=i,
                paid_at=ts(f"{d} 10:00:00"),
                amount=amt,
                currency="CNY",
            )
            for p, o, i, d, amt in PAYMENTS
        ],
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("receivables_instalments")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in _raw().items()},
        loads={1: AS_OF.isoformat()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["build", "--select", *SELECT, "--exclude", "test_type:data"],
        db=db,
        tmp=tmp,
        as_of=AS_OF.isoformat(),
        load_id=1,
    )
    con = duckdb.connect(str(db))
    yield con
    con.close()


# --------------------------------------------------------------------------- the oracle


def _bucket(days: int) -> str:
    if days == 0:
        return "not_due"
    if days <= 30:
        return "1_30"
    if days <= 60:
        return "31_60"
    if days <= 90:
        return "61_90"
    return "over_90"


def expected_balances(as_of: date) -> dict[tuple[str, str], tuple[Decimal, int, str]]:
    """(order, receivable) -> (outstanding, days overdue, bucket), from the input rows."""
    invoice_order = {i: o for i, o, *_ in INVOICES}
    instalments: dict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for i, o, _issued, due, amt in INVOICES:
        instalments[o].append((date.fromisoformat(due), i, Decimal(amt)))
    for o, _a, _r, d, total, terms in ORDERS:
        if o not in instalments:
            instalments[o].append(
                (date.fromisoformat(d) + dt.timedelta(days=terms), o, Decimal(total))
            )
    out = {}
    for o, items in instalments.items():
        items.sort()
        paid = {rid: Decimal(0) for _d, rid, _a in items}
        amount = {rid: a for _d, rid, a in items}
        pool = Decimal(0)
        for _p, po, pi, pd, amt in PAYMENTS:
            order = po or invoice_order.get(pi)
            if order != o or date.fromisoformat(pd) > as_of:
                continue
            value = Decimal(amt)
            if pi in paid:  # names an invoice of this order: pays it first
                direct = min(value, amount[pi] - paid[pi])
                paid[pi] += direct
                value -= direct
            pool += value
        for _d, rid, a in items:  # the rest: oldest due first
            take = min(a - paid[rid], pool)
            paid[rid] += take
            pool -= take
        for due, rid, a in items:
            left = a - paid[rid]
            if left > 0:
                days = max((as_of - due).days, 0)
                out[(o, rid)] = (left, days, _bucket(days))
    return out


def test_aging_is_per_instalment(warehouse) -> None:
    rows = warehouse.execute(
        """select order_id, receivable_id, outstanding, days_overdue, aging_bucket
           from marts.fct_receivables_aging where as_of_date = ?""",
        [AS_OF],
    ).fetchall()
    got = {(o, r): (Decimal(out), days, b) for o, r, out, days, b in rows}
    assert got == expected_balances(AS_OF)
    # the later instalments of O1 are not overdue from O1's first due date
    assert got[("O1", "I3")][2] == "not_due"


def test_provision_by_bucket(warehouse) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for outstanding, _days, bucket in expected_balances(AS_OF).values():
        expected[bucket] += (outstanding * LOSS_RATES[bucket]).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    rows = warehouse.execute(
        """select aging_bucket, sum(expected_loss) from marts.fct_receivables_provision
           where as_of_date = ? group by 1""",
        [AS_OF],
    ).fetchall()
    assert {b: Decimal(v) for b, v in rows} == dict(expected)


def test_account_risk_score_from_days_share_and_late_history(warehouse) -> None:
    account = {o: a for o, a, *_ in ORDERS}
    dues = {(i_o, i): date.fromisoformat(d) for i, i_o, _iss, d, _a in INVOICES}
    for o, _a, _r, d, _t, terms in ORDERS:
        if o not in {k[0] for k in dues}:
            dues[(o, o)] = date.fromisoformat(d) + dt.timedelta(days=terms)
    open_ = expected_balances(AS_OF)
    expected = {}
    for acc in sorted({account[o] for o, _ in open_}):
        mine = {k: v for k, v in open_.items() if account[k[0]] == acc}
        total = sum(v[0] for v in mine.values())
        overdue = sum(v[0] for v in mine.values() if v[1] > 0)
        days = min(max(v[1] for v in mine.values()), 120) / 120
        due = [k for k, d in dues.items() if account[k[0]] == acc and d <= AS_OF]
        late = [k for k in due if k in expected_balances(dues[k])]
        score = 100 * (0.5 * days + 0.3 * float(overdue / total) + 0.2 * len(late) / len(due))
        expected[acc] = score  # the mart rounds to 1 place: within 0.05
    rows = dict(
        warehouse.execute(
            "select account_id, risk_score from marts.fct_account_credit_risk where as_of_date = ?",
            [AS_OF],
        ).fetchall()
    )
    assert rows == pytest.approx(expected, abs=0.051)
    assert expected["A1"] == 37.5  # 30 days (0.25), half overdue, I2 of I1 + I2 paid late


def test_collections_per_team_agree_across_marts(warehouse) -> None:
    team = {"R1": "East A", "R2": "North A"}
    order_rep = {o: r for o, _a, r, *_ in ORDERS}
    invoice_order = {i: o for i, o, *_ in INVOICES}
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for _p, po, pi, pd, amt in PAYMENTS:
        if date(2026, 7, 1) <= date.fromisoformat(pd) <= AS_OF:
            expected[team[order_rep[po or invoice_order[pi]]]] += Decimal(amt)
    for mart in ("fct_sales_performance", "fct_receivables_kpis"):
        rows = warehouse.execute(
            f"""select scope_id, collections from marts.{mart}
                where period_type = 'quarter' and period = '2026Q3' and level = 'team'
                  and collections != 0"""
        ).fetchall()
        assert {s: Decimal(v) for s, v in rows} == dict(expected), mart


def test_pack_provision_block_reads_the_mart(warehouse) -> None:
    from pipelines.packs.sections.receivables import provision

    expected: dict[str, Decimal] = defaultdict(Decimal)
    for outstanding, _days, bucket in expected_balances(AS_OF).values():
        expected[bucket] += (outstanding * LOSS_RATES[bucket]).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    got = {p.bucket: p.expected_loss for p in provision(warehouse, AS_OF) if p.expected_loss}
    assert got == dict(expected)
