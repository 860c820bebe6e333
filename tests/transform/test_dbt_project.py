"""Build the dbt project for real against a small hand-made warehouse.

The raw rows below are few enough to work every expected number out by hand; the
arithmetic is in the comments next to each assertion. Business timezone Asia/Shanghai
(UTC+8), reporting currency CNY, as_of_date 2026-09-30, current load 2.

Reps: R1 (team East A, region East), R2 (team North A, region North).
FX to CNY: USD 7.0 from 2026-06-30, 7.2 from 2026-08-15; no EUR rate; a CNY row of 2.0
that must be ignored (the reporting currency converts at 1).

Orders (non-cancelled unless said):
  O7 R1 2026-05-15 CNY 2000 terms 30        paid P5 2000 CNY at 2026-07-01 01:00 local
  O5 R2 2026-07-01 04:00 local (20:00 UTC on 06-30) CNY 300   paid P4 400 (overpaid)
  O6 R1 2026-07-05 EUR 50 (no rate -> reporting amount null)
  O1 R1 2026-07-10 CNY 1000 terms 30        paid P1 400 on 2026-07-20 (partial)
  O2 R1 2026-08-20 USD 100 terms null (30)  -> 7.2 -> 720 CNY; paid P2 100 USD on 09-25
  O3 R2 2026-09-05 CNY 500 cancelled
  O4 R2 2026-09-10 USD 200 -> 1440 CNY; invoice INV4 200 USD due 09-20; paid P3 720 CNY
     on 09-28 through the invoice = 720 / 7.2 = 100 USD
Opportunities:
  OP1 R1 created 06-01 won 07-08 (37 days) 1000 CNY; history qualified, discovery,
      proposal, won (negotiation skipped)
  OP2 R1 created 07-01 won 08-10 (40 days) 100 USD at the close-date rate 7.0 = 700 CNY;
      history qualified, proposal, won; no order -> won_without_order (51 days > 30)
  OP3 R2 created 07-05 lost 09-01; history qualified, discovery, lost
  OP4 R2 created 08-01 negotiation, expected close 09-15 (stale), lead L2 with 2 BANT
      flags (bant_incomplete); load 1 version said proposal / 4000
  OP5 R1 created 09-01 qualified, no history
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import add_load, build_warehouse, insert_row, run_dbt, ts

AS_OF = "2026-09-30"


RAW: dict[str, list[tuple[int, dict]]] = {
    "sales_reps": [
        (1, dict(rep_id="R1", rep_name="Alice", team="East A", region="East")),
        (1, dict(rep_id="R2", rep_name="Bob", team="North A", region="North")),
    ],
    "accounts": [
        (
            1,
            dict(
                account_id="A1",
                account_name="Acme Ltd",
                region="East",
                channel="direct",
                owner_rep_id="R1",
                created_at=ts("2026-01-10 09:00:00"),
            ),
        ),
        (
            1,
            dict(
                account_id="A2",
                account_name="Beta Old",
                region="North",
                channel="direct",
                owner_rep_id="R2",
                created_at=ts("2026-02-01 09:00:00"),
            ),
        ),
        (
            2,
            dict(
                account_id="A2",
                account_name="Beta Co",
                region="North",
                channel="direct",
                owner_rep_id="R2",
                created_at=ts("2026-02-01 09:00:00"),
            ),
        ),
    ],
    "leads": [
        (
            1,
            dict(
                lead_id="L1",
                created_at=ts("2026-05-20 10:00:00"),
                source="web",
                owner_rep_id="R1",
                company_name="Acme Ltd",
                status="converted",
                opportunity_id="OP1",
                bant_budget=True,
                bant_authority=True,
                bant_need=True,
                bant_timeline=True,
            ),
        ),
        (
            1,
            dict(
                lead_id="L2",
                created_at=ts("2026-07-20 10:00:00"),
                source="web",
                owner_rep_id="R2",
                company_name="Beta Co",
                status="converted",
                opportunity_id="OP4",
                bant_budget=True,
                bant_need=True,
            ),
        ),
        (
            1,
            dict(
                lead_id="L3",
                created_at=ts("2026-07-25 10:00:00"),
                source="web",
                owner_rep_id="R2",
                company_name="Gamma",
                status="working",
            ),
        ),
        (
            1,
            dict(
                lead_id="L4",
                created_at=ts("2026-08-02 10:00:00"),
                source="referral",
                owner_rep_id="R1",
                company_name="Delta",
                status="working",
                converted_at=ts("2026-08-20 10:00:00"),
            ),
        ),
    ],
    "opportunities": [
        (
            1,
            dict(
                opportunity_id="OP1",
                account_id="A1",
                owner_rep_id="R1",
                name="Acme deal",
                created_at=ts("2026-06-01 10:00:00"),
                stage="won",
                amount="1000",
                currency="CNY",
                expected_close_date="2026-07-10",
                closed_at=ts("2026-07-08 10:00:00"),
                lead_id="L1",
                last_modified_at=ts("2026-07-08 10:00:00"),
            ),
        ),
        (
            1,
            dict(
                opportunity_id="OP2",
                account_id="A1",
                owner_rep_id="R1",
                name="Acme upsell",
                created_at=ts("2026-07-01 10:00:00"),
                stage="won",
                amount="100",
                currency="USD",
                expected_close_date="2026-08-10",
                closed_at=ts("2026-08-10 10:00:00"),
                last_modified_at=ts("2026-08-10 10:00:00"),
            ),
        ),
        (
            1,
            dict(
                opportunity_id="OP3",
                account_id="A2",
                owner_rep_id="R2",
                name="Beta pilot",
                created_at=ts("2026-07-05 10:00:00"),
                stage="lost",
                amount="300",
                currency="CNY",
                expected_close_date="2026-09-01",
                closed_at=ts("2026-09-01 10:00:00"),
                lost_reason="price",
                last_modified_at=ts("2026-09-01 10:00:00"),
            ),
        ),
        (
            1,
            dict(
                opportunity_id="OP4",
                account_id="A2",
                owner_rep_id="R2",
                name="Beta rollout",
                created_at=ts("2026-08-01 10:00:00"),
                stage="proposal",
                amount="4000",
                currency="CNY",
                expected_close_date="2026-09-15",
                lead_id="L2",
                last_modified_at=ts("2026-08-20 10:00:00"),
            ),
        ),
        (
            2,
            dict(
                opportunity_id="OP4",
                account_id="A2",
                owner_rep_id="R2",
                name="Beta rollout",
                created_at=ts("2026-08-01 10:00:00"),
                stage="negotiation",
                amount="5000",
                currency="CNY",
                expected_close_date="2026-09-15",
                lead_id="L2",
                last_modified_at=ts("2026-09-02 10:00:00"),
            ),
        ),
        (
            2,
            dict(
                opportunity_id="OP5",
                account_id="A1",
                owner_rep_id="R1",
                name="Acme new",
                created_at=ts("2026-09-01 10:00:00"),
                stage="qualified",
                amount="800",
                currency="CNY",
                expected_close_date="2026-12-31",
                last_modified_at=ts("2026-09-01 10:00:00"),
            ),
        ),
    ],
    "opportunity_stage_history": [
        (1, dict(opportunity_id=o, stage=s, entered_at=ts(f"{d} 10:00:00")))
        for o, s, d in [
            ("OP1", "qualified", "2026-06-01"),
            ("OP1", "discovery", "2026-06-10"),
            ("OP1", "proposal", "2026-06-20"),
            ("OP1", "won", "2026-07-08"),
            ("OP2", "qualified", "2026-07-01"),
            ("OP2", "proposal", "2026-07-15"),
            ("OP2", "won", "2026-08-10"),
            ("OP3", "qualified", "2026-07-05"),
            ("OP3", "discovery", "2026-07-20"),
            ("OP3", "lost", "2026-09-01"),
            ("OP4", "qualified", "2026-08-01"),
            ("OP4", "discovery", "2026-08-05"),
            ("OP4", "proposal", "2026-08-20"),
            ("OP4", "negotiation", "2026-09-02"),
        ]
    ],
    "fx_rates": [
        (1, dict(rate_date="2026-06-30", currency="USD", rate_to_reporting="7.0")),
        (1, dict(rate_date="2026-08-15", currency="USD", rate_to_reporting="7.2")),
        (1, dict(rate_date="2026-01-01", currency="CNY", rate_to_reporting="2.0")),
    ],
    "orders": [
        (
            1,
            dict(
                order_id="O7",
                account_id="A1",
                rep_id="R1",
                ordered_at=ts("2026-05-15 10:00:00"),
                status="delivered",
                currency="CNY",
                total_amount="2000",
                payment_terms_days=30,
            ),
        ),
        (
            1,
            dict(
                order_id="O5",
                account_id="A2",
                rep_id="R2",
                ordered_at="2026-06-30 20:00:00+00:00",
                status="delivered",
                currency="CNY",
                total_amount="300",
                payment_terms_days=30,
            ),
        ),
        (
            1,
            dict(
                order_id="O6",
                account_id="A1",
                rep_id="R1",
                ordered_at=ts("2026-07-05 10:00:00"),
                status="received",
                currency="EUR",
                total_amount="50",
                payment_terms_days=30,
            ),
        ),
        (
            1,
            dict(
                order_id="O1",
                account_id="A1",
                rep_id="R1",
                ordered_at=ts("2026-07-10 10:00:00"),
                opportunity_id="OP1",
                status="delivered",
                currency="CNY",
                total_amount="1000",
                payment_terms_days=30,
            ),
        ),
        (
            1,
            dict(
                order_id="O2",
                account_id="A1",
                rep_id="R1",
                ordered_at=ts("2026-08-20 10:00:00"),
                status="shipped",
                currency="USD",
                total_amount="100",
            ),
        ),
        (
            1,
            dict(
                order_id="O3",
                account_id="A2",
                rep_id="R2",
                ordered_at=ts("2026-09-05 10:00:00"),
                status="cancelled",
                currency="CNY",
                total_amount="500",
            ),
        ),
        (
            2,
            dict(
                order_id="O4",
                account_id="A2",
                rep_id="R2",
                ordered_at=ts("2026-09-10 09:00:00"),
                status="received",
                currency="USD",
                total_amount="200",
                payment_terms_days=15,
            ),
        ),
    ],
    "invoices": [
        (
            2,
            dict(
                invoice_id="INV4",
                order_id="O4",
                issued_at="2026-09-10",
                due_date="2026-09-20",
                amount="200",
                currency="USD",
            ),
        ),
    ],
    "payments": [
        (
            1,
            dict(
                payment_id="P5",
                order_id="O7",
                paid_at="2026-06-30 17:00:00+00:00",
                amount="2000",
                currency="CNY",
            ),
        ),
        (
            1,
            dict(
                payment_id="P4",
                order_id="O5",
                paid_at=ts("2026-07-15 10:00:00"),
                amount="400",
                currency="CNY",
            ),
        ),
        (
            1,
            dict(
                payment_id="P1",
                order_id="O1",
                paid_at=ts("2026-07-20 10:00:00"),
                amount="400",
                currency="CNY",
            ),
        ),
        (
            2,
            dict(
                payment_id="P2",
                order_id="O2",
                paid_at=ts("2026-09-25 10:00:00"),
                amount="100",
                currency="USD",
            ),
        ),
        (
            2,
            dict(
                payment_id="P3",
                invoice_id="INV4",
                paid_at=ts("2026-09-28 10:00:00"),
                amount="720",
                currency="CNY",
            ),
        ),
    ],
    "targets": [
        (1, dict(period=p, level=lv, scope_id=s, metric="revenue", target_value=v))
        for p, lv, s, v in [
            ("2026-07", "rep", "R1", "1000"),
            ("2026-08", "rep", "R1", "1000"),
            ("2026-09", "rep", "R1", "1000"),
            ("2026Q3", "company", "all", "5000"),
            ("2026-07", "company", "all", "1000"),
            ("2026Q3", "team", "West", "800"),
        ]
    ],
}

QUARANTINE = [
    # open: a missing reference, never released, no loaded version of A9
    dict(
        quarantine_id="q1",
        load_id=1,
        entity="accounts",
        source_file="accounts.csv",
        source_row=7,
        record_id="A9",
        owner_rep_id="R2",
        rule="unknown_reference",
        column_name="owner_rep_id",
        value_seen="R9",
        reason="owner_rep_id R9 is no known rep",
        reasons="[]",
        row_data='{"account_name": "Zeta"}',
        retryable=True,
        released_load_id=None,
    ),
    # superseded: OP4 has a later loaded version (load 2)
    dict(
        quarantine_id="q2",
        load_id=1,
        entity="opportunities",
        source_file="opportunities.csv",
        source_row=9,
        record_id="OP4",
        owner_rep_id="R2",
        rule="invalid_value",
        column_name="amount",
        value_seen="-1",
        reason="amount is negative",
        reasons="[]",
        row_data="{}",
        retryable=False,
        released_load_id=None,
    ),
    # released in load 2
    dict(
        quarantine_id="q3",
        load_id=1,
        entity="accounts",
        source_file="accounts.csv",
        source_row=8,
        record_id="A8",
        owner_rep_id=None,
        rule="unknown_reference",
        column_name="owner_rep_id",
        value_seen="R2",
        reason="owner_rep_id R2 unknown",
        reasons="[]",
        row_data="{}",
        retryable=True,
        released_load_id=2,
    ),
]
ROW_FINDINGS = [
    # current version of A1 is load 1: kept
    dict(
        load_id=1,
        entity="accounts",
        source_file="accounts.csv",
        source_row=2,
        record_id="A1",
        owner_rep_id="R1",
        rule="email_malformed",
        column_name="email",
        value_seen="acme@",
        message="email is malformed",
    ),
    # A2 was re-exported in load 2: the load-1 warning is about a superseded version
    dict(
        load_id=1,
        entity="accounts",
        source_file="accounts.csv",
        source_row=3,
        record_id="A2",
        owner_rep_id="R2",
        rule="phone_malformed",
        column_name="phone",
        value_seen="12",
        message="phone is malformed",
    ),
]


LOADED_AT = dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC)


def _build_warehouse(path: Path) -> None:
    build_warehouse(path, RAW, loaded_at=LOADED_AT)
    con = duckdb.connect(str(path))
    for row in QUARANTINE:
        insert_row(con, "meta.quarantine", row)
    for row in ROW_FINDINGS:
        insert_row(con, "meta.row_findings", row)
    con.close()


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made warehouse after `dbt build` with load 2."""
    tmp = tmp_path_factory.mktemp("dbt")
    db = tmp / "warehouse.duckdb"
    _build_warehouse(db)
    started = time.monotonic()
    run_dbt(["build"], db=db, tmp=tmp, as_of=AS_OF, load_id=2)
    print(f"dbt build took {time.monotonic() - started:.1f}s")
    return db


