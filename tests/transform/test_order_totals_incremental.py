"""An order exported without a total follows its lines through incremental runs.

int_orders_enriched is an incremental fact: a run recomputes only the orders that can have
changed. An order without an exported total takes the sum of its lines' amounts, so a new,
changed or deleted line must recompute it even when the order itself has no new version.
Three loads into a hand-built warehouse; after each, the incrementally updated fact is checked
against the figures computed here from the input rows and against a full rebuild.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, hash_by_load_and_row, run_dbt, ts

DAYS = {1: "2026-07-01", 2: "2026-07-02", 3: "2026-07-03"}
SIX = Decimal("0.000001")


def _order(order_id: str, total: str | None) -> dict:
    return dict(
        order_id=order_id,
        account_id="A1",
        rep_id="R1",
        ordered_at=ts("2026-06-20 10:00:00"),
        status="delivered",
        currency="CNY",
        total_amount=None if total is None else Decimal(total),
    )


def _line(order_id: str, line_no: int, quantity: str, price: str, **extra: str) -> dict:
    return dict(
        order_id=order_id,
        line_no=line_no,
        product_id="PRD1",
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        **{k: Decimal(v) for k, v in extra.items()},
    )


LOADS: dict[int, dict[str, list[dict]]] = {
    1: {
        "sales_reps": [dict(rep_id="R1", rep_name="Ann", team="East", region="East")],
        "accounts": [
            dict(
                account_id="A1",
                account_name="Acme",
                region="East",
                channel="direct",
                owner_rep_id="R1",
                created_at=ts("2026-01-01 10:00:00"),
            )
        ],
        "products": [dict(product_id="PRD1", product_name="Widget", product_line="Hardware")],
        # N1 has no total: its amount is its lines'; T1 exports its total
        "orders": [_order("N1", None), _order("T1", "100")],
        "order_lines": [
            _line("N1", 1, "3", "7.77", discount_rate="0.15"),
            _line("T1", 1, "1", "100"),
        ],
    },
    # a line added to N1 (a sales export's own amount) and T1's line changed; no order changes
    2: {
        "order_lines": [
            _line("N1", 2, "30", "100", line_amount="2871.00"),
            _line("T1", 1, "1", "90"),
        ],
    },
    # N1's first line deleted, then its second: N1 has no amount left
    3: {
        "order_lines": [
            {**_line("N1", 1, "3", "7.77", discount_rate="0.15"), "_deleted": True},
            {**_line("N1", 2, "30", "100", line_amount="2871.00"), "_deleted": True},
        ],
    },
}


def _expected(load_id: int) -> dict[str, Decimal | None]:
    """Each order's amount after ``load_id``: the exported total, else its live lines' sum."""
    orders: dict[str, Decimal | None] = {}
    lines: dict[tuple[str, int], dict] = {}
    for n in range(1, load_id + 1):
        for o in LOADS[n].get("orders", []):
            orders[o["order_id"]] = o["total_amount"]
        for ln in LOADS[n].get("order_lines", []):
            key = (ln["order_id"], ln["line_no"])
            if ln.get("_deleted"):
                lines.pop(key, None)
            else:
                lines[key] = ln
    sums: dict[str, Decimal] = {}
    for (order_id, _), ln in lines.items():
        if "line_amount" in ln:
            amount = ln["line_amount"]
        else:
            gross = ln["quantity"] * ln["unit_price"]
            amount = (gross * (1 - ln.get("discount_rate", Decimal(0)))).quantize(
                SIX, ROUND_HALF_UP
            )
        sums[order_id] = sums.get(order_id, Decimal(0)) + amount
    return {o: total if total is not None else sums.get(o) for o, total in orders.items()}


def _fact(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        return con.execute(
            """select * exclude (processed_load_id) from intermediate.int_orders_enriched
               order by order_id"""
        ).fetchall()
    finally:
        con.close()


def _amounts(db: Path) -> dict[str, Decimal | None]:
    con = duckdb.connect(str(db))
    try:
        return dict(
            con.execute(
                "select order_id, total_amount from intermediate.int_orders_enriched"
            ).fetchall()
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Path]]:
    """After each load: (incrementally updated warehouse, full rebuild of the same state)."""
    root = tmp_path_factory.mktemp("order_totals")
    db = root / "inc.duckdb"
    out = {}
    for load_id, raw in LOADS.items():
        build_warehouse(
            db,
            {table: [(load_id, row) for row in rows] for table, rows in raw.items()},
            loads={load_id: DAYS[load_id]},
            loaded_at=dt.datetime(2026, 7, load_id, 23, 0, tzinfo=dt.UTC),
            row_hash=hash_by_load_and_row,
        )
        full = root / f"full{load_id}.duckdb"
        shutil.copy(db, full)
        common = dict(as_of=DAYS[load_id], load_id=load_id)
        select = ["--select", "+int_orders_enriched"]
        run_dbt(["run", *select], db=db, tmp=root / f"inc{load_id}", **common)
        run_dbt(["run", *select, "--full-refresh"], db=full, tmp=root / f"f{load_id}", **common)
        kept = root / f"after{load_id}.duckdb"
        shutil.copy(db, kept)
        out[load_id] = (kept, full)
    return out


@pytest.mark.parametrize("load_id", sorted(LOADS))
def test_an_order_without_total_follows_its_lines(runs, load_id: int) -> None:
    incremental, full = runs[load_id]
    assert _amounts(incremental) == _expected(load_id)
    assert _fact(incremental) == _fact(full)


def test_the_figures_are_the_lines_not_quantity_times_price() -> None:
    # 3 × 7.77 × 0.85 = 19.8135; the added line's own amount 2871.00, not 30 × 100
    assert _expected(1)["N1"] == Decimal("19.813500")
    assert _expected(2)["N1"] == Decimal("2890.813500")
    assert _expected(2)["T1"] == Decimal("100")
    assert _expected(3)["N1"] is None
