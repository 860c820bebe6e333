"""The incremental receivables (int_receivables_allocations, and the balances, aging and other
receivables marts over it) against full rebuilds, night after night.

A small hand-built warehouse (business timezone Asia/Shanghai, reporting currency CNY, USD at
7.00 from 2026-01-01) receives seven loads:

Load 1 (as_of 2026-05-15), the first night:
  O1 A1 R1 02-10 CNY 1000, no invoice: due 03-12 by its 30-day terms; P1 300 on 03-05, P2 200
    on 04-20
  O2 A2 R2 03-15 USD 100: invoices I2a 60 USD due 04-14 and I2b 40 USD due 05-14; P3 40 USD
    naming I2b only (no order) on 04-01, P4 30 USD for O2 on 04-10
  O3 A1 R2 04-05 CNY 500, no invoice: due 05-05; no payment
Load 2: a late payment for an old month: P5 200 for O1 dated 02-25 (February, March and April
  month ends change)
Load 3: O3 re-dated from 04-05 to 03-20 (gains the March month end; due 04-19)
Load 4: P2 deleted; a USD correction 7.10 from 03-10 (O2's rate)
Load 5: an instalment plan changed: I2b now 50 USD due 06-10; O3 invoiced in two, I3a 200 due
  04-30 and I3b 300 due 06-15
Load 6 (as_of 2026-05-20): nothing new; only the as_of cut moves
Load 7 (as_of 2026-06-02): a month boundary crossed (the May month end enters); P6 150 for O3
  on 06-01; a new order O4 A2 R1 06-01 CNY 80; O1 deleted (it leaves every snapshot)

After each load the warehouse runs `dbt run` incrementally; a copy of the same state then
rebuilds int_receivables_allocations and every model downstream of it with --full-refresh
(their inputs, the incremental facts, are the same in both); every receivables model must come
out identical row by row (the bookkeeping columns processed_* aside). After loads 5 and 7 the
balances are also checked against a plain Python application of the payments to the input rows.
The rows a night rewrote (processed_load_id) are only those it touched.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import add_night, run_dbt
from tests.support.dbt_warehouse import relation_rows as _rows
from tests.transform.test_incremental_facts import _checkpoint, _copy, order, payment, rate, rep

RELATIONS = (
    "intermediate.int_receivables_allocations",
    "intermediate.int_receivables_balances",
    "marts.fct_receivables_aging",
    "marts.fct_receivables_provision",
    "marts.fct_overdue_receivables",
    "marts.fct_account_credit_risk",
    "marts.fct_receivables_kpis",
    "marts.fct_order_chain",
)
INCREMENTAL_SELECT = [
    "--select",
    *(f"+{relation.split('.')[1]}" for relation in RELATIONS),
]
FULL_SELECT = ["--select", "int_receivables_allocations+"]


def invoice(invoice_id: str, order_id: str, issued: str, due: str, amount: str, currency: str):
    return dict(
        invoice_id=invoice_id,
        order_id=order_id,
        issued_at=dt.date.fromisoformat(issued),
        due_date=dt.date.fromisoformat(due),
        amount=Decimal(amount),
        currency=currency,
    )


O1 = order("O1", "A1", "R1", "10", "CNY", "1000", month="02")
P2 = payment("P2", "O1", None, "20", "CNY", "200", month="04")

# load id -> (as_of_date, {raw table: rows}); a row with _deleted is a deletion marker.
LOADS: dict[int, tuple[str, dict[str, list[dict]]]] = {
    1: (
        "2026-05-15",
        {
            "sales_reps": [rep("R1", "East A", "East"), rep("R2", "North A", "North")],
            "accounts": [
                dict(account_id="A1", account_name="Acme", region="East", owner_rep_id="R1"),
                dict(account_id="A2", account_name="Beta", region="North", owner_rep_id="R2"),
            ],
            "fx_rates": [rate("2026-01-01", "USD", "7.00")],
            "orders": [
                O1,
                order("O2", "A2", "R2", "15", "USD", "100", month="03"),
                order("O3", "A1", "R2", "05", "CNY", "500", month="04"),
            ],
            "invoices": [
                invoice("I2a", "O2", "2026-03-15", "2026-04-14", "60", "USD"),
                invoice("I2b", "O2", "2026-03-15", "2026-05-14", "40", "USD"),
            ],
            "payments": [
                payment("P1", "O1", None, "05", "CNY", "300", month="03"),
                P2,
                payment("P3", None, "I2b", "01", "USD", "40", month="04"),
                payment("P4", "O2", None, "10", "USD", "30", month="04"),
            ],
        },
    ),
    2: ("2026-05-15", {"payments": [payment("P5", "O1", None, "25", "CNY", "200", month="02")]}),
    3: ("2026-05-15", {"orders": [order("O3", "A1", "R2", "20", "CNY", "500", month="03")]}),
    4: (
        "2026-05-15",
        {"payments": [{**P2, "_deleted": True}], "fx_rates": [rate("2026-03-10", "USD", "7.10")]},
    ),
    5: (
        "2026-05-15",
        {
            "invoices": [
                invoice("I2b", "O2", "2026-03-15", "2026-06-10", "50", "USD"),
                invoice("I3a", "O3", "2026-03-20", "2026-04-30", "200", "CNY"),
                invoice("I3b", "O3", "2026-03-20", "2026-06-15", "300", "CNY"),
            ]
        },
    ),
    6: ("2026-05-20", {}),
    7: (
        "2026-06-02",
        {
            "payments": [payment("P6", "O3", None, "01", "CNY", "150", month="06")],
            "orders": [
                order("O4", "A2", "R1", "01", "CNY", "80", month="06"),
                {**O1, "_deleted": True},
            ],
        },
    ),
}


def _load(db: Path, load_id: int) -> None:
    add_night(db, load_id, *LOADS[load_id], month=6)


def _dbt(args: list[str], db: Path, load_id: int) -> None:
    run_dbt(args, db=db, tmp=db.parent, as_of=LOADS[load_id][0], load_id=load_id)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """After each load: the incrementally updated warehouse, checked against a full rebuild."""
    root = tmp_path_factory.mktemp("receivables")
    db = root / "inc" / "warehouse.duckdb"
    db.parent.mkdir()
    kept = {}
    for load_id in LOADS:
        _load(db, load_id)
        _dbt(["run", *INCREMENTAL_SELECT], db, load_id)
        _checkpoint(db)
        full = _copy(db, root / f"full{load_id}")
        _dbt(["run", "--full-refresh", *FULL_SELECT], full, load_id)
        for relation in RELATIONS:
            assert _rows(db, relation) == _rows(full, relation), f"load {load_id}: {relation}"
        kept[load_id] = _copy(db, root / f"after{load_id}")
    return kept


def test_every_night_equals_a_full_rebuild(nights: dict[int, Path]) -> None:
    assert sorted(nights) == sorted(LOADS)


# --------------------------------------------------------------- independent computation


def _current(table: str, key: str, upto: int) -> dict[str, dict]:
    """The records of `table` after load `upto`: the latest version of each key, deletion
    markers dropping it."""
    records: dict[str, dict] = {}
    for load_id in sorted(LOADS):
        if load_id > upto:
            break
        for row in LOADS[load_id][1].get(table, []):
            if row.get("_deleted"):
                records.pop(row[key], None)
            else:
                records[row[key]] = row
    return records


def _local_date(instant: str) -> dt.date:
    return dt.date.fromisoformat(instant[:10])  # the helpers write Shanghai local times


def _month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    ends, year, month = [], start.year, start.month
    while True:
        first_next = dt.date(year + month // 12, month % 12 + 1, 1)
        month_end = first_next - dt.timedelta(days=1)
        if month_end > end:
            return ends
        ends.append(month_end)
        year, month = first_next.year, first_next.month


def _expected_balances(upto: int) -> dict[tuple, Decimal]:
    """(snapshot date, order, receivable) -> amount due minus the payments applied up to that
    date, wherever positive: invoices paid first by the payments naming them (up to their
    amount), the rest of the order's payments to the instalments oldest due first. Every
    currency here is its order's own, so no conversion is needed."""
    as_of = dt.date.fromisoformat(LOADS[upto][0])
    orders = _current("orders", "order_id", upto)
    invoices = _current("invoices", "invoice_id", upto)
    payments = _current("payments", "payment_id", upto)
    expected = {}
    for order_id, o in orders.items():
        ordered = _local_date(o["ordered_at"])
        own = sorted(
            (i["due_date"], i["invoice_id"], i["amount"])
            for i in invoices.values()
            if i["order_id"] == order_id
        )
        instalments = own or [(ordered + dt.timedelta(days=30), order_id, o["total_amount"])]
        linked = [
            p
            for p in payments.values()
            if (p["order_id"] or invoices.get(p["invoice_id"], {}).get("order_id")) == order_id
        ]
        for day in [*_month_ends(ordered, as_of), as_of] if ordered <= as_of else []:
            paid = [p for p in linked if _local_date(p["paid_at"]) <= day]
            direct = {
                rid: min(
                    due, sum((p["amount"] for p in paid if p["invoice_id"] == rid), Decimal(0))
                )
                for _, rid, due in instalments
            }
            pool = sum((p["amount"] for p in paid), Decimal(0)) - sum(direct.values())
            for _, rid, due in instalments:
                applied = direct[rid] + min(due - direct[rid], max(pool, Decimal(0)))
                pool -= due - direct[rid]
                if due - applied > 0:
                    expected[(day, order_id, rid)] = due - applied
    return expected


