"""Performance marts built for real on a small hand-made warehouse with a load history.

Three nightly loads (business dates in meta.loads), Asia/Shanghai, reporting currency CNY,
as_of_date 2026-09-30:

  load 1 (2026-07-31): reps R1 Alice (East A / East) and R2 Bob (North A / North); accounts
      A1 (R1), A2 (R2); order O1 R1 07-10 1000 CNY (10 units, A1's first order); visit AC1 R1
      07-05; USD 7.0 from 07-01; Q3 targets: revenue R1 2000, R2 500, East A 2000, North A
      600, East 2000, North 600, company 2600; collections R1 1000; visits R1 4.
  load 2 (2026-08-16): R1 moves to North A / North; O2 R1 08-15 23:30 local, 100 USD at the
      08-15 rate 7.0 = 700 (1 unit); O3 R1 08-16 09:00 500 CNY (5 units); USD 7.2 from 08-16.
  load 3 (2026-09-30): R1 re-exported with a new email only (no move); O4 R2 09-05 300 CNY
      (3 units, A2's first order); payments PA1 for O1 on 08-20 1000 and PA2 for O4 on 09-20
      300; activities AC2 R1 visit 08-20, AC3 R1 quote 09-01, AC4 R2 call 09-02; capability
      R1 2026Q3 80 / 90 / 70; opportunities OP1 R1 won 08-10 1000 CNY, OP2 R2 won 09-10 100
      USD (at 7.2 = 720), OP3 R1 lost 09-12 500 CNY, OP4 R1 open 900 CNY; bookings targets R1
      2026-07 400 and 2026-08 600 (Q3 rolled up: 1000), company 2026Q3 2000.

R1 moved team mid-quarter: everything dated up to 08-15 counts under East A, from 08-16 under
North A. Every expected number is worked out by hand next to its assertion.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

AS_OF = "2026-09-30"
LOADS = {1: "2026-07-31", 2: "2026-08-16", 3: "2026-09-30"}


def _rep(rep_id: str, name: str, team: str, region: str, email: str) -> dict:
    return dict(rep_id=rep_id, rep_name=name, team=team, region=region, email=email)


def _order(order_id: str, account: str, rep: str, at: str, currency: str, amount: str) -> dict:
    return dict(
        order_id=order_id,
        account_id=account,
        rep_id=rep,
        ordered_at=ts(at),
        status="delivered",
        currency=currency,
        total_amount=amount,
        payment_terms_days=30,
    )


def _target(period: str, level: str, scope: str, metric: str, value: str) -> dict:
    return dict(period=period, level=level, scope_id=scope, metric=metric, target_value=value)


def _opportunity(
    opp: str, account: str, rep: str, stage: str, amount: str, currency: str, closed: str | None
) -> dict:
    return dict(
        opportunity_id=opp,
        account_id=account,
        owner_rep_id=rep,
        name=f"Deal {opp}",
        created_at=ts("2026-07-01 09:00:00"),
        stage=stage,
        amount=amount,
        currency=currency,
        expected_close_date="2026-09-30",
        closed_at=None if closed is None else ts(f"{closed} 10:00:00"),
        lost_reason="price" if stage == "lost" else None,
        last_modified_at=ts("2026-09-20 10:00:00"),
    )


RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [
        (1, _rep("R1", "Alice", "East A", "East", "alice@example.com")),
        (1, _rep("R2", "Bob", "North A", "North", "bob@example.com")),
        (2, _rep("R1", "Alice", "North A", "North", "alice@example.com")),
        (3, _rep("R1", "Alice", "North A", "North", "alice.li@example.com")),
    ],
    "accounts": [
        (
            1,
            dict(
                account_id=a,
                account_name=n,
                region=r,
                channel="direct",
                owner_rep_id=o,
                created_at=ts("2026-01-10 09:00:00"),
            ),
        )
        for a, n, r, o in [("A1", "Acme Ltd", "East", "R1"), ("A2", "Beta Co", "North", "R2")]
    ],
    "products": [(1, dict(product_id="P1", product_name="Widget", product_line="Hardware"))],
    "orders": [
        (1, _order("O1", "A1", "R1", "2026-07-10 10:00:00", "CNY", "1000")),
        (2, _order("O2", "A1", "R1", "2026-08-15 23:30:00", "USD", "100")),
        (2, _order("O3", "A1", "R1", "2026-08-16 09:00:00", "CNY", "500")),
        (3, _order("O4", "A2", "R2", "2026-09-05 10:00:00", "CNY", "300")),
    ],
    "order_lines": [
        (load, dict(order_id=o, line_no=1, product_id="P1", quantity=q, unit_price=p))
        for load, o, q, p in [
            (1, "O1", "10", "100"),
            (2, "O2", "1", "100"),
            (2, "O3", "5", "100"),
            (3, "O4", "3", "100"),
        ]
    ],
    "payments": [
        (
            3,
            dict(payment_id=p, order_id=o, paid_at=ts(f"{d} 10:00:00"), amount=a, currency="CNY"),
        )
        for p, o, d, a in [("PA1", "O1", "2026-08-20", "1000"), ("PA2", "O4", "2026-09-20", "300")]
    ],
    "opportunities": [
        (3, _opportunity("OP1", "A1", "R1", "won", "1000", "CNY", "2026-08-10")),
        (3, _opportunity("OP2", "A2", "R2", "won", "100", "USD", "2026-09-10")),
        (3, _opportunity("OP3", "A1", "R1", "lost", "500", "CNY", "2026-09-12")),
        (3, _opportunity("OP4", "A1", "R1", "proposal", "900", "CNY", None)),
    ],
    "fx_rates": [
        (1, dict(rate_date="2026-07-01", currency="USD", rate_to_reporting="7.0")),
        (2, dict(rate_date="2026-08-16", currency="USD", rate_to_reporting="7.2")),
    ],
    "activities": [
        (
            load,
            dict(
                activity_id=a,
                rep_id=r,
                account_id=acc,
                type=t,
                occurred_at=ts(f"{d} 10:00:00"),
            ),
        )
        for load, a, r, acc, t, d in [
            (1, "AC1", "R1", "A1", "visit", "2026-07-05"),
            (3, "AC2", "R1", "A1", "visit", "2026-08-20"),
            (3, "AC3", "R1", "A1", "quote", "2026-09-01"),
            (3, "AC4", "R2", "A2", "call", "2026-09-02"),
        ]
    ],
    "targets": [
        (1, _target("2026Q3", lv, s, m, v))
        for lv, s, m, v in [
            ("rep", "R1", "revenue", "2000"),
            ("rep", "R2", "revenue", "500"),
            ("team", "East A", "revenue", "2000"),
            ("team", "North A", "revenue", "600"),
            ("region", "East", "revenue", "2000"),
            ("region", "North", "revenue", "600"),
            ("company", "all", "revenue", "2600"),
            ("rep", "R1", "collections", "1000"),
            ("rep", "R1", "visits", "4"),
            ("company", "all", "bookings", "2000"),
        ]
    ]
    + [
        (1, _target(month, "rep", "R1", "bookings", value))
        for month, value in [("2026-07", "400"), ("2026-08", "600")]
    ],
    "capability_scores": [
        (
            3,
            dict(rep_id="R1", period="2026Q3", product_knowledge=80, selling_skill=90, teamwork=70),
        )
    ],
}


def _dbt(tmp: Path, db: Path, *args: str, vars_: dict | None = None, ok: bool = True):
    return run_dbt(
        args,
        db=db,
        tmp=tmp,
        as_of=AS_OF,
        load_id=3,
        vars=vars_,
        allowed=("success", "pass", "warn"),
        ok=ok,
    )


#: What the tests here read, built with everything upstream of it and tested (`dbt build`
#: with these selectors: the data tests of the models built run too, those that read only
#: models built: --indirect-selection cautious). The marts of other subjects
#: (funnel, receivables ...) are built on their own hand-made warehouses elsewhere
#: (test_dbt_project builds the whole project).
BUILT = (
    "+fct_sales_performance",
    "+fct_product_line_performance",
    "+fct_rep_scorecard",
    "+fct_targets",
    "+dim_sales_reps",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The warehouse after `dbt build` of the performance marts (BUILT); also the build's
    results (for the warned tests)."""
    tmp = tmp_path_factory.mktemp("perf")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        RAW,
        loads=LOADS,
        loaded_at=lambda load_id: dt.datetime.fromisoformat(f"{LOADS[load_id]}T23:00:00+08:00"),
        run_id="run",
        status="succeeded",
    )
    result = _dbt(tmp, db, "build", "--select", *BUILT, "--indirect-selection", "cautious")
    return db, list(result.result or [])


