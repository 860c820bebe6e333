"""Team moves before go-live from the rep_assignments file, built for real.

The loads of sales_reps start on 2026-08-12 (go-live): R1 is in West B, R2 in East A. The
rep_assignments file (loaded with the first drop) says R1 was in East A from 2025-10-01 and
moved to West B on 2026-05-15. So R1's orders before 2026-05-15 are East A's revenue, those
from then on West B's; without the file all of R1's past would be West B's. Team revenue per
quarter is recomputed here in plain Python from the input rows and equals
fct_sales_performance; the hand-worked unit tests of int_sales_rep_history run on the same
build. Business timezone Asia/Shanghai, reporting currency CNY, as_of_date 2026-09-30.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

AS_OF = "2026-09-30"
GO_LIVE = dt.date(2026, 8, 12)
LOADS = {1: GO_LIVE.isoformat(), 2: AS_OF}
REPS = {"R1": ("West B", "West"), "R2": ("East A", "East")}
ASSIGNMENTS = [  # rep, team, region, effective_from
    ("R1", "East A", "East", "2025-10-01"),
    ("R1", "West B", "West", "2026-05-15"),
]
ORDERS = [  # order, rep, local order date, amount CNY, load
    ("O1", "R1", "2025-11-20", "700.50", 1),
    ("O2", "R1", "2026-02-10", "1000.00", 1),
    ("O3", "R1", "2026-05-14", "2000.00", 1),
    ("O4", "R1", "2026-05-15", "300.25", 1),
    ("O5", "R1", "2026-08-20", "400.00", 2),
    ("O6", "R2", "2026-03-01", "500.00", 1),
    ("O7", "R2", "2026-09-01", "50.00", 2),
]

RAW = {
    "sales_reps": [
        (1, dict(rep_id=r, rep_name=f"Rep {r}", team=t, region=g, role="rep"))
        for r, (t, g) in REPS.items()
    ],
    "rep_assignments": [
        (1, dict(rep_id=r, team=t, region=g, effective_from=d)) for r, t, g, d in ASSIGNMENTS
    ],
    "accounts": [
        (1, dict(account_id="A1", account_name="Account A1", region="East", owner_rep_id="R2"))
    ],
    "orders": [
        (
            load,
            dict(
                order_id=o,
                account_id="A1",
                rep_id=r,
                ordered_at=ts(f"{day} 10:00:00"),
                status="delivered",
                currency="CNY",
                total_amount=amount,
                payment_terms_days=30,
            ),
        )
        for o, r, day, amount, load in ORDERS
    ],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("rep_assignments")
    path = tmp / "warehouse.duckdb"
    build_warehouse(
        path,
        RAW,
        loads=LOADS,
        loaded_at=dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC),
    )
    run_dbt(["run", "--select", "+fct_sales_performance"], db=path, tmp=tmp, as_of=AS_OF, load_id=2)
    return path


def _team_on(rep: str, day: dt.date) -> str:
    """Before go-live the file's latest row on or before the day (its earliest row before
    that); from go-live the loaded team."""
    if day >= GO_LIVE:
        return REPS[rep][0]
    rows = sorted((d, t) for r, t, _, d in ASSIGNMENTS if r == rep)
    if not rows:
        return REPS[rep][0]
    team = rows[0][1]
    for start, t in rows:
        if dt.date.fromisoformat(start) <= day:
            team = t
    return team


def _quarter(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def test_team_revenue_per_quarter_follows_the_assignments(db: Path) -> None:
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for _, rep, day, amount, _ in ORDERS:
        d = dt.date.fromisoformat(day)
        expected[(_team_on(rep, d), _quarter(d))] += Decimal(amount)
    with duckdb.connect(str(db)) as con:
        got = con.execute(
            """select scope_id, period, revenue from marts.fct_sales_performance
               where level = 'team' and period_type = 'quarter' and revenue <> 0"""
        ).fetchall()
    assert {(team, period): revenue for team, period, revenue in got} == dict(expected)
    # the move before go-live is what splits R1's past: East A holds O1..O3
    assert expected[("East A", "2026Q2")] == Decimal("2000.00")


def test_rep_history_unit_tests_pass(db: Path) -> None:
    result = run_dbt(
        ["test", "--select", "int_sales_rep_history", "--resource-type", "unit_test"],
        db=db,
        tmp=db.parent,
        as_of=AS_OF,
        load_id=2,
    )
    assert sorted(r.node.name for r in result.result if r.node.resource_type == "unit_test") == [
        "int_sales_rep_history_assignments_take_precedence",
        "int_sales_rep_history_scd2_from_load_dates",
    ]
