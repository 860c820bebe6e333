"""Funnel, pipeline, channel and forecast marts, built for real on a small hand-made warehouse.

dbt's unit tests (models/marts/funnel/_funnel__models.yml) check each formula on mocked
inputs; here the real staging and intermediate models run on raw versions from two loads,
and every expected number is worked out by hand below. A second part checks the pipeline
and time-in-stage figures on demo data against a plain-Python computation from the files.

Business timezone Asia/Shanghai, reporting currency CNY, as_of_date 2026-09-30.
Loads: 1 on business date 2026-09-28, 2 on 2026-09-30 (load 3 on 2026-10-01 in one test).

Reps: R1 team East A (load 1), East B from load 2; region East. R2 team North A, North.
Accounts: A1 direct (R1), A2 distribution (R2). FX: USD 7.0 from 2026-01-01.
Opportunities (times 10:00 local):
  OP1 R1 A1 created 06-01, won 07-08 (37 days), 1000, lead L1 (web). History qualified 06-01,
      discovery 06-04 (3 days), proposal 06-14 (10), won 07-08 (24).
  OP2 R2 A2 created 07-01, lost 08-20 'price', 500; lead L2 (referral) names it. History
      qualified 07-01, discovery 07-06 (5), lost 08-20 (45).
  OP3 R1 A1 created 08-01, expected 2026-12-15. Load 1: proposal 2000; load 2: negotiation
      3000. History qualified 08-01, discovery 08-11 (10), proposal 08-21 (10), negotiation
      09-30 (40; loaded with load 2).
  OP4 R2 A2 created 09-10, discovery, 100 USD = 700.00, expected 2026-09-29. History qualified
      09-10, discovery 09-15 (5).
  OP5 R1 A1 created 09-29, qualified, 800, expected 2027-01-20; first loaded by load 2.
Activities on OP1: 06-02, 06-20, 07-08 09:00 (before the close) and 07-09 (after): 3 touches.
Orders: O1 R1 OP1 07-10 1000 channel ecommerce; O2 R2 09-05 600, cancelled by load 2;
  O3 R1 09-29 400 (load 2; account A1: direct).
Leads: L1 web R1 05-20 (converted, OP1); L2 referral R2 06-25 (converted, OP2); L3 web
  06-10 without an owner (new).
Scoped rows are checked for rep R1, region East and team North A (R2's team never changes),
and for team East A on leads (R1's team on the lead's creation date).
Targets (revenue): 2026Q3 company 5000; 2026Q4 company 10000, rep R1 4000.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support import oracle
from tests.support.dbt_warehouse import (
    add_load,
    add_version,
    build_warehouse,
    hash_by_load_and_row,
    run_dbt,
    ts,
)

AS_OF = "2026-09-30"
LOAD_DATES = {1: "2026-09-28", 2: "2026-09-30", 3: "2026-10-01", 4: "2026-10-01"}
MARTS = (
    "+fct_funnel_conversion +fct_time_in_stage +fct_loss_reasons +fct_sales_velocity +fct_pipeline "
    "+fct_pipeline_snapshots +fct_sales_channels "
    "+fct_opportunity_stage_visits +fct_lead_sources"
)


def _opportunity(oid, owner, account, created, stage, amount, expected, **extra) -> dict:
    return dict(
        opportunity_id=oid,
        account_id=account,
        owner_rep_id=owner,
        name=f"deal {oid}",
        created_at=ts(f"{created} 10:00:00"),
        stage=stage,
        amount=amount,
        currency=extra.pop("currency", "CNY"),
        expected_close_date=expected,
        last_modified_at=ts(f"{extra.pop('modified', created)} 10:00:00"),
        **extra,
    )


def _order(oid, rep, account, day, status, amount, **extra) -> dict:
    return dict(
        order_id=oid,
        account_id=account,
        rep_id=rep,
        ordered_at=ts(f"{day} 10:00:00"),
        status=status,
        currency="CNY",
        total_amount=amount,
        payment_terms_days=30,
        **extra,
    )


RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [
        (1, dict(rep_id="R1", rep_name="Alice", team="East A", region="East")),
        (2, dict(rep_id="R1", rep_name="Alice", team="East B", region="East")),
        (1, dict(rep_id="R2", rep_name="Bob", team="North A", region="North")),
    ],
    "accounts": [
        (
            1,
            dict(
                account_id=a,
                account_name=f"Account {a}",
                region="East",
                channel=channel,
                owner_rep_id=rep,
                created_at=ts("2026-01-10 09:00:00"),
            ),
        )
        for a, channel, rep in (("A1", "direct", "R1"), ("A2", "distribution", "R2"))
    ],
    "leads": [
        (
            1,
            dict(
                lead_id="L1",
                created_at=ts("2026-05-20 10:00:00"),
                source="web",
                owner_rep_id="R1",
                company_name="Account A1",
                status="converted",
                opportunity_id="OP1",
            ),
        ),
        (
            1,
            dict(
                lead_id="L2",
                created_at=ts("2026-06-25 10:00:00"),
                source="referral",
                owner_rep_id="R2",
                company_name="Account A2",
                status="converted",
                opportunity_id="OP2",
            ),
        ),
        (
            1,
            dict(
                lead_id="L3",
                created_at=ts("2026-06-10 10:00:00"),
                source="web",
                company_name="Prospect Ltd",
                status="new",
            ),
        ),
    ],
    "opportunities": [
        (
            1,
            _opportunity(
                "OP1",
                "R1",
                "A1",
                "2026-06-01",
                "won",
                "1000",
                "2026-07-10",
                closed_at=ts("2026-07-08 10:00:00"),
                modified="2026-07-08",
                lead_id="L1",
            ),
        ),
        (
            1,
            _opportunity(
                "OP2",
                "R2",
                "A2",
                "2026-07-01",
                "lost",
                "500",
                "2026-09-01",
                closed_at=ts("2026-08-20 10:00:00"),
                modified="2026-08-20",
                lost_reason="price",
            ),
        ),
        (1, _opportunity("OP3", "R1", "A1", "2026-08-01", "proposal", "2000", "2026-12-15")),
        (
            2,
            _opportunity(
                "OP3",
                "R1",
                "A1",
                "2026-08-01",
                "negotiation",
                "3000",
                "2026-12-15",
                modified="2026-09-30",
            ),
        ),
        (
            1,
            _opportunity(
                "OP4", "R2", "A2", "2026-09-10", "discovery", "100", "2026-09-29", currency="USD"
            ),
        ),
        (2, _opportunity("OP5", "R1", "A1", "2026-09-29", "qualified", "800", "2027-01-20")),
    ],
    "opportunity_stage_history": [
        (load, dict(opportunity_id=o, stage=s, entered_at=ts(f"{d} 10:00:00")))
        for load, o, s, d in [
            (1, "OP1", "qualified", "2026-06-01"),
            (1, "OP1", "discovery", "2026-06-04"),
            (1, "OP1", "proposal", "2026-06-14"),
            (1, "OP1", "won", "2026-07-08"),
            # a CRM writes a history row for every amount or close-date edit: these repeat the
            # stage the deal is in and are no new visit (OP1 won, OP2 qualified, OP3 discovery)
            (1, "OP1", "won", "2026-07-09"),
            (1, "OP2", "qualified", "2026-07-01"),
            (1, "OP2", "qualified", "2026-07-03"),
            (1, "OP2", "discovery", "2026-07-06"),
            (1, "OP2", "lost", "2026-08-20"),
            (1, "OP3", "qualified", "2026-08-01"),
            (1, "OP3", "discovery", "2026-08-11"),
            (1, "OP3", "discovery", "2026-08-12"),
            (1, "OP3", "discovery", "2026-08-15"),
            (1, "OP3", "proposal", "2026-08-21"),
            (2, "OP3", "negotiation", "2026-09-30"),
            (1, "OP4", "qualified", "2026-09-10"),
            (1, "OP4", "discovery", "2026-09-15"),
        ]
    ],
    "activities": [
        (1, dict(activity_id=a, rep_id="R1", opportunity_id="OP1", type="call", occurred_at=at))
        for a, at in [
            ("AC1", ts("2026-06-02 10:00:00")),
            ("AC2", ts("2026-06-20 10:00:00")),
            ("AC3", ts("2026-07-08 09:00:00")),
            ("AC4", ts("2026-07-09 10:00:00")),
        ]
    ],
    "fx_rates": [(1, dict(rate_date="2026-01-01", currency="USD", rate_to_reporting="7.0"))],
    "orders": [
        (
            1,
            _order(
                "O1",
                "R1",
                "A1",
                "2026-07-10",
                "delivered",
                "1000",
                opportunity_id="OP1",
                channel="ecommerce",
            ),
        ),
        (1, _order("O2", "R2", "A2", "2026-09-05", "received", "600")),
        (2, _order("O2", "R2", "A2", "2026-09-05", "cancelled", "600")),
        (2, _order("O3", "R1", "A1", "2026-09-29", "received", "400")),
    ],
    "targets": [
        (1, dict(period=p, level=lv, scope_id=s, metric="revenue", target_value=v))
        for p, lv, s, v in [
            ("2026Q3", "company", "all", "5000"),
            ("2026Q4", "company", "all", "10000"),
            ("2026Q4", "rep", "R1", "4000"),
        ]
    ],
}


LOADED_AT = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _add_version(
    con: duckdb.DuckDBPyConnection, table: str, load_id: int, row: dict, n: int
) -> None:
    add_version(con, table, load_id, row, n, loaded_at=LOADED_AT, row_hash=hash_by_load_and_row)


def _add_load(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    add_load(con, load_id, LOAD_DATES[load_id])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("funnel")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        RAW,
        loads={load_id: LOAD_DATES[load_id] for load_id in (1, 2)},
        loaded_at=LOADED_AT,
        row_hash=hash_by_load_and_row,
    )
    # cautious: tests of the other marts that also read an unselected model are left out
    run_dbt(
        ["build", "--select", MARTS, "--indirect-selection", "cautious"],
        db=db,
        tmp=tmp,
        as_of=AS_OF,
        load_id=2,
    )
    con = duckdb.connect(str(db))
    con.execute("checkpoint")  # fold the WAL in, so copies of the file hold everything
    con.close()
    return db


@pytest.fixture(scope="module")
def wh(built: Path):
    con = duckdb.connect(str(built))
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_stage_visits_measure_each_stay(wh) -> None:
    rows = _rows(
        wh,
        """select opportunity_id, visit_number, stage, next_stage, days_in_stage, is_last_visit,
                  owner_rep_id, team
           from marts.fct_opportunity_stage_visits order by opportunity_id, visit_number""",
    )
    # team at the attribution date: OP1 was won on 07-08, while R1 was in East A; OP3 is open,
    # so R1's team on as_of_date 09-30 (East B from load 2). The edit rows repeating a stage
    # (OP1 won 07-09, OP2 qualified 07-03, OP3 discovery 08-12 and 08-15) continue the visit:
    # OP2 is in qualified from 07-01 to 07-06 (5 days), OP3 in discovery from 08-11 to 08-21.
    assert rows == [
        ("OP1", 1, "qualified", "discovery", 3.0, False, "R1", "East A"),
        ("OP1", 2, "discovery", "proposal", 10.0, False, "R1", "East A"),
        ("OP1", 3, "proposal", "won", 24.0, False, "R1", "East A"),
        ("OP1", 4, "won", None, None, True, "R1", "East A"),
        ("OP2", 1, "qualified", "discovery", 5.0, False, "R2", "North A"),
        ("OP2", 2, "discovery", "lost", 45.0, False, "R2", "North A"),
        ("OP2", 3, "lost", None, None, True, "R2", "North A"),
        ("OP3", 1, "qualified", "discovery", 10.0, False, "R1", "East B"),
        ("OP3", 2, "discovery", "proposal", 10.0, False, "R1", "East B"),
        ("OP3", 3, "proposal", "negotiation", 40.0, False, "R1", "East B"),
        ("OP3", 4, "negotiation", None, None, True, "R1", "East B"),
        ("OP4", 1, "qualified", "discovery", 5.0, False, "R2", "North A"),
        ("OP4", 2, "discovery", None, None, True, "R2", "North A"),
    ]


def test_time_in_stage_median_and_p75(wh) -> None:
    rows = _rows(
        wh,
        """select period, stage, visits, median_days_in_stage, p75_days_in_stage
           from marts.fct_time_in_stage
           where period_type = 'quarter' and level = 'company' order by period, stage""",
    )
    # Q2 exits: OP1 qualified (3), discovery (10). Q3 exits: qualified OP2 5, OP3 10, OP4 5
    # -> sorted 5, 5, 10: median 5, p75 at 0.75 x 2 = 1.5 -> 5 + 0.5 x 5 = 7.5; discovery OP2
    # 45, OP3 10 -> median 27.5, p75 10 + 0.75 x 35 = 36.25; proposal OP1 24, OP3 40 -> 32, 36.
    assert rows == [
        ("2026Q2", "discovery", 1, 10.0, 10.0),
        ("2026Q2", "qualified", 1, 3.0, 3.0),
        ("2026Q3", "discovery", 2, 27.5, 36.25),
        ("2026Q3", "proposal", 2, 32.0, 36.0),
        ("2026Q3", "qualified", 3, 5.0, 7.5),
    ]
    # R2 alone in Q3: qualified OP2 5, OP4 5; discovery OP2 45
    r2 = _rows(
        wh,
        """select stage, visits, median_days_in_stage from marts.fct_time_in_stage
           where period = '2026Q3' and level = 'rep' and scope_id = 'R2' order by stage""",
    )
    assert r2 == [("discovery", 1, 45.0), ("qualified", 2, 5.0)]


def _visits_from_history(history: list[tuple[str, str, str]]) -> list[tuple[str, str, float]]:
    """(opportunity, stage, days) of each completed visit: consecutive entries of one stage are
    one stay, from the first of them to the next entry of another stage."""
    out = []
    by_opportunity: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for opportunity, stage, day in history:
        by_opportunity[opportunity].append((dt.datetime.fromisoformat(f"{day}T10:00:00"), stage))
    for opportunity, entries in by_opportunity.items():
        entries.sort()
        starts = [e for i, e in enumerate(entries) if i == 0 or entries[i - 1][1] != e[1]]
        for (entered, stage), (left, _) in zip(starts, starts[1:], strict=False):
            out.append((opportunity, stage, (left - entered).total_seconds() / 86400))
    return out


def test_time_in_stage_counts_the_visits_the_stage_visits_mart_lists(wh) -> None:
    history = [
        (h["opportunity_id"], h["stage"], h["entered_at"][:10])
        for _, h in RAW["opportunity_stage_history"]
    ]
    expected = sorted(_visits_from_history(history))
    # 9 stays; counting every history row as a visit would give 13
    assert len(expected) == 9
    visits = _rows(
        wh,
        """select opportunity_id, stage, days_in_stage from marts.fct_opportunity_stage_visits
           where not is_last_visit order by all""",
    )
    assert visits == expected
    # fct_time_in_stage counts the same visits: per stage, its company rows of the year add up
    # to the completed visits of the stage
    per_stage = _rows(
        wh,
        """select stage, sum(visits) from marts.fct_time_in_stage
           where period_type = 'year' and level = 'company' group by stage order by stage""",
    )
    counted: dict[str, int] = defaultdict(int)
    for _, stage, _ in expected:
        counted[stage] += 1
    assert per_stage == sorted(counted.items())


def test_loss_reasons_and_velocity(wh) -> None:
    assert _rows(
        wh,
        """select lost_reason, lost, lost_amount, share_of_lost from marts.fct_loss_reasons
           where period = '2026Q3' and level = 'company'""",
    ) == [("price", 1, Decimal("500.00"), 1.0)]
    # Q3: won OP1 (1000, 37 days), lost OP2 -> win rate 0.5; open at 09-30: OP3, OP4, OP5.
    # velocity 3 x 0.5 x 1000 / 37 = 40.5405... -> 40.54; OP1 had 3 activities by its close.
    (row,) = _rows(
        wh,
        """select open_opportunities, win_rate, avg_deal_size, avg_sales_cycle_days,
                  sales_velocity, touches_before_close
           from marts.fct_sales_velocity
           where period = '2026Q3' and level = 'company'""",
    )
    assert row == (3, 0.5, Decimal("1000.00"), 37.0, Decimal("40.54"), 3.0)


def test_pipeline_by_expected_close_quarter_with_coverage(wh) -> None:
    rows = _rows(
        wh,
        """select period, level, scope_id, open_opportunities, open_pipeline, weighted_pipeline,
                  revenue_target, revenue_booked, remaining_target, pipeline_coverage
           from marts.fct_pipeline
           where period_type = 'quarter' and level in ('company', 'rep', 'team')
           order by period, level, scope_id""",
    )
    d = Decimal
    assert rows == [
        # OP4 100 USD x 7.0 = 700.00, discovery 0.2 -> 140.00. Booked in Q3: O1 1000 + O3 400
        # (O2 cancelled) -> 5000 - 1400 = 3600 remaining; 700 / 3600
        (
            "2026Q3",
            "company",
            "all",
            1,
            d("700.00"),
            d("140.00"),
            d("5000.00"),
            d("1400.00"),
            d("3600.00"),
            pytest.approx(700 / 3600),
        ),
        ("2026Q3", "rep", "R2", 1, d("700.00"), d("140.00"), None, d("0.00"), None, None),
        ("2026Q3", "team", "North A", 1, d("700.00"), d("140.00"), None, d("0.00"), None, None),
        # OP3 negotiation 3000 x 0.7 = 2100.00; company target 10000 -> 0.3; R1 4000 -> 0.75
        (
            "2026Q4",
            "company",
            "all",
            1,
            d("3000.00"),
            d("2100.00"),
            d("10000.00"),
            d("0.00"),
            d("10000.00"),
            0.3,
        ),
        (
            "2026Q4",
            "rep",
            "R1",
            1,
            d("3000.00"),
            d("2100.00"),
            d("4000.00"),
            d("0.00"),
            d("4000.00"),
            0.75,
        ),
        ("2026Q4", "team", "East B", 1, d("3000.00"), d("2100.00"), None, d("0.00"), None, None),
        # OP5 qualified 800 x 0.1 = 80.00, no target
        ("2027Q1", "company", "all", 1, d("800.00"), d("80.00"), None, d("0.00"), None, None),
        ("2027Q1", "rep", "R1", 1, d("800.00"), d("80.00"), None, d("0.00"), None, None),
        ("2027Q1", "team", "East B", 1, d("800.00"), d("80.00"), None, d("0.00"), None, None),
    ]


SNAPSHOT_SQL = """select cast(snapshot_date as varchar), level, scope_id, open_opportunities,
       open_pipeline, weighted_pipeline, current_quarter, current_quarter_open_pipeline,
       current_quarter_revenue_booked, current_quarter_coverage, next_quarter,
       next_quarter_open_pipeline, next_quarter_weighted_pipeline, next_quarter_coverage
  from marts.fct_pipeline_snapshots"""


def _company_snapshots(con) -> list[tuple]:
    return _rows(con, SNAPSHOT_SQL + " where level = 'company' order by 1")


def test_snapshots_reproduce_each_day_as_loaded(wh) -> None:
    d = Decimal
    # 09-28 and 09-29 (load 1): OP3 proposal 2000 (weighted 800.00, Q4) and OP4 700.00 (140.00,
    # Q3); booked in Q3 by then O1 1000 + O2 600 (not yet cancelled) = 1600 -> 700 / 3400;
    # next quarter 2000 / 10000 = 0.2. 09-30 (load 2): OP3 3000 (2100.00), OP4, OP5 800 (80.00);
    # booked O1 + O3 = 1400 -> 700 / 3600; next 3000 / 10000 = 0.3.
    load1 = (
        2,
        d("2700.00"),
        d("940.00"),
        "2026Q3",
        d("700.00"),
        d("1600.00"),
        pytest.approx(700 / 3400),
        "2026Q4",
        d("2000.00"),
        d("800.00"),
        0.2,
    )
    assert _company_snapshots(wh) == [
        ("2026-09-28", "company", "all", *load1),
        ("2026-09-29", "company", "all", *load1),
        (
            "2026-09-30",
            "company",
            "all",
            3,
            d("4500.00"),
            d("2320.00"),
            "2026Q3",
            d("700.00"),
            d("1400.00"),
            pytest.approx(700 / 3600),
            "2026Q4",
            d("3000.00"),
            d("2100.00"),
            0.3,
        ),
    ]
    # R1's team as it was: East A while load 1 was current, East B from load 2
    teams = _rows(
        wh,
        """select cast(snapshot_date as varchar), scope_id, open_pipeline
           from marts.fct_pipeline_snapshots where level = 'team' and scope_id like 'East%'
           order by 1""",
    )
    assert teams == [
        ("2026-09-28", "East A", d("2000.00")),
        ("2026-09-29", "East A", d("2000.00")),
        ("2026-09-30", "East B", d("3800.00")),
    ]


def test_snapshots_append_new_days_and_full_refresh_rebuilds_them(
    built: Path, tmp_path: Path
) -> None:
    """Load 3 (2026-10-01) wins OP4: the incremental run adds 10-01 and keeps the past days."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built.read_bytes())
    con = duckdb.connect(str(copy))
    before = _rows(con, SNAPSHOT_SQL + " order by all")
    _add_load(con, 3)
    won = dict(RAW["opportunities"][4][1], stage="won", closed_at=ts("2026-10-01 10:00:00"))
    _add_version(con, "opportunities", 3, won, 99)
    con.close()

    def run(*extra: str) -> list[tuple]:
        run_dbt(
            ["run", "--select", "int_pipeline_snapshots fct_pipeline_snapshots", *extra],
            db=copy,
            tmp=tmp_path,
            as_of="2026-10-01",
            load_id=3,
        )
        c = duckdb.connect(str(copy))
        rows = _rows(c, SNAPSHOT_SQL + " order by all")
        c.close()
        return rows

    appended = run()
    assert [r for r in appended if r[0] < "2026-10-01"] == before
    d = Decimal
    # 10-01: OP3 (3000 / 2100.00, now the current quarter 2026Q4) and OP5 (800 / 80.00, the
    # next quarter 2027Q1); nothing booked in Q4 yet: 3000 / 10000; no 2027Q1 target.
    (company,) = [r for r in appended if r[0] == "2026-10-01" and r[1] == "company"]
    assert company == (
        "2026-10-01",
        "company",
        "all",
        2,
        d("3800.00"),
        d("2180.00"),
        "2026Q4",
        d("3000.00"),
        d("0.00"),
        0.3,
        "2027Q1",
        d("800.00"),
        d("80.00"),
        None,
    )
    assert run() == appended  # nothing new: the last day is computed again, unchanged
    assert run("--full-refresh") == appended

    # a second load on the same business date (load 4, 10-01) raises OP5 to 900: the last
    # day is computed again (open 3000 + 900), the days before stay as they were
    con = duckdb.connect(str(copy))
    _add_load(con, 4)
    raised = dict(RAW["opportunities"][5][1], amount="900")
    _add_version(con, "opportunities", 4, raised, 99)
    con.close()
    corrected = run()
    assert [r for r in corrected if r[0] < "2026-10-01"] == before
    (company,) = [r for r in corrected if r[0] == "2026-10-01" and r[1] == "company"]
    assert company[3:6] == (2, d("3900.00"), d("2190.00"))
    assert run("--full-refresh") == corrected