@pytest.fixture(scope="module")
def warehouse(built: tuple[Path, list]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(built[0]))
    con.execute("checkpoint")
    yield con
    con.close()


def _perf(con: duckdb.DuckDBPyConnection, period: str, level: str, scope: str, cols: str):
    rows = con.execute(
        f"select {cols} from marts.fct_sales_performance "
        "where period = ? and level = ? and scope_id = ?",
        [period, level, scope],
    ).fetchall()
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def test_rep_history_is_scd2_from_the_load_dates(warehouse: duckdb.DuckDBPyConnection) -> None:
    # R1: East A from the start (first seen in load 1), North A from load 2's business date
    # 08-16; load 3 changes only the email: no new span. R2 never moves.
    rows = warehouse.execute(
        """select rep_id, team, region, cast(valid_from as varchar), cast(valid_to as varchar),
                  is_current, first_load_id
           from intermediate.int_sales_rep_history order by rep_id, valid_from"""
    ).fetchall()
    assert rows == [
        ("R1", "East A", "East", "0001-01-01", "2026-08-16", False, 1),
        ("R1", "North A", "North", "2026-08-16", "9999-12-31", True, 2),
        ("R2", "North A", "North", "0001-01-01", "9999-12-31", True, 1),
    ]
    dim = warehouse.execute(
        "select team, cast(hierarchy_valid_from as varchar), email "
        "from marts.dim_sales_reps where rep_id = 'R1'"
    ).fetchall()
    assert dim == [("North A", "2026-08-16", "alice.li@example.com")]


