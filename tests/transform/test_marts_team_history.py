"""Team and region as they were: a rep's move does not carry his past into the new team.

One rep, R1, moves from team East A (region East) to West B (region West); the business date
of that export, 2026-08-16, is the first day in West B. Order-based marts take the team at the
order date (int_orders_enriched), opportunity-based marts the team at the close date, or at
as_of_date for an open deal (int_opportunities_enriched). Business timezone Asia/Shanghai,
reporting currency CNY, all amounts CNY, payment terms 30 days, as_of_date 2026-09-30.

Loads: 1 on 2026-08-12 (R1 in East A), 2 on 2026-08-16 (R1 in West B), 3 on 2026-09-30.

  order  account  ordered  amount  due    payments
  O1     A1       08-10    1000    09-09  500 on 08-20 (load 3)     -> East A
  O2     A2       08-20    2000    09-19  none (load 3)             -> West B

  opportunity  created  load 1                     load 3                      team
  L1           07-01    lost 08-05 'price' 100                                 East A
  W1           07-01    won 08-10, 1000                                        East A
  L2           07-20    negotiation 200, exp 09-30  lost 09-05 'timing'        West B
  W2           08-01    negotiation 3000, exp 09-30 won 09-10                  West B
  OP           07-15    proposal 500, exp 10-15     (still open)              West B (as_of)

A rebuild as of 2026-08-12 (history_as_of_date) sees load 1 only: R1 is in East A, and so are
the three deals open then.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, hash_by_load_and_row, run_dbt, ts

AS_OF = "2026-09-30"
LOAD_DATES = {1: "2026-08-12", 2: "2026-08-16", 3: "2026-09-30"}
MARTS = (
    "fct_receivables_kpis",
    "fct_overdue_receivables",
    "fct_sales_performance",
    "fct_loss_reasons",
    "fct_pipeline",
    "fct_sales_velocity",
)
D = Decimal


def _rep(team: str, region: str) -> dict:
    return dict(rep_id="R1", rep_name="Alice", team=team, region=region, role="rep")


def _order(oid: str, account: str, day: str, amount: str) -> dict:
    return dict(
        order_id=oid,
        account_id=account,
        rep_id="R1",
        ordered_at=ts(f"{day} 10:00:00"),
        status="delivered",
        currency="CNY",
        total_amount=amount,
        payment_terms_days=30,
    )


def _deal(oid: str, created: str, stage: str, amount: str, expected: str, **extra) -> dict:
    closed = extra.pop("closed", None)
    return dict(
        opportunity_id=oid,
        account_id="A1",
        owner_rep_id="R1",
        name=f"deal {oid}",
        created_at=ts(f"{created} 10:00:00"),
        stage=stage,
        amount=amount,
        currency="CNY",
        expected_close_date=expected,
        closed_at=ts(f"{closed} 10:00:00") if closed else None,
        last_modified_at=ts(f"{closed or created} 10:00:00"),
        **extra,
    )


RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [(1, _rep("East A", "East")), (2, _rep("West B", "West"))],
    "accounts": [
        (1, dict(account_id=a, account_name=f"Account {a}", region="East", owner_rep_id="R1"))
        for a in ("A1", "A2")
    ],
    "orders": [
        (1, _order("O1", "A1", "2026-08-10", "1000")),
        (3, _order("O2", "A2", "2026-08-20", "2000")),
    ],
    "payments": [
        (
            3,
            dict(
                payment_id="P1",
                order_id="O1",
                paid_at=ts("2026-08-20 12:00:00"),
                amount="500",
                currency="CNY",
            ),
        )
    ],
    "opportunities": [
        (
            1,
            _deal(
                "L1",
                "2026-07-01",
                "lost",
                "100",
                "2026-08-31",
                closed="2026-08-05",
                lost_reason="price",
            ),
        ),
        (1, _deal("W1", "2026-07-01", "won", "1000", "2026-08-31", closed="2026-08-10")),
        (1, _deal("L2", "2026-07-20", "negotiation", "200", "2026-09-30")),
        (1, _deal("W2", "2026-08-01", "negotiation", "3000", "2026-09-30")),
        (1, _deal("OP", "2026-07-15", "proposal", "500", "2026-10-15")),
        (
            3,
            _deal(
                "L2",
                "2026-07-20",
                "lost",
                "200",
                "2026-09-30",
                closed="2026-09-05",
                lost_reason="timing",
            ),
        ),
        (3, _deal("W2", "2026-08-01", "won", "3000", "2026-09-30", closed="2026-09-10")),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The warehouse as of 2026-09-30 ("now") and a copy rebuilt as of 2026-08-12 ("then")."""
    tmp = tmp_path_factory.mktemp("team_history")
    db = tmp / "now" / "warehouse.duckdb"
    db.parent.mkdir()
    build_warehouse(
        db,
        RAW,
        loads=LOAD_DATES,
        loaded_at=dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC),
        row_hash=hash_by_load_and_row,
    )
    then = tmp / "then" / "warehouse.duckdb"
    then.parent.mkdir()
    shutil.copyfile(db, then)
    select = ["--select", *(f"+{m}" for m in MARTS)]
    run_dbt(["run", *select], db=db, tmp=db.parent, as_of=AS_OF, load_id=3)
    run_dbt(
        ["run", "--full-refresh", *select],
        db=then,
        tmp=then.parent,
        as_of="2026-08-12",
        load_id=3,
        vars={"history_as_of_date": "2026-08-12"},
    )
    return {"now": db, "then": then}


