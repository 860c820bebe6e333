"""The incremental facts (int_orders_enriched, int_payments_enriched, int_order_lines_enriched,
int_activities) against full rebuilds.

A small hand-built warehouse receives six loads. After each one, `dbt run` updates the facts
incrementally in one copy of the warehouse, while a second copy of the same state rebuilds them
with `--full-refresh`; every intermediate and mart relation must come out identical (the
facts' bookkeeping column processed_load_id aside). Business timezone Asia/Shanghai, reporting
currency CNY.

Load 1 (2026-07-01)
  reps R1 (East A, East), R2 (North A, North); fx USD 7.00 and EUR 8.00 from 2026-06-01
  O1 A1 R1 06-10 CNY 1000        P1 500 CNY on 06-20 for O1
  O2 A1 R1 06-20 USD 100 -> 700  P2 100 USD on 06-25 for O2 -> 700 CNY
  O3 A2 R2 06-15 EUR 50  -> 400
  O4 A2 R2 06-25 USD 10  -> 70   invoice I4 (O4, 10 USD); P4 10 USD on 06-28 through I4 -> 70
  first orders: A1 O1, A2 O3
Load 2 (2026-07-02): new and changed records
  O5 A2 R1 06-10 CNY 200 (new, earlier than O3: A2's first order moves to O5); P5 200 for O5
  O2 total 120 USD -> 840; R2 moves to team North B from 07-02: O3, O4 and P4 are recomputed
  but stay North A (team at the order date, int_sales_rep_history)
Load 3 (2026-07-03): a deletion and a late, back-dated fx rate
  O1 deleted: A1's first order becomes O2; P1 loses its order (has_order false)
  USD 7.10 dated 2026-06-22: O4 (06-25) 10 x 7.10 = 71.00; P2 (06-25) 100 x 7.10 = 710.00;
  P4 (06-28) 71.00; O2 (06-20, before the new quote) stays at 7.00 -> 840.00
Load 4 (2026-07-04): an order cancelled, a corrected rate, a new EUR quote, an invoice relinked
  O5 cancelled: A2's first order is O3 again
  USD 06-22 corrected to 7.20: O4 72.00, P2 720.00, P4 72.00
  EUR 8.50 dated 2026-06-12: O3 (06-15) 50 x 8.50 = 425.00
  I4 now bills O2: P4 links to O2 (A1, R1, East A)
Load 5 (2026-07-05): a move that leaves the past alone, and new orders after R2's move
  R1 moves to East B from 07-05: O2, O5 and their payments are recomputed and stay East A
  O6 A2 R2 07-02 CNY 300 (North B, the move day); O7 A2 R2 07-04 CNY 400 (North B);
  P7 400 CNY on 07-04 for O7
Load 6 (business date 2026-07-03, loaded after load 5): a backfilled older sales_reps drop
  R2 in North C on 07-03: R2 is North A before 07-02, North B on 07-02, North C from 07-03;
  O7 (07-04) and P7 move to North C, O6 stays North B, O3 and O4 North A

Order lines (order, line: product, quantity) and activities (id: type, local date), same loads
  1: products PRD1 software, PRD2 hardware; O1/1 PRD1 1, O1/2 PRD2 2, O2/1 PRD1 1, O3/1 PRD2 4;
     AC1 call 06-10, AC2 visit 06-15
  2: O2/1 changed to quantity 5; O2/2 PRD2 1 new; AC1 changed to a meeting; AC3 email 06-21 new
  3: O3/1 deleted (O3 has no line left); O1's lines leave with O1 (deleted by this load:
     macros/deleted_parents.sql); PRD2 becomes services (O2/2 follows)
  4: O2/2 deleted (O2 keeps O2/1); O4/1 PRD1 3 arrives late for an old order; AC4 demo 05-03
     arrives late; AC2 deleted
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import add_night, run_dbt, ts

AS_OF = "2026-07-04"
FACTS = (
    "int_orders_enriched",
    "int_payments_enriched",
    "int_order_lines_enriched",
    "int_activities",
)


def order(order_id, account, rep, day, currency, total, status="received", month="06") -> dict:
    return dict(
        order_id=order_id,
        account_id=account,
        rep_id=rep,
        ordered_at=ts(f"2026-{month}-{day} 10:00:00"),
        status=status,
        currency=currency,
        total_amount=Decimal(total),
        channel="direct",
        payment_terms_days=30,
    )


def payment(payment_id, order_id, invoice_id, day, currency, amount, month="06") -> dict:
    return dict(
        payment_id=payment_id,
        order_id=order_id,
        invoice_id=invoice_id,
        paid_at=ts(f"2026-{month}-{day} 12:00:00"),
        amount=Decimal(amount),
        currency=currency,
        method="transfer",
    )


def rate(day: str, currency: str, value: str) -> dict:
    return dict(
        rate_date=dt.date.fromisoformat(day), currency=currency, rate_to_reporting=Decimal(value)
    )


def rep(rep_id: str, team: str, region: str) -> dict:
    return dict(rep_id=rep_id, rep_name=rep_id, team=team, region=region, role="rep")


def line(order_id: str, line_no: int, product: str, quantity: str) -> dict:
    return dict(
        order_id=order_id,
        line_no=line_no,
        product_id=product,
        quantity=Decimal(quantity),
        unit_price=Decimal("10"),
        discount_amount=Decimal("0"),
    )


def product(product_id: str, product_line: str) -> dict:
    return dict(
        product_id=product_id,
        product_name=product_id,
        product_line=product_line,
        list_price=Decimal("10"),
    )


def activity(activity_id: str, rep_id: str, account: str, kind: str, day: str) -> dict:
    return dict(
        activity_id=activity_id,
        rep_id=rep_id,
        account_id=account,
        type=kind,
        occurred_at=ts(f"2026-{day} 10:00:00"),
    )


INVOICE_I4 = dict(
    invoice_id="I4",
    order_id="O4",
    issued_at=dt.date(2026, 6, 25),
    due_date=dt.date(2026, 7, 25),
    amount=Decimal("10"),
    currency="USD",
)

# load id -> (business date, {raw table: rows}); a row with _deleted is a deletion marker.
LOADS: dict[int, tuple[str, dict[str, list[dict]]]] = {
    1: (
        "2026-07-01",
        {
            "sales_reps": [rep("R1", "East A", "East"), rep("R2", "North A", "North")],
            "accounts": [
                dict(account_id="A1", account_name="Acme", region="East", owner_rep_id="R1"),
                dict(account_id="A2", account_name="Beta", region="North", owner_rep_id="R2"),
            ],
            "fx_rates": [rate("2026-06-01", "USD", "7.00"), rate("2026-06-01", "EUR", "8.00")],
            "orders": [
                order("O1", "A1", "R1", "10", "CNY", "1000"),
                order("O2", "A1", "R1", "20", "USD", "100"),
                order("O3", "A2", "R2", "15", "EUR", "50"),
                order("O4", "A2", "R2", "25", "USD", "10"),
            ],
            "invoices": [INVOICE_I4],
            "payments": [
                payment("P1", "O1", None, "20", "CNY", "500"),
                payment("P2", "O2", None, "25", "USD", "100"),
                payment("P4", None, "I4", "28", "USD", "10"),
            ],
            "products": [product("PRD1", "software"), product("PRD2", "hardware")],
            "order_lines": [
                line("O1", 1, "PRD1", "1"),
                line("O1", 2, "PRD2", "2"),
                line("O2", 1, "PRD1", "1"),
                line("O3", 1, "PRD2", "4"),
            ],
            "activities": [
                activity("AC1", "R1", "A1", "call", "06-10"),
                activity("AC2", "R2", "A2", "visit", "06-15"),
            ],
        },
    ),
    2: (
        "2026-07-02",
        {
            "sales_reps": [rep("R2", "North B", "North")],
            "orders": [
                order("O5", "A2", "R1", "10", "CNY", "200"),
                order("O2", "A1", "R1", "20", "USD", "120"),
            ],
            "payments": [payment("P5", "O5", None, "12", "CNY", "200")],
            "order_lines": [line("O2", 1, "PRD1", "5"), line("O2", 2, "PRD2", "1")],
            "activities": [
                activity("AC1", "R1", "A1", "meeting", "06-10"),
                activity("AC3", "R1", "A2", "email", "06-21"),
            ],
        },
    ),
    3: (
        "2026-07-03",
        {
            "orders": [{**order("O1", "A1", "R1", "10", "CNY", "1000"), "_deleted": True}],
            "fx_rates": [rate("2026-06-22", "USD", "7.10")],
            "order_lines": [{**line("O3", 1, "PRD2", "4"), "_deleted": True}],
            "products": [product("PRD2", "services")],
        },
    ),
    4: (
        "2026-07-04",
        {
            "orders": [order("O5", "A2", "R1", "10", "CNY", "200", status="cancelled")],
            "fx_rates": [rate("2026-06-22", "USD", "7.20"), rate("2026-06-12", "EUR", "8.50")],
            "invoices": [{**INVOICE_I4, "order_id": "O2"}],
            "order_lines": [
                {**line("O2", 2, "PRD2", "1"), "_deleted": True},
                line("O4", 1, "PRD1", "3"),
            ],
            "activities": [
                activity("AC4", "R2", "A2", "demo", "05-03"),
                {**activity("AC2", "R2", "A2", "visit", "06-15"), "_deleted": True},
            ],
        },
    ),
    5: (
        "2026-07-05",
        {
            "sales_reps": [rep("R1", "East B", "East")],
            "orders": [
                order("O6", "A2", "R2", "02", "CNY", "300", month="07"),
                order("O7", "A2", "R2", "04", "CNY", "400", month="07"),
            ],
            "payments": [payment("P7", "O7", None, "04", "CNY", "400", month="07")],
        },
    ),
    6: ("2026-07-03", {"sales_reps": [rep("R2", "North C", "North")]}),
}
LAST_LOAD = max(LOADS)


def _load(db: Path, load_id: int) -> None:
    add_night(db, load_id, *LOADS[load_id], month=7)


def _dbt(args: list[str], db: Path, load_id: int, **extra_vars: str) -> None:
    """Run dbt in-process on the project parsed once per process (tests/support/dbt_warehouse.py:
    parsing dominates a run on this tiny warehouse); vars and the warehouse path apply at run
    time."""
    run_dbt(args, db=db, tmp=db.parent, as_of=AS_OF, load_id=load_id, vars=extra_vars)


def _incremental(db: Path, load_id: int) -> None:
    _dbt(["run"], db, load_id)


def _full_refresh(db: Path, load_id: int) -> None:
    # fct_dq_findings (and its compatibility view dq_findings) keeps a history across runs that
    # a full refresh would restart; the checks it is made of (int_dq_checks, reading both facts)
    # are compared.
    _dbt(["run", "--full-refresh", "--exclude", "fct_dq_findings", "dq_findings"], db, load_id)


def _relations(db: Path) -> dict[str, list[tuple]]:
    """Every intermediate and mart relation but the findings, rows sorted, the bookkeeping of
    the incremental models (processed_* columns) left out."""
    con = duckdb.connect(str(db))
    names = con.execute(
        """select table_schema || '.' || table_name from information_schema.tables
           where table_schema in ('intermediate', 'marts')
             and table_name not in ('fct_dq_findings', 'dq_findings')
           order by 1"""
    ).fetchall()
    out = {}
    for (name,) in names:
        rows = con.execute(
            f"select columns(lambda c: c not like 'processed!_%' escape '!') from {name}"
        ).fetchall()
        out[name] = sorted(rows, key=repr)
    con.close()
    return out


def _checkpoint(db: Path) -> None:
    """Write the WAL of a warehouse dbt has just run on into its file."""
    con = duckdb.connect(str(db))  # default config: dbt-duckdb may hold the file open in-process
    con.execute("checkpoint")
    con.close()


def _copy(db: Path, folder: Path) -> Path:
    """A copy of a checkpointed warehouse (`_checkpoint`; the kept warehouses of `fact_loads`
    are), to change. The source is only read: it may be shared with other test workers."""
    # the same file name: the views name the catalog after it
    folder.mkdir(exist_ok=True)
    copy = folder / db.name
    shutil.copyfile(db, copy)
    return copy


def _orders(db: Path, read_only: bool = True) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=read_only)
    rows = con.execute(
        """select order_id, account_id, team, fx_rate, total_amount_reporting, is_booked,
                  is_first_order
           from intermediate.int_orders_enriched"""
    ).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


def _payments(db: Path, read_only: bool = True) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=read_only)
    rows = con.execute(
        """select payment_id, order_id, has_order, team, fx_rate, amount_reporting,
                  amount_order_currency
           from intermediate.int_payments_enriched"""
    ).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


def _lines(db: Path, read_only: bool = True) -> dict[tuple, tuple]:
    con = duckdb.connect(str(db), read_only=read_only)
    rows = con.execute(
        """select order_id, line_no, product_id, quantity, product_line
           from intermediate.int_order_lines_enriched"""
    ).fetchall()
    con.close()
    return {r[:2]: r[2:] for r in rows}


def _activities(db: Path, read_only: bool = True) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=read_only)
    rows = con.execute(
        "select activity_id, type, occurred_date from intermediate.int_activities"
    ).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


D = Decimal


# Hand-worked facts after each load (see the module docstring).
EXPECTED_ORDERS = {
    1: {
        "O1": ("A1", "East A", D("1"), D("1000.00"), True, True),
        "O2": ("A1", "East A", D("7"), D("700.00"), True, False),
        "O3": ("A2", "North A", D("8"), D("400.00"), True, True),
        "O4": ("A2", "North A", D("7"), D("70.00"), True, False),
    },
    2: {
        "O1": ("A1", "East A", D("1"), D("1000.00"), True, True),
        "O2": ("A1", "East A", D("7"), D("840.00"), True, False),
        "O3": ("A2", "North A", D("8"), D("400.00"), True, False),
        "O4": ("A2", "North A", D("7"), D("70.00"), True, False),
        "O5": ("A2", "East A", D("1"), D("200.00"), True, True),
    },
    3: {
        "O2": ("A1", "East A", D("7"), D("840.00"), True, True),
        "O3": ("A2", "North A", D("8"), D("400.00"), True, False),
        "O4": ("A2", "North A", D("7.1"), D("71.00"), True, False),
        "O5": ("A2", "East A", D("1"), D("200.00"), True, True),
    },
    4: {
        "O2": ("A1", "East A", D("7"), D("840.00"), True, True),
        "O3": ("A2", "North A", D("8.5"), D("425.00"), True, True),
        "O4": ("A2", "North A", D("7.2"), D("72.00"), True, False),
        "O5": ("A2", "East A", D("1"), D("200.00"), False, False),
    },
    5: {
        "O2": ("A1", "East A", D("7"), D("840.00"), True, True),
        "O3": ("A2", "North A", D("8.5"), D("425.00"), True, True),
        "O4": ("A2", "North A", D("7.2"), D("72.00"), True, False),
        "O5": ("A2", "East A", D("1"), D("200.00"), False, False),
        "O6": ("A2", "North B", D("1"), D("300.00"), True, False),
        "O7": ("A2", "North B", D("1"), D("400.00"), True, False),
    },
    6: {
        "O2": ("A1", "East A", D("7"), D("840.00"), True, True),
        "O3": ("A2", "North A", D("8.5"), D("425.00"), True, True),
        "O4": ("A2", "North A", D("7.2"), D("72.00"), True, False),
        "O5": ("A2", "East A", D("1"), D("200.00"), False, False),
        "O6": ("A2", "North B", D("1"), D("300.00"), True, False),
        "O7": ("A2", "North C", D("1"), D("400.00"), True, False),
    },
}
EXPECTED_PAYMENTS = {
    1: {
        "P1": ("O1", True, "East A", D("1"), D("500.00"), D("500")),
        "P2": ("O2", True, "East A", D("7"), D("700.00"), D("100")),
        "P4": ("O4", True, "North A", D("7"), D("70.00"), D("10")),
    },
    2: {
        "P1": ("O1", True, "East A", D("1"), D("500.00"), D("500")),
        "P2": ("O2", True, "East A", D("7"), D("700.00"), D("100")),
        "P4": ("O4", True, "North A", D("7"), D("70.00"), D("10")),
        "P5": ("O5", True, "East A", D("1"), D("200.00"), D("200")),
    },
    3: {
        # P1's order is gone: no order currency, no conversion into it
        "P1": ("O1", False, None, D("1"), D("500.00"), None),
        "P2": ("O2", True, "East A", D("7.1"), D("710.00"), D("100")),
        "P4": ("O4", True, "North A", D("7.1"), D("71.00"), D("10")),
        "P5": ("O5", True, "East A", D("1"), D("200.00"), D("200")),
    },
    4: {
        "P1": ("O1", False, None, D("1"), D("500.00"), None),
        "P2": ("O2", True, "East A", D("7.2"), D("720.00"), D("100")),
        "P4": ("O2", True, "East A", D("7.2"), D("72.00"), D("10")),
        "P5": ("O5", True, "East A", D("1"), D("200.00"), D("200")),
    },
    5: {
        "P1": ("O1", False, None, D("1"), D("500.00"), None),
        "P2": ("O2", True, "East A", D("7.2"), D("720.00"), D("100")),
        "P4": ("O2", True, "East A", D("7.2"), D("72.00"), D("10")),
        "P5": ("O5", True, "East A", D("1"), D("200.00"), D("200")),
        "P7": ("O7", True, "North B", D("1"), D("400.00"), D("400")),
    },
    6: {
        "P1": ("O1", False, None, D("1"), D("500.00"), None),
        "P2": ("O2", True, "East A", D("7.2"), D("720.00"), D("100")),
        "P4": ("O2", True, "East A", D("7.2"), D("72.00"), D("10")),
        "P5": ("O5", True, "East A", D("1"), D("200.00"), D("200")),
        "P7": ("O7", True, "North C", D("1"), D("400.00"), D("400")),
    },
}


_LINES_1 = {
    ("O1", 1): ("PRD1", D("1"), "software"),
    ("O1", 2): ("PRD2", D("2"), "hardware"),
    ("O2", 1): ("PRD1", D("1"), "software"),
    ("O3", 1): ("PRD2", D("4"), "hardware"),
}
_LINES_2 = {
    **_LINES_1,
    ("O2", 1): ("PRD1", D("5"), "software"),
    ("O2", 2): ("PRD2", D("1"), "hardware"),
}
_LINES_3 = {
    ("O2", 1): ("PRD1", D("5"), "software"),
    ("O2", 2): ("PRD2", D("1"), "services"),
}
EXPECTED_LINES = {
    1: _LINES_1,
    2: _LINES_2,
    3: _LINES_3,
    4: {k: v for k, v in _LINES_3.items() if k != ("O2", 2)}
    | {("O4", 1): ("PRD1", D("3"), "software")},
}
# Loads 5 and 6 (a rep move, new orders O6 and O7 without lines) bring no line or activity.
EXPECTED_LINES[5] = EXPECTED_LINES[6] = EXPECTED_LINES[4]
_ACTIVITIES_2 = {
    "AC1": ("meeting", dt.date(2026, 6, 10)),
    "AC2": ("visit", dt.date(2026, 6, 15)),
    "AC3": ("email", dt.date(2026, 6, 21)),
}
EXPECTED_ACTIVITIES = {
    1: {"AC1": ("call", dt.date(2026, 6, 10)), "AC2": ("visit", dt.date(2026, 6, 15))},
    2: _ACTIVITIES_2,
    3: _ACTIVITIES_2,
    4: {
        "AC1": ("meeting", dt.date(2026, 6, 10)),
        "AC3": ("email", dt.date(2026, 6, 21)),
        "AC4": ("demo", dt.date(2026, 5, 3)),
    },
}
EXPECTED_ACTIVITIES[5] = EXPECTED_ACTIVITIES[6] = EXPECTED_ACTIVITIES[4]


def build_loads(root: Path) -> dict[int, Path]:
    """The six loads, one after the other, into a warehouse under `root`: after each one the
    incrementally updated warehouse is checked against a full rebuild of the same state, every
    intermediate and mart relation (`_relations`), and a copy of it is kept. Returns {load id:
    the kept warehouse after it}, each checkpointed (read them or `_copy` them)."""
    db = root / "inc" / "warehouse.duckdb"
    db.parent.mkdir()
    kept = {}
    for load_id in LOADS:
        _load(db, load_id)
        _checkpoint(db)
        full = _copy(db, root / f"full{load_id}")
        _incremental(db, load_id)
        _full_refresh(full, load_id)
        _checkpoint(db)
        _checkpoint(full)
        assert _relations(db) == _relations(full), f"load {load_id}"
        kept[load_id] = _copy(db, root / f"after{load_id}")
    return kept


@pytest.fixture(scope="module")
def loaded(fact_loads: dict[int, Path]) -> dict[int, Path]:
    """After each load: the incrementally updated warehouse, checked against a full rebuild
    (`build_loads`, shared with test_incremental_period_marts through tests/transform/conftest.py;
    read only)."""
    return fact_loads


@pytest.mark.parametrize("load_id", sorted(LOADS))
def test_incremental_facts_hold_the_hand_worked_values(
    loaded: dict[int, Path], load_id: int
) -> None:
    assert _orders(loaded[load_id]) == EXPECTED_ORDERS[load_id]
    assert _payments(loaded[load_id]) == EXPECTED_PAYMENTS[load_id]
    assert _lines(loaded[load_id]) == EXPECTED_LINES[load_id]
    assert _activities(loaded[load_id]) == EXPECTED_ACTIVITIES[load_id]


def test_an_incremental_run_recomputes_only_what_changed(loaded: dict[int, Path]) -> None:
    """Load 3 rewrote O4 (late USD rate) and O2 (A1's new first order), deleted O1, and left
    O3 and O5 alone; payments P1 (order deleted), P2 and P4 (rate), not P5."""
    con = duckdb.connect(str(loaded[3]), read_only=True)
    orders = dict(
        con.execute(
            "select order_id, processed_load_id from intermediate.int_orders_enriched"
        ).fetchall()
    )
    payments = dict(
        con.execute(
            "select payment_id, processed_load_id from intermediate.int_payments_enriched"
        ).fetchall()
    )
    con.close()
    assert orders == {"O2": 3, "O3": 2, "O4": 3, "O5": 2}
    assert payments == {"P1": 3, "P2": 3, "P4": 3, "P5": 2}


def test_a_rep_move_recomputes_the_reps_orders(loaded: dict[int, Path]) -> None:
    """Load 5 moved R1 (O2, O5 and the payments of those orders rewritten, values unchanged);
    load 6, a backfilled drop of R2, rewrote R2's orders O3, O4, O6, O7 and P7, O7's payment."""
    con = duckdb.connect(str(loaded[6]), read_only=True)
    orders = dict(
        con.execute(
            "select order_id, processed_load_id from intermediate.int_orders_enriched"
        ).fetchall()
    )
    payments = dict(
        con.execute(
            """select payment_id, processed_load_id from intermediate.int_payments_enriched
               where payment_id != 'P1'"""
        ).fetchall()
    )
    con.close()
    assert orders == {"O2": 5, "O3": 6, "O4": 6, "O5": 5, "O6": 6, "O7": 6}
    assert payments == {"P2": 5, "P4": 5, "P5": 5, "P7": 6}


def test_lines_are_recomputed_per_order_and_activities_per_activity(
    loaded: dict[int, Path],
) -> None:
    """Load 4 deleted O2/2 (O2's other line is rewritten with it) and added O4/1; O1's lines
    left with O1 in load 3. It added AC4 and deleted AC2; AC1 and AC3 (load 2) stay."""
    con = duckdb.connect(str(loaded[4]), read_only=True)
    lines = dict(
        con.execute(
            """select order_id || '/' || line_no, processed_load_id
               from intermediate.int_order_lines_enriched"""
        ).fetchall()
    )
    activities = dict(
        con.execute(
            "select activity_id, processed_load_id from intermediate.int_activities"
        ).fetchall()
    )
    con.close()
    assert lines == {"O2/1": 4, "O4/1": 4}
    assert activities == {"AC1": 2, "AC3": 2, "AC4": 4}


def test_a_second_run_without_a_new_load_changes_nothing(
    loaded: dict[int, Path], tmp_path: Path
) -> None:
    db = _copy(loaded[LAST_LOAD], tmp_path / "again")
    before = _relations(db)
    _incremental(db, LAST_LOAD)
    assert _relations(db) == before


def test_the_incremental_path_alone_rebuilds_every_row(
    loaded: dict[int, Path], tmp_path: Path
) -> None:
    """Emptied facts (watermark 0) are rebuilt wholly by the incremental path alone (first-order
    flags, deletions and all), equal to the full build."""
    db = _copy(loaded[LAST_LOAD], tmp_path / "empty")
    before = _relations(db)
    con = duckdb.connect(str(db))
    for fact in FACTS:
        con.execute(f"delete from intermediate.{fact}")
    con.close()
    _incremental(db, LAST_LOAD)
    assert _relations(db) == before


def test_history_as_of_date_rebuilds_the_facts_as_of_that_date(
    loaded: dict[int, Path], tmp_path: Path
) -> None:
    """Without --full-refresh the var still gives a full rebuild: as of 2026-07-02 (load 2), O1
    exists again and O5 is booked, exactly as after load 2. The next ordinary run (no new load)
    brings the facts back to the current state."""
    db = _copy(loaded[4], tmp_path / "history")
    upstream = [f"+{fact}" for fact in FACTS]  # the staging views must see the var too
    _dbt(["run", "--select", *upstream], db, 4, history_as_of_date="2026-07-02")
    # read-write, as dbt-duckdb may still hold the file open in this process
    assert _orders(db, read_only=False) == EXPECTED_ORDERS[2]
    assert _payments(db, read_only=False) == EXPECTED_PAYMENTS[2]
    _dbt(["run", "--select", *upstream], db, 4)
    assert _orders(db, read_only=False) == EXPECTED_ORDERS[4]
    assert _payments(db, read_only=False) == EXPECTED_PAYMENTS[4]