@pytest.fixture(scope="module")
def warehouse(built_db: Path) -> duckdb.DuckDBPyConnection:
    # default config: dbt-duckdb may still hold this file open in-process
    con = duckdb.connect(str(built_db))
    con.execute("checkpoint")
    yield con
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_sales_performance_q3(warehouse: duckdb.DuckDBPyConnection) -> None:
    perf = """select revenue, orders, collections, new_customers, avg_order_value,
                     revenue_target, revenue_attainment, won, lost, win_rate, avg_deal_size,
                     avg_sales_cycle_days, median_sales_cycle_days
              from marts.fct_sales_performance
              where period_type = 'quarter' and period = '2026Q3' and level = ? and scope_id = ?"""
    # R1: O6 (EUR, no rate -> null) + O1 1000 + O2 100 USD * 7.2 = 1720.00; 3 orders, of
    # which 2 have a reporting amount -> average order value 1720 / 2 = 860.00;
    # collections P5 2000 + P1 400 + P2 100 USD * 7.2 = 3120; A1's first order
    # is O7 in May, so no new customer in Q3. Target: no explicit Q3 row, months 3 x 1000.
    # Won OP1 (1000, 37 days) and OP2 (100 USD at the 08-10 rate 7.0 = 700, 40 days).
    r1 = _one(warehouse, perf, "rep", "R1")
    assert r1[:6] == (
        Decimal("1720.00"),
        3,
        Decimal("3120.00"),
        0,
        Decimal("860.00"),
        Decimal("3000.00"),
    )
    assert r1[6] == pytest.approx(1720 / 3000)
    assert r1[7:] == (2, 0, 1.0, Decimal("850.00"), 38.5, 38.5)
    # R2: O5 300 (04:00 local on 07-01) + O4 200 USD * 7.2 = 1440 -> 1740; O3 cancelled.
    # Collections P4 400 + P3 720 = 1120; A2's first order O5 -> 1 new customer. OP3 lost.
    r2 = _one(warehouse, perf, "team", "North A")
    assert r2[:6] == (Decimal("1740.00"), 2, Decimal("1120.00"), 1, Decimal("870.00"), None)
    assert r2[6] is None
    assert r2[7:11] == (0, 1, 0.0, None)
    # company: explicit Q3 target 5000; revenue 3460 -> 0.692; 5 orders, 4 with a reporting
    # amount (O6 has no EUR rate) -> average order value 3460 / 4 = 865.00; won 2 of 3 closed
    co = _one(warehouse, perf, "company", "all")
    assert co[:6] == (
        Decimal("3460.00"),
        5,
        Decimal("4240.00"),
        1,
        Decimal("865.00"),
        Decimal("5000.00"),
    )
    assert co[6] == pytest.approx(0.692)
    assert co[9] == pytest.approx(2 / 3)
    # a team with a target and no sales still has a row, with zeros
    west = _one(warehouse, perf, "team", "West")
    assert west[:6] == (Decimal("0.00"), 0, Decimal("0.00"), 0, None, Decimal("800.00"))
    assert west[6] == 0.0