def _balances(db: Path) -> dict[tuple, Decimal]:
    con = duckdb.connect(str(db))
    rows = con.execute(
        "select as_of_date, order_id, receivable_id, outstanding_original"
        " from intermediate.int_receivables_balances"
    ).fetchall()
    con.close()
    return {(day, order_id, rid): amount for day, order_id, rid, amount in rows}


@pytest.mark.parametrize("load_id", [5, 7])
def test_balances_equal_the_amounts_due_minus_the_payments_applied(
    nights: dict[int, Path], load_id: int
) -> None:
    expected = _expected_balances(load_id)
    assert expected  # the check compares something
    assert _balances(nights[load_id]) == expected


def test_a_late_payment_reopens_an_old_month(nights: dict[int, Path]) -> None:
    """P5 (200 on 02-25) lowers O1's February balance from 1000 to 800."""
    before = _balances(nights[1])[(dt.date(2026, 2, 28), "O1", "O1")]
    after = _balances(nights[2])[(dt.date(2026, 2, 28), "O1", "O1")]
    assert (before, after) == (Decimal("1000"), Decimal("800"))


def test_a_re_dated_order_gains_the_month_ends_since_its_new_date(
    nights: dict[int, Path],
) -> None:
    assert (dt.date(2026, 3, 31), "O3", "O3") not in _balances(nights[2])
    assert _balances(nights[3])[(dt.date(2026, 3, 31), "O3", "O3")] == Decimal("500")