def test_a_rep_who_moves_mid_quarter_counts_under_the_old_team_before_the_move(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    cols = "revenue, orders, units, new_customers, collections, visits, calls, quotes"
    # July: O1 1000 (10 units, A1's first order) and visit AC1, all under East A
    assert _perf(warehouse, "2026-07", "team", "East A", cols) == (
        Decimal("1000.00"), 1, Decimal("10"), 1, Decimal("0.00"), 1, 0, 0,
    )  # fmt: skip
    assert _perf(warehouse, "2026-07", "team", "North A", cols) is None
    # August: O2 on 08-15 (23:30 local) at the 08-15 rate 7.0 = 700 and PA1 (08-20, for the
    # July order O1: a collection counts for its order's team on the order date) 1000 under
    # East A; O3 on 08-16 500 and visit AC2 under North A
    assert _perf(warehouse, "2026-08", "team", "East A", cols) == (
        Decimal("700.00"), 1, Decimal("1"), 0, Decimal("1000.00"), 0, 0, 0,
    )  # fmt: skip
    assert _perf(warehouse, "2026-08", "team", "North A", cols) == (
        Decimal("500.00"), 1, Decimal("5"), 0, Decimal("0.00"), 1, 0, 0,
    )  # fmt: skip
    # Q3: East A 1000 + 700 = 1700 (11 units), collections 1000 (PA1, O1's); North A O3 500 +
    # O4 300 = 800 (8 units), collections 300 (PA2), A2's first order, visit AC2, call AC4,
    # quote AC3
    assert _perf(warehouse, "2026Q3", "team", "East A", cols) == (
        Decimal("1700.00"), 2, Decimal("11"), 1, Decimal("1000.00"), 1, 0, 0,
    )  # fmt: skip
    assert _perf(warehouse, "2026Q3", "team", "North A", cols) == (
        Decimal("800.00"), 2, Decimal("8"), 1, Decimal("300.00"), 1, 1, 1,
    )  # fmt: skip
    # product lines follow the same split (every line is product P1, Hardware, at list
    # price: line amounts equal the order totals)
    hardware = warehouse.execute(
        """select scope_id, revenue, units from marts.fct_product_line_performance
           where period = '2026Q3' and level = 'team' and product_line = 'Hardware'
           order by scope_id"""
    ).fetchall()
    assert hardware == [
        ("East A", Decimal("1700.00"), Decimal("11")),
        ("North A", Decimal("800.00"), Decimal("8")),
    ]
    # regions follow the same split
    assert _perf(warehouse, "2026Q3", "region", "East", "revenue")[0] == Decimal("1700.00")
    assert _perf(warehouse, "2026Q3", "region", "North", "revenue")[0] == Decimal("800.00")


def test_attainment_per_metric(warehouse: duckdb.DuckDBPyConnection) -> None:
    cols = """revenue, revenue_target, revenue_attainment, collections, collections_target,
              collections_attainment, visits, visits_target, visits_attainment,
              new_customers_target, new_customers_attainment"""
    # R1 Q3: revenue 1000 + 700 + 500 = 2200 of 2000 -> 1.1; collections 1000 of 1000 -> 1.0;
    # visits 2 of 4 -> 0.5; no new-customer target
    r1 = _perf(warehouse, "2026Q3", "rep", "R1", cols)
    assert r1[:2] == (Decimal("2200.00"), Decimal("2000.00"))
    assert r1[2] == pytest.approx(2200 / 2000)
    assert r1[3:5] == (Decimal("1000.00"), Decimal("1000.00"))
    assert r1[5] == pytest.approx(1.0)
    assert r1[6:8] == (2, Decimal("4.00"))
    assert r1[8] == pytest.approx(0.5)
    assert r1[9:] == (None, None)
    # company: 2200 + 300 = 2500 of 2600
    company = _perf(warehouse, "2026Q3", "company", "all", "revenue, revenue_attainment")
    assert company[0] == Decimal("2500.00")
    assert company[1] == pytest.approx(2500 / 2600)


def test_bookings_are_the_won_amounts_with_their_targets(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    cols = "won_amount, won_amount_target, won_amount_attainment"
    # R1: OP1 won 08-10 1000 CNY (OP3 lost, OP4 open add nothing); target 400 + 600 rolled up
    r1 = _perf(warehouse, "2026Q3", "rep", "R1", cols)
    assert r1[:2] == (Decimal("1000.00"), Decimal("1000.00"))
    assert r1[2] == pytest.approx(1.0)
    # by close date: August holds OP1, for the team R1 was in on 08-10 (East A)
    assert _perf(warehouse, "2026-08", "rep", "R1", cols) == (
        Decimal("1000.00"), Decimal("600.00"), pytest.approx(1000 / 600),
    )  # fmt: skip
    assert _perf(warehouse, "2026-08", "team", "East A", "won_amount") == (Decimal("1000.00"),)
    assert _perf(warehouse, "2026-07", "rep", "R1", cols) == (
        Decimal("0.00"), Decimal("400.00"), 0.0,
    )  # fmt: skip
    # R2: OP2 100 USD at the 09-10 rate 7.2 = 720, no target
    assert _perf(warehouse, "2026Q3", "rep", "R2", cols) == (Decimal("720.00"), None, None)
    assert _perf(warehouse, "2026Q3", "team", "North A", "won_amount") == (Decimal("720.00"),)
    # company: 1000 + 720 = 1720 of 2000; the year holds the same
    co = _perf(warehouse, "2026Q3", "company", "all", cols)
    assert co[:2] == (Decimal("1720.00"), Decimal("2000.00"))
    assert co[2] == pytest.approx(1720 / 2000)
    assert _perf(warehouse, "2026", "company", "all", "won_amount") == (Decimal("1720.00"),)
    # fct_targets reads the same actual for the metric bookings
    targets = warehouse.execute(
        """select level, scope_id, target_value, target_source, actual
           from marts.fct_targets
           where period = '2026Q3' and metric = 'bookings' order by level"""
    ).fetchall()
    assert targets == [
        ("company", "all", Decimal("2000.00"), "explicit", Decimal("1720")),
        ("rep", "R1", Decimal("1000.00"), "rolled_up", Decimal("1000")),
    ]


def test_targets_add_up_is_a_warning_with_the_hierarchy_of_the_period_start(
    built: tuple[Path, list], warehouse: duckdb.DuckDBPyConnection
) -> None:
    # On 07-01 East A = {R1} (2000 = 2000), North A = {R2} (600 != 500); East = {East A},
    # North = {North A}; company = East 2000 + North 600 = 2600
    rows = warehouse.execute(
        """select level, scope_id, child_targets, child_target_sum, add_up_status
           from marts.fct_targets
           where period = '2026Q3' and metric = 'revenue' and level != 'rep'
           order by level, scope_id"""
    ).fetchall()
    assert rows == [
        ("company", "all", 2, Decimal("2600.00"), "adds_up"),
        ("region", "East", 1, Decimal("2000.00"), "adds_up"),
        ("region", "North", 1, Decimal("600.00"), "adds_up"),
        ("team", "East A", 1, Decimal("2000.00"), "adds_up"),
        ("team", "North A", 1, Decimal("500.00"), "differs"),
    ]
    # the check warns and the build still succeeds: North A differs in 2026Q3 and in the year
    # 2026 rolled up from it (two rows)
    add_up = [r for r in built[1] if r.node.name.startswith("targets_add_up_fct_targets")]
    assert [(str(r.status), r.failures) for r in add_up] == [("warn", 2)]
    # two quarters of history are not enough for a trend: nothing is judged
    judged = warehouse.execute(
        "select count(*) from marts.fct_targets where is_unreasonable is not null"
    ).fetchall()
    assert judged == [(0,)]


def test_scorecard(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        """select rep_id, team, result_score, process_score, capability_score, scorecard_score,
                  rank_in_team, rank_in_company
           from marts.fct_rep_scorecard where period = '2026Q3' order by rep_id"""
    ).fetchall()
    # Points = least(attainment, 1.5) * 100 (100% = 100 points).
    # R1: revenue 1.1 -> 110, bookings 1.0 -> 100, collections 1.0 -> 100: result
    # (110 + 100 + 100) / 3 = 103.33; visits 0.5 -> 50; capability (80 + 90 + 70) / 3 = 80;
    # 0.65 * 103.333.. + 0.25 * 50 + 0.10 * 80 = 67.166.. + 12.5 + 8 = 87.67.
    # Team on 09-30: North A.
    # R2: revenue 300 / 500 = 0.6 -> 60; no process target, no ratings: 0.65 * 60 / 0.65 = 60.
    assert rows == [
        (
            "R1",
            "North A",
            Decimal("103.33"),
            Decimal("50.00"),
            Decimal("80.00"),
            Decimal("87.67"),
            1,
            1,
        ),
        ("R2", "North A", Decimal("60.00"), None, None, Decimal("60.00"), 2, 2),
    ]


def test_rebuilding_a_past_month_from_the_load_history(
    built: tuple[Path, list], tmp_path: Path
) -> None:
    """As of 2026-08-31 (loads 1 and 2) August splits between the teams exactly as today."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built[0].read_bytes())
    _dbt(
        tmp_path,
        copy,
        "run",
        "--select",
        "+fct_sales_performance",
        vars_={"as_of_date": "2026-08-31", "history_as_of_date": "2026-08-31"},
    )
    con = duckdb.connect(str(copy))
    try:
        august = con.execute(
            """select scope_id, revenue from marts.fct_sales_performance
               where period = '2026-08' and level = 'team' order by scope_id"""
        ).fetchall()
        # PA1 (08-20) only arrived with load 3: no collections yet as of 08-31
        (collections,) = con.execute(
            """select collections from marts.fct_sales_performance
               where period = '2026-08' and level = 'company'"""
        ).fetchall()
    finally:
        con.close()
    assert august == [("East A", Decimal("700.00")), ("North A", Decimal("500.00"))]
    assert collections == (Decimal("0.00"),)


def test_scorecard_weights_must_sum_to_one(built: tuple[Path, list], tmp_path: Path) -> None:
    result = _dbt(
        tmp_path,
        built[0],
        "compile",
        "--select",
        "fct_rep_scorecard",
        vars_={"scorecard_weights": {"result": 0.7, "process": 0.25, "capability": 0.10}},
        ok=False,
    )
    assert not result.success
    assert "scorecard_weights must sum to 1" in str(result.exception)