def test_sales_performance_periods(warehouse: duckdb.DuckDBPyConnection) -> None:
    # the spine runs from the first data month 2026-05 (O7, L1) to 2026-09: the funnel has
    # every period of it
    spine = warehouse.execute(
        "select distinct period from marts.fct_funnel_conversion order by 1"
    ).fetchall()
    assert [p for (p,) in spine] == [
        "2026",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026Q2",
        "2026Q3",
    ]
    # sales performance only where there is an event or a target: June has neither (O5 and
    # P5 fall on 07-01 local time, OP1 closes in July)
    periods = warehouse.execute(
        "select distinct period from marts.fct_sales_performance order by 1"
    ).fetchall()
    assert [p for (p,) in periods] == [
        "2026",
        "2026-05",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026Q2",
        "2026Q3",
    ]
    # the year target of R1 rolls up from the rolled-up Q3 (3 x 1000)
    (target,) = _one(
        warehouse,
        """select revenue_target from marts.fct_sales_performance
        where period = '2026' and level = 'rep' and scope_id = 'R1'""",
    )
    assert target == Decimal("3000.00")


def test_funnel_conversion(warehouse: duckdb.DuckDBPyConnection) -> None:
    # Q3 cohort: OP2 (qualified, proposal, won: skipped discovery and negotiation),
    # OP3 (qualified, discovery, lost), OP4 (to negotiation), OP5 (qualified). Stages reached
    # as the history records them (funnel_stage_evidence: recorded, the default): a pair counts
    # the deals that reached both its stages. qualified 4 -> discovery OP3, OP4: 2;
    # discovery 2 -> proposal OP4: 1 (OP2 skipped discovery); proposal OP2, OP4 -> negotiation
    # OP4: 1; negotiation OP4 -> won: 0 (OP2 won without a recorded negotiation).
    rows = warehouse.execute("""select stage_order, stage_from, stage_to, reached_from, reached_to,
                                       conversion_rate
                                from marts.fct_funnel_conversion
                                where period = '2026Q3' and level = 'company'
                                order by stage_order""").fetchall()
    assert [r[:5] for r in rows] == [
        (1, "qualified", "discovery", 4, 2),
        (2, "discovery", "proposal", 2, 1),
        (3, "proposal", "negotiation", 2, 1),
        (4, "negotiation", "won", 1, 0),
    ]
    assert [r[5] for r in rows] == pytest.approx([0.5, 0.5, 0.5, 0.0])