def _rows(db: Path, sql: str) -> list[tuple]:
    # default config: dbt-duckdb may still hold the file open in this process
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchall()


def test_orders_keep_the_team_of_their_date(built: dict[str, Path]) -> None:
    assert _rows(
        built["now"],
        "select order_id, team, region from intermediate.int_orders_enriched order by 1",
    ) == [("O1", "East A", "East"), ("O2", "West B", "West")]


def test_receivables_split_by_the_team_at_the_order_date(built: dict[str, Path]) -> None:
    got = {
        (level, scope): rest
        for level, scope, *rest in _rows(
            built["now"],
            """select level, scope_id, revenue, receivables_end, dso_days, due_in_period,
                      paid_on_time, on_time_collection_rate
               from marts.fct_receivables_kpis
               where period_type = 'quarter' and period = '2026Q3'""",
        )
    }
    # Q3 has 92 days. East A: O1 1000, 500 paid on 08-20 (before its due date 09-09, and
    # counted with O1 although R1 was in West B by then): receivables 500, DSO 500 / 1000 x 92
    # = 46.00, on time 500 / 1000. West B: O2 2000 unpaid, due 09-19: DSO 92.00, on time 0.
    east = [D("1000.00"), D("500.00"), D("46.00"), D("1000.00"), D("500.00"), 0.5]
    west = [D("2000.00"), D("2000.00"), D("92.00"), D("2000.00"), D("0.00"), 0.0]
    # R1 and the company: 3000 revenue, 2500 receivables -> 2500 / 3000 x 92 = 76.666.. -> 76.67
    whole = [D("3000.00"), D("2500.00"), D("76.67"), D("3000.00"), D("500.00"), 500 / 3000]
    assert got == {
        ("team", "East A"): east,
        ("region", "East"): east,
        ("team", "West B"): west,
        ("region", "West"): west,
        ("rep", "R1"): whole,
        ("company", "all"): whole,
    }


def test_overdue_list_names_the_team_at_the_order_date(built: dict[str, Path]) -> None:
    # at 09-30: O2 2000 overdue since 09-19 (11 days), O1 500 since 09-09 (21 days)
    assert _rows(
        built["now"],
        """select order_id, team, region, outstanding, days_overdue, overdue_rank
           from marts.fct_overdue_receivables where as_of_date = date '2026-09-30'
           order by overdue_rank""",
    ) == [
        ("O2", "West B", "West", D("2000.00"), 11, 1),
        ("O1", "East A", "East", D("500.00"), 21, 2),
    ]


def test_sales_performance_orders_and_deals_by_event_date(built: dict[str, Path]) -> None:
    # Revenue by order date, won / lost by close date; collections by payment date but for the
    # order's team on the order date: P1 (08-20, R1 in West B by then) is East A's collection,
    # with its order O1 (and its receivables in fct_receivables_kpis).
    assert _rows(
        built["now"],
        """select scope_id, revenue, collections, won, lost from marts.fct_sales_performance
           where period_type = 'quarter' and period = '2026Q3' and level = 'team'
           order by scope_id""",
    ) == [
        ("East A", D("1000.00"), D("500.00"), 1, 1),
        ("West B", D("2000.00"), D("0.00"), 1, 1),
    ]


def test_loss_reasons_by_the_team_at_the_close_date(built: dict[str, Path]) -> None:
    assert _rows(
        built["now"],
        """select scope_id, lost_reason, lost, lost_amount from marts.fct_loss_reasons
           where period_type = 'quarter' and period = '2026Q3' and level = 'team'
           order by scope_id""",
    ) == [("East A", "price", 1, D("100.00")), ("West B", "timing", 1, D("200.00"))]


def test_open_pipeline_by_the_team_of_the_as_of_date(built: dict[str, Path]) -> None:
    query = """select period, scope_id, open_opportunities, open_pipeline from marts.fct_pipeline
               where period_type = 'quarter' and level = 'team' order by period, scope_id"""
    # now: only OP is open; R1 is in West B on 09-30
    assert _rows(built["now"], query) == [("2026Q4", "West B", 1, D("500.00"))]
    # as of 08-12 (load 1 only): L2 200 and W2 3000 still open for Q3, OP 500 for Q4, all
    # under East A, R1's team that day
    assert _rows(built["then"], query) == [
        ("2026Q3", "East A", 2, D("3200.00")),
        ("2026Q4", "East A", 1, D("500.00")),
    ]


def test_velocity_counts_open_deals_under_the_rule(built: dict[str, Path]) -> None:
    # Open at 08-31: OP (open: team at as_of_date, West B), L2 and W2 (closed in September:
    # team at their close dates, West B). W1 and L1 had closed: East A has none open.
    assert _rows(
        built["now"],
        """select scope_id, open_opportunities, won, lost from marts.fct_sales_velocity
           where period_type = 'month' and period = '2026-08' and level = 'team'
           order by scope_id""",
    ) == [("East A", 0, 1, 1), ("West B", 3, 0, 0)]