def test_upgrade_keeps_the_history_the_snapshot_mart_stored(built: Path, tmp_path: Path) -> None:
    """The first night after the history moved to int_pipeline_snapshots: the warehouse holds
    the table marts.fct_pipeline_snapshots of the release before (its own incremental store)
    and no int_pipeline_snapshots. Its days are kept as they were reported (09-28 here says
    what no rebuild from the versions would), its last day (09-30) is computed again, the new
    day added; the mart then is a view of the stored history."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built.read_bytes())
    con = duckdb.connect(str(copy))
    before = _rows(con, SNAPSHOT_SQL + " order by all")
    con.execute("drop view marts.fct_pipeline_snapshots")
    con.execute(
        "create table marts.fct_pipeline_snapshots as"
        " select * from intermediate.int_pipeline_snapshots"
    )
    con.execute("drop table intermediate.int_pipeline_snapshots")
    con.execute(
        """update marts.fct_pipeline_snapshots set open_pipeline = 12345.67
           where level = 'company' and snapshot_date in ('2026-09-28', '2026-09-30')"""
    )
    _add_load(con, 3)
    won = dict(RAW["opportunities"][4][1], stage="won", closed_at=ts("2026-10-01 10:00:00"))
    _add_version(con, "opportunities", 3, won, 99)
    con.close()
    run_dbt(
        ["run", "--select", "int_pipeline_snapshots fct_pipeline_snapshots"],
        db=copy,
        tmp=tmp_path,
        as_of="2026-10-01",
        load_id=3,
    )
    con = duckdb.connect(str(copy))
    kinds = dict(
        con.execute(
            """select table_schema, table_type from information_schema.tables
               where table_name in ('int_pipeline_snapshots', 'fct_pipeline_snapshots')"""
        ).fetchall()
    )
    upgraded = _rows(con, SNAPSHOT_SQL + " order by all")
    con.close()
    assert kinds == {"intermediate": "BASE TABLE", "marts": "VIEW"}
    (kept,) = [r for r in upgraded if r[0] == "2026-09-28" and r[1] == "company"]
    assert kept[4] == Decimal("12345.67")  # as reported, not rebuilt
    (was,) = [r for r in before if r[0] == "2026-09-28" and r[1] == "company"]
    assert [r for r in upgraded if r != kept] == [
        r for r in before if r != was and r[0] < "2026-10-01"
    ] + [r for r in upgraded if r[0] == "2026-10-01"]
    assert [r for r in upgraded if r[0] == "2026-10-01" and r[1] == "company"]


def test_sales_channels_add_up_to_the_company(wh) -> None:
    rows = _rows(
        wh,
        """select channel_type, channel, leads, opportunities_created, won, won_amount, orders,
                  revenue
           from marts.fct_sales_channels where period = '2026Q3' and level = 'company'
           order by channel_type, channel""",
    )
    d = Decimal
    assert rows == [
        # OP3, OP4, OP5 have no lead; O3 has no opportunity
        ("lead_source", "(none)", 0, 3, 0, d("0.00"), 1, d("400.00")),
        # L2 (created in June) names OP2
        ("lead_source", "referral", 0, 1, 0, d("0.00"), 0, d("0.00")),
        # OP1 from L1 won 07-08; its order O1
        ("lead_source", "web", 0, 0, 1, d("1000.00"), 1, d("1000.00")),
        # A1: OP3, OP5 created, OP1 won, O3 without a channel of its own
        ("sales_channel", "direct", None, 2, 1, d("1000.00"), 1, d("400.00")),
        ("sales_channel", "distribution", None, 2, 0, d("0.00"), 0, d("0.00")),
        ("sales_channel", "ecommerce", None, 0, 0, d("0.00"), 1, d("1000.00")),
    ]


# --- scopes: funnel, lead sources and channels per region / team / rep ---------------


def test_funnel_per_scope(wh) -> None:
    """Q3 cohort: OP2 (R2, reached discovery), OP3 (R1, negotiation), OP4 (R2, discovery),
    OP5 (R1, qualified)."""
    sql = """select stage_from, reached_from, reached_to, conversion_rate
               from marts.fct_funnel_conversion
               where period = '2026Q3' and level = ? and scope_id = ? order by stage_order"""
    # company: qualified 4, discovery 3, proposal 1, negotiation 1, won 0
    assert _rows(wh, sql, "company", "all") == [
        ("qualified", 4, 3, 0.75),
        ("discovery", 3, 1, pytest.approx(1 / 3)),
        ("proposal", 1, 1, 1.0),
        ("negotiation", 1, 0, 0.0),
    ]
    # R1 (and its region East): OP3 and OP5 -> qualified 2, discovery 1, proposal 1, nego 1
    r1 = [
        ("qualified", 2, 1, 0.5),
        ("discovery", 1, 1, 1.0),
        ("proposal", 1, 1, 1.0),
        ("negotiation", 1, 0, 0.0),
    ]
    assert _rows(wh, sql, "rep", "R1") == r1
    assert _rows(wh, sql, "region", "East") == r1
    # North A (R2): OP2 and OP4 both reached discovery, neither went further
    assert _rows(wh, sql, "team", "North A") == [
        ("qualified", 2, 2, 1.0),
        ("discovery", 2, 0, 0.0),
        ("proposal", 0, 0, None),
        ("negotiation", 0, 0, None),
    ]
    # a scope without a cohort in the period has no rows; the company has every period
    assert _rows(wh, sql.replace("2026Q3", "2026Q2"), "team", "North A") == []
    (periods,) = _rows(
        wh,
        """select count(distinct period) from marts.fct_funnel_conversion
           where level = 'company' and period_type = 'month'""",
    )
    assert periods == (5,)  # spine 2026-05 .. 2026-09


def test_lead_sources_per_scope(wh) -> None:
    """Q2: L1 web R1 (team East A on 05-20, converted), L2 referral R2 (converted), L3 web
    without an owner (company only)."""
    sql = """select source, leads, converted, lead_conversion_rate from marts.fct_lead_sources
             where period = '2026Q2' and level = ? and scope_id = ? order by source"""
    assert _rows(wh, sql, "company", "all") == [("referral", 1, 1, 1.0), ("web", 2, 1, 0.5)]
    assert _rows(wh, sql, "team", "East A") == [("web", 1, 1, 1.0)]
    assert _rows(wh, sql, "region", "East") == [("web", 1, 1, 1.0)]
    assert _rows(wh, sql, "rep", "R1") == [("web", 1, 1, 1.0)]
    assert _rows(wh, sql, "team", "North A") == [("referral", 1, 1, 1.0)]
    # R1 moved to East B on 09-30, after both of its leads: East B has none
    (east_b,) = _rows(wh, "select count(*) from marts.fct_lead_sources where scope_id = 'East B'")
    assert east_b == (0,)


def test_sales_channels_per_scope(wh) -> None:
    sql = """select channel_type, channel, leads, opportunities_created, won, won_amount, orders,
                    revenue
             from marts.fct_sales_channels
             where period = '2026Q3' and level = ? and scope_id = ?
             order by channel_type, channel"""
    d = Decimal
    r1 = [
        # OP3, OP5 created without a lead; O3 (400) without an opportunity
        ("lead_source", "(none)", 0, 2, 0, d("0.00"), 1, d("400.00")),
        # OP1 (from L1) won 07-08 for 1000, its order O1
        ("lead_source", "web", 0, 0, 1, d("1000.00"), 1, d("1000.00")),
        # account A1: OP3, OP5 created, OP1 won, O3; O1 carries its own channel
        ("sales_channel", "direct", None, 2, 1, d("1000.00"), 1, d("400.00")),
        ("sales_channel", "ecommerce", None, 0, 0, d("0.00"), 1, d("1000.00")),
    ]
    assert _rows(wh, sql, "rep", "R1") == r1
    assert _rows(wh, sql, "region", "East") == r1
    # R2: OP2 (lead L2, referral) and OP4 (no lead) created on A2; O2 was cancelled
    assert _rows(wh, sql, "team", "North A") == [
        ("lead_source", "(none)", 0, 1, 0, d("0.00"), 0, d("0.00")),
        ("lead_source", "referral", 0, 1, 0, d("0.00"), 0, d("0.00")),
        ("sales_channel", "distribution", None, 2, 0, d("0.00"), 0, d("0.00")),
    ]


# --- demo data against a plain-Python oracle -------------------------------------------------

DEMO_AS_OF = date(2026, 9, 30)
OPEN_STAGES = ("qualified", "discovery", "proposal", "negotiation")


@pytest.fixture(scope="module")
def demo_night(demo):
    """The shared demo night (tests/conftest.py): its drop and its warehouse."""
    assert demo["summary"]["status"] == "success", demo["summary"].get("error")
    con = duckdb.connect(str(demo["home"] / "warehouse.duckdb"), read_only=True)
    yield demo["drop"], con
    con.close()


def _cent(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _oracle_pipeline(drop: oracle.Drop) -> dict[str, tuple[int, Decimal, Decimal]]:
    """Open deals by quarter of expected close: count, amount (creation-date rate), weighted."""
    fx = oracle.Fx(drop)
    probabilities = {k: Decimal(str(v)) for k, v in oracle.dbt_var("stage_probabilities").items()}
    out: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for o in drop.good("opportunities", "opportunity_id"):
        created = oracle.local_date(o["created_at"])
        if o["stage"] not in OPEN_STAGES or created > DEMO_AS_OF:
            continue
        quarter = oracle.quarter_of(date.fromisoformat(o["expected_close_date"]))
        amount = fx.convert(o["amount"], o["currency"], created)
        out[quarter][0] += 1
        if amount is not None:
            out[quarter][1] += amount
            out[quarter][2] += _cent(amount * probabilities[o["stage"]])
    return {q: (n, a, w) for q, (n, a, w) in out.items()}


def _oracle_time_in_stage(drop: oracle.Drop, quarter: str) -> dict[str, list[float]]:
    """Days in each stage of the visits that ended in the quarter (company)."""
    known = {
        o["opportunity_id"]
        for o in drop.good("opportunities", "opportunity_id")
        if oracle.local_date(o["created_at"]) <= DEMO_AS_OF
    }
    history = defaultdict(list)
    for h in drop.rows("opportunity_stage_history"):
        at = oracle.local_datetime(h["entered_at"])
        if h["opportunity_id"] in known and at.date() <= DEMO_AS_OF:
            history[h["opportunity_id"]].append((at, oracle.PROCESS_ORDER[h["stage"]], h["stage"]))
    out: dict[str, list[float]] = defaultdict(list)
    for entries in history.values():
        entries.sort()
        # consecutive entries of one stage are one visit (the CRM writes a row per edit)
        starts = [e for i, e in enumerate(entries) if i == 0 or entries[i - 1][2] != e[2]]
        for (entered, _, stage), (left, _, _) in zip(starts, starts[1:], strict=False):
            if oracle.quarter_of(left.date()) == quarter:
                out[stage].append((left - entered).total_seconds() / 86400)
    return out


def _p75(values: list[float]) -> float:
    ordered = sorted(values)
    position = 0.75 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@pytest.mark.e2e
def test_demo_pipeline_matches_the_oracle(demo_night) -> None:
    drop, con = demo_night
    expected = _oracle_pipeline(drop)
    assert expected, "the demo has open opportunities"
    got = {
        q: (n, a, w)
        for q, n, a, w in _rows(
            con,
            """select period, open_opportunities, open_pipeline, weighted_pipeline
               from marts.fct_pipeline where period_type = 'quarter' and level = 'company'
                 and open_opportunities > 0""",
        )
    }
    assert got == expected
    # the one snapshot day (the only load) holds the same open pipeline
    (snap,) = _rows(
        con,
        """select open_opportunities, open_pipeline, weighted_pipeline,
                  next_quarter_weighted_pipeline
           from marts.fct_pipeline_snapshots where level = 'company'""",
    )
    assert snap[:3] == (
        sum(v[0] for v in expected.values()),
        sum(v[1] for v in expected.values()),
        sum(v[2] for v in expected.values()),
    )
    assert snap[3] == expected.get("2026Q4", (0, 0, Decimal("0.00")))[2]


@pytest.mark.e2e
def test_demo_time_in_stage_matches_the_oracle(demo_night) -> None:
    drop, con = demo_night
    for quarter in ("2026Q2", "2026Q3"):
        expected = _oracle_time_in_stage(drop, quarter)
        assert expected, quarter
        got = {
            stage: (visits, median, p75)
            for stage, visits, median, p75 in _rows(
                con,
                """select stage, visits, median_days_in_stage, p75_days_in_stage
                   from marts.fct_time_in_stage
                   where period = ? and level = 'company'""",
                quarter,
            )
        }
        assert set(got) == set(expected), quarter
        for stage, days in expected.items():
            visits, median, p75 = got[stage]
            assert visits == len(days), (quarter, stage)
            assert median == pytest.approx(statistics.median(days)), (quarter, stage)
            assert p75 == pytest.approx(_p75(days)), (quarter, stage)


@pytest.mark.e2e
def test_demo_scopes_add_up_to_the_company(demo_night) -> None:
    """Every demo lead has an owner and every rep a team and region, so at each level the
    scopes of the funnel, lead-source and channel marts add up to the company rows."""
    drop, con = demo_night
    assert all(lead["owner_rep_id"] for lead in drop.rows("leads"))
    sums = {
        "fct_funnel_conversion": (
            "period_type, period, stage_order",
            "sum(reached_from), sum(reached_to)",
        ),
        "fct_lead_sources": ("period_type, period, source", "sum(leads), sum(converted)"),
        "fct_sales_channels": (
            "period_type, period, channel_type, channel",
            "sum(coalesce(leads, 0)), sum(opportunities_created), sum(won), sum(won_amount), "
            "sum(orders), sum(revenue)",
        ),
    }
    for mart, (keys, measures) in sums.items():
        sql = f"""select {keys}, {measures} from marts.{mart} where level = ?
                  group by {keys} order by {keys}"""
        width = keys.count(",") + 1

        def totals(level: str, sql: str = sql, width: int = width) -> list[tuple]:
            # a period the scopes have no cohort in is a row of zeros at company level only
            return [r for r in _rows(con, sql, level) if any(r[width:])]

        company = totals("company")
        assert company, mart
        for level in ("region", "team", "rep"):
            assert totals(level) == company, (mart, level)


def test_snapshot_integrity_test_fails_on_a_missing_day(built: Path, tmp_path: Path) -> None:
    """no_missing_days: drop 09-29 from a copy, and the data test names that day."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute(
        "delete from intermediate.int_pipeline_snapshots where snapshot_date = '2026-09-29'"
    )
    con.close()
    result = run_dbt(
        [
            "test",
            "--select",
            "fct_pipeline_snapshots,test_name:no_missing_days",
            "--store-failures",
        ],
        db=copy,
        tmp=tmp_path,
        as_of=AS_OF,
        load_id=2,
        ok=False,
    )
    assert not result.success
    ((name, status, failures),) = [
        (r.node.name, r.status, r.failures)
        for r in result.result
        if r.node.resource_type != "operation"  # the engines' start-of-run hook
    ]
    assert (name, str(status), failures) == (
        "no_missing_days_fct_pipeline_snapshots_snapshot_date",
        "fail",
        1,
    )
    con = duckdb.connect(str(copy))  # default config: dbt may still hold the file open
    (schema,) = con.execute(
        "select table_schema from information_schema.tables where table_name = ?",
        ["no_missing_days_fct_pipeline_snapshots_snapshot_date"],
    ).fetchall()[0]
    missing = con.execute(
        f"select cast(missing_day as varchar) from {schema}."  # noqa: S608 - name from the catalog
        "no_missing_days_fct_pipeline_snapshots_snapshot_date"
    ).fetchall()
    con.close()
    assert missing == [("2026-09-29",)]