def test_the_aging_follows_the_moving_as_of_date(nights: dict[int, Path]) -> None:
    """The aging publishes the run's as_of_date: 05-15, then 05-20 (the 05-15 snapshot goes),
    then 06-02 with the May month end kept only in the balances (not a quarter end)."""
    con = duckdb.connect(str(nights[7]))
    dates = {
        d for (d,) in con.execute("select as_of_date from marts.fct_receivables_aging").fetchall()
    }
    month_ends = {
        d
        for (d,) in con.execute(
            "select as_of_date from intermediate.int_receivables_balances"
        ).fetchall()
    }
    con.close()
    assert dates == {dt.date(2026, 3, 31), dt.date(2026, 6, 2)}
    assert dt.date(2026, 5, 31) in month_ends and dt.date(2026, 5, 20) not in month_ends


def test_a_deleted_order_leaves_every_snapshot(nights: dict[int, Path]) -> None:
    assert any(key[1] == "O1" for key in _balances(nights[6]))
    assert not any(key[1] == "O1" for key in _balances(nights[7]))


def _reporting(amount: Decimal, rate_: Decimal) -> Decimal:
    return (amount * rate_).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_outstanding_in_the_reporting_currency_uses_the_corrected_rate(
    nights: dict[int, Path],
) -> None:
    """O2 (USD, ordered 03-15) converts at the 7.10 quote of 03-10 from load 4 on."""
    con = duckdb.connect(str(nights[5]))
    rows = con.execute(
        "select outstanding_original, outstanding from intermediate.int_receivables_balances"
        " where order_id = 'O2'"
    ).fetchall()
    con.close()
    assert rows and all(out == _reporting(orig, Decimal("7.10")) for orig, out in rows)


def _stamps(db: Path) -> dict[tuple, int]:
    """(read date, order) -> the load of the night that last wrote its rows."""
    con = duckdb.connect(str(db))
    rows = con.execute(
        "select distinct as_of_date, order_id, processed_load_id"
        " from intermediate.int_receivables_allocations"
    ).fetchall()
    con.close()
    return {(day, order_id): load_id for day, order_id, load_id in rows}


def test_a_night_rewrites_only_what_it_touched(nights: dict[int, Path]) -> None:
    """The late payment for O1 rewrites O1's dates only; the as_of-only night writes the new
    as_of_date snapshot (05-20) and keeps every month end and due date as it was."""
    stamps = {load_id: _stamps(db) for load_id, db in nights.items()}
    assert {order_id for (_, order_id), load_id in stamps[2].items() if load_id == 2} == {"O1"}
    rewritten = {day for (day, _), load_id in stamps[6].items() if load_id == 6}
    assert rewritten == {dt.date(2026, 5, 20)}
    kept = {key: load_id for key, load_id in stamps[6].items() if load_id != 6}
    assert kept == {key: stamps[5][key] for key in kept}
    assert (dt.date(2026, 5, 15), "O2") not in stamps[6]  # the old as_of snapshot is gone