def test_lead_sources(warehouse: duckdb.DuckDBPyConnection) -> None:
    # Q3: web L2 (converted) + L3 (working) -> 1 of 2; referral L4 (converted_at set) -> 1 of 1
    rows = warehouse.execute("""select source, leads, converted, lead_conversion_rate
                                from marts.fct_lead_sources where period = '2026Q3'
                                  and level = 'company'
                                order by source""").fetchall()
    assert rows == [("referral", 1, 1, 1.0), ("web", 2, 1, 0.5)]


def test_receivables_aging(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute("""select cast(as_of_date as varchar), order_id, currency,
                                       cast(due_date as varchar), amount_due, paid,
                                       outstanding_original, outstanding, days_overdue,
                                       aging_bucket
                                from marts.fct_receivables_aging
                                order by as_of_date, order_id""").fetchall()
    assert rows == [
        # at the Q2 end only O7 exists (O5 is 07-01 local); due 05-15 + 30 = 06-14, 16 days;
        # P5 arrives 07-01 01:00 local, after the snapshot
        (
            "2026-06-30",
            "O7",
            "CNY",
            "2026-06-14",
            Decimal("2000"),
            Decimal("0"),
            Decimal("2000"),
            Decimal("2000.00"),
            16,
            "1_30",
        ),
        # O1: due 07-10 + 30 = 08-09, 52 days overdue, 1000 - 400 paid
        (
            "2026-09-30",
            "O1",
            "CNY",
            "2026-08-09",
            Decimal("1000"),
            Decimal("400"),
            Decimal("600"),
            Decimal("600.00"),
            52,
            "31_60",
        ),
        # O4: invoice due 09-20 (not order date + 15), 200 USD - 720 CNY / 7.2 = 100 USD,
        # converted at the order-date rate 7.2
        (
            "2026-09-30",
            "O4",
            "USD",
            "2026-09-20",
            Decimal("200"),
            Decimal("100"),
            Decimal("100"),
            Decimal("720.00"),
            10,
            "1_30",
        ),
        # O6: EUR without a rate, due 07-05 + 30 = 08-04, 57 days
        (
            "2026-09-30",
            "O6",
            "EUR",
            "2026-08-04",
            Decimal("50"),
            Decimal("0"),
            Decimal("50"),
            None,
            57,
            "31_60",
        ),
    ]


def _open_findings(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""select rule, severity, entity, record_id, owner_rep_id,
                                 first_seen_load, last_seen_load, is_open
                          from marts.dq_findings order by rule, record_id""").fetchall()


def test_dq_findings(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert _open_findings(warehouse) == [
        ("bant_incomplete", "warn", "opportunities", "OP4", "R2", 2, 2, True),
        ("email_malformed", "warn", "accounts", "A1", "R1", 1, 2, True),
        ("missing_fx_rate", "warn", "orders", "O6", "R1", 2, 2, True),
        ("overpaid_order", "warn", "orders", "O5", "R2", 2, 2, True),
        ("stale_open_opportunity", "warn", "opportunities", "OP4", "R2", 2, 2, True),
        # the company's Q3 target (5000) against its one month target set (July, 1000)
        (
            "target_periods_not_adding_up",
            "warn",
            "targets",
            "2026Q3|company|all|revenue|",
            None,
            2,
            2,
            True,
        ),
        ("unknown_reference", "quarantine", "accounts", "A9", "R2", 1, 2, True),
        ("won_without_order", "warn", "opportunities", "OP2", "R1", 2, 2, True),
    ]
    name, value = _one(
        warehouse,
        """select record_name, value_seen from marts.dq_findings
                                     where rule = 'unknown_reference'""",
    )
    assert (name, value) == ("Zeta", "R9")


def test_dq_findings_incremental(
    warehouse: duckdb.DuckDBPyConnection, built_db: Path, tmp_path: Path
) -> None:
    """Load 3 fixes O6's currency: its finding closes, the others keep first_seen_load."""
    copy = tmp_path / "warehouse.duckdb"  # same file name: views name the catalog "warehouse"
    copy.write_bytes(built_db.read_bytes())
    con = duckdb.connect(str(copy))
    row = dict(RAW["orders"][2][1], currency="CNY")
    insert_row(
        con,
        "raw.orders",
        {
            **row,
            "_load_id": 3,
            "_source_file": "orders.csv",
            "_source_row": 2,
            "_row_hash": "fixed",
            "_loaded_at": dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        },
    )
    con.close()
    for _ in range(2):  # the second run must change nothing
        # the incremental facts are tables: they take in load 3 before the findings do
        run_dbt(
            ["run", "--select", "int_orders_enriched", "fct_dq_findings"],
            db=copy,
            tmp=tmp_path,
            as_of=AS_OF,
            load_id=3,
        )
        con = duckdb.connect(str(copy))
        findings = _open_findings(con)
        con.close()
        assert ("missing_fx_rate", "warn", "orders", "O6", "R1", 2, 2, False) in findings
        assert ("unknown_reference", "quarantine", "accounts", "A9", "R2", 1, 3, True) in findings
        assert ("won_without_order", "warn", "opportunities", "OP2", "R1", 2, 3, True) in findings
        assert len(findings) == 8


def test_staging_drops_deleted_records_and_rebuilds_as_of_a_past_date(
    built_db: Path, tmp_path: Path
) -> None:
    """Load 3 (2026-10-02) deletes A1; history_as_of_date 2026-09-30 still sees load 2's state."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(built_db.read_bytes())
    con = duckdb.connect(str(copy))
    for load_id, day in ((1, "2026-09-29"), (2, "2026-09-30"), (3, "2026-10-02")):
        add_load(con, load_id, day, run_id="r", status="ok", if_missing=True)
    a1 = dict(RAW["accounts"][0][1])
    insert_row(
        con,
        "raw.accounts",
        {
            **a1,
            "_load_id": 3,
            "_source_file": "accounts.csv",
            "_source_row": 0,
            "_row_hash": "deleted",
            "_loaded_at": dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
            "_deleted": True,
        },
    )
    con.close()

    def accounts(vars_: dict | None = None) -> list[tuple]:
        run_dbt(
            ["run", "--select", "stg_crm__accounts"],
            db=copy,
            tmp=tmp_path,
            as_of=AS_OF,
            load_id=3,
            vars=vars_,
        )
        c = duckdb.connect(str(copy))
        rows = c.execute(
            "select account_id, account_name from staging.stg_crm__accounts order by 1"
        ).fetchall()
        c.close()
        return rows

    assert accounts() == [("A2", "Beta Co")]
    past = {
        "warehouse_path": str(copy),
        "as_of_date": AS_OF,
        "load_id": 3,
        "history_as_of_date": "2026-09-29",
    }
    # As of 2026-09-29 only load 1 counts: A1 exists and A2 still has its old name.
    assert accounts(past) == [("A1", "Acme Ltd"), ("A2", "Beta Old")]


def test_marts_columns_match_their_docs(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Every built mart has exactly the columns its yml documents (docs/metrics.md is
    generated from that yml, so it cannot describe a column that does not exist)."""
    from pipelines.transform.metrics_doc import DBT_DIR, mart_models

    for model in mart_models(DBT_DIR / "models"):
        built = [
            r[0]
            for r in warehouse.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [model["name"]],
            ).fetchall()
        ]
        assert built, f"{model['name']} was not built"
        documented = [c["name"] for c in model.get("columns") or []]
        assert sorted(built) == sorted(documented), (
            model["name"],
            f"undocumented {sorted(set(built) - set(documented))}",
            f"documented but missing {sorted(set(documented) - set(built))}",
        )


def test_dbt_docs_generate_works(built_db: Path, tmp_path: Path) -> None:
    run_dbt(["docs", "generate"], db=built_db, tmp=tmp_path, as_of=AS_OF, load_id=2)
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text(encoding="utf-8"))
    built = {n.split(".")[-1] for n in catalog["nodes"] if n.startswith("model.")}
    assert {"fct_sales_performance", "fct_receivables_aging", "dq_findings"} <= built
