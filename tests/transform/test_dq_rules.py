"""The cross-entity rules added to int_dq_checks, end to end on a small hand-made warehouse.

dbt's unit tests (models/intermediate/_intermediate.yml, int_dq_checks_*) check each rule's
logic on mocked inputs; this file runs the real staging models and dq_findings, so it also
checks that every finding names its record (record_id as int_dq_records keys it, so the
record's name is found) and its owner. Business timezone Asia/Shanghai, reporting currency
CNY, as_of_date 2026-09-30, one load (1), default thresholds (untouched_days 30,
order_lines_tolerance 0.01, legal_form_suffixes of dbt_project.yml).

For every rule one record breaks it and one does not:

  stage_moved_backwards  OP3 qualified, proposal (07-10), discovery (07-20), negotiation:
                         discovery (2) after proposal (3) is a step back. OP4 qualified, lost
                         (08-01), discovery (08-20): a lost deal reopened (5 -> 2). OP5
                         qualified, discovery, proposal: forward only.
  order_lines_mismatch   O2 (USD 100): one line 1 x 90, discount empty = 90, off by 10.
                         O1 (CNY 1000): 2 x 300 + (1 x 450 - 50) = 1000. O4 has no lines.
  possible_duplicate_account
                         A1 上海华锐科技有限公司 and A2 上海华锐科技股份有限公司 both become
                         上海华锐科技; A3 'ＡＣＭＥ Trading Co.,Ltd.' and A4 'Acme Trading Inc.'
                         both become acmetrading. A5 'Zinc Ltd' (zinc) and A6 'Z Inc.' (z)
                         differ: 'inc' inside 'zinc' is no separate word.
  opportunity_untouched  OP1 open, modified 08-01, no activity: 60 days > 30. OP2 open,
                         modified 08-01 but activity AC1 on it on 09-10: 20 days.
  payment_for_cancelled_order
                         P1 pays cancelled O3. P2 pays delivered O4.
  activity_unlinked      AC2 names neither account nor opportunity. AC1 names both, AC3 an
                         account only.

No other rule fires: no leads (bant), no won deal (won_without_order), expected close dates
in December (stale), fewer than 5 deals per owner (outlier), USD has a rate (missing_fx_rate),
P2 pays O4 exactly (overpaid_order).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

NEW_RULES = (
    "stage_moved_backwards",
    "order_lines_mismatch",
    "possible_duplicate_account",
    "opportunity_untouched",
    "payment_for_cancelled_order",
    "activity_unlinked",
)


def _opportunity(oid: str, account: str, owner: str, name: str, stage: str, modified: str):
    return dict(
        opportunity_id=oid,
        account_id=account,
        owner_rep_id=owner,
        name=name,
        created_at=ts("2026-07-01 10:00:00"),
        stage=stage,
        amount="1000",
        currency="CNY",
        expected_close_date="2026-12-31",
        last_modified_at=ts(f"{modified} 10:00:00"),
    )


def _order(oid: str, account: str, rep: str, status: str, currency: str, total: str):
    return dict(
        order_id=oid,
        account_id=account,
        rep_id=rep,
        ordered_at=ts("2026-08-01 10:00:00"),
        status=status,
        currency=currency,
        total_amount=total,
        payment_terms_days=30,
    )


RAW: dict[str, list[dict]] = {
    "sales_reps": [
        dict(rep_id="R1", rep_name="Alice", team="East A", region="East"),
        dict(rep_id="R2", rep_name="Bob", team="East A", region="East"),
        dict(rep_id="R3", rep_name="Chen", team="North A", region="North"),
    ],
    "accounts": [
        dict(account_id=a, account_name=n, owner_rep_id=r, created_at=ts("2026-01-10 09:00:00"))
        for a, n, r in [
            ("A1", "上海华锐科技有限公司", "R1"),
            ("A2", "上海华锐科技股份有限公司", "R2"),
            ("A3", "ＡＣＭＥ Trading Co.,Ltd.", "R3"),
            ("A4", "Acme Trading Inc.", "R1"),
            ("A5", "Zinc Ltd", "R2"),
            ("A6", "Z Inc.", "R3"),
        ]
    ],
    "opportunities": [
        _opportunity("OP1", "A1", "R1", "华锐 MES", "proposal", "2026-08-01"),
        _opportunity("OP2", "A2", "R2", "华锐 EAM", "discovery", "2026-08-01"),
        _opportunity("OP3", "A3", "R3", "Acme rollout", "negotiation", "2026-09-25"),
        _opportunity("OP4", "A4", "R1", "Acme pilot", "discovery", "2026-09-20"),
        _opportunity("OP5", "A5", "R2", "Zinc deal", "proposal", "2026-09-28"),
    ],
    "opportunity_stage_history": [
        dict(opportunity_id=o, stage=s, entered_at=ts(f"{d} 10:00:00"))
        for o, s, d in [
            ("OP3", "qualified", "2026-07-01"),
            ("OP3", "proposal", "2026-07-10"),
            ("OP3", "discovery", "2026-07-20"),
            ("OP3", "negotiation", "2026-08-01"),
            ("OP4", "qualified", "2026-07-01"),
            ("OP4", "lost", "2026-08-01"),
            ("OP4", "discovery", "2026-08-20"),
            ("OP5", "qualified", "2026-07-01"),
            ("OP5", "discovery", "2026-07-05"),
            ("OP5", "proposal", "2026-07-20"),
        ]
    ],
    "activities": [
        dict(
            activity_id="AC1",
            rep_id="R2",
            account_id="A2",
            opportunity_id="OP2",
            type="call",
            occurred_at=ts("2026-09-10 10:00:00"),
        ),
        dict(activity_id="AC2", rep_id="R1", type="visit", occurred_at=ts("2026-09-15 10:00:00")),
        dict(
            activity_id="AC3",
            rep_id="R3",
            account_id="A3",
            type="visit",
            occurred_at=ts("2026-09-20 10:00:00"),
        ),
    ],
    "fx_rates": [dict(rate_date="2026-06-30", currency="USD", rate_to_reporting="7.0")],
    "products": [
        dict(product_id="PRD1", product_name="MES", product_line="software", list_price="300"),
        dict(product_id="PRD2", product_name="EAM", product_line="software", list_price="500"),
    ],
    "orders": [
        _order("O1", "A1", "R1", "delivered", "CNY", "1000"),
        _order("O2", "A2", "R2", "delivered", "USD", "100"),
        _order("O3", "A3", "R3", "cancelled", "CNY", "500"),
        _order("O4", "A4", "R1", "delivered", "CNY", "300"),
    ],
    "order_lines": [
        dict(order_id="O1", line_no=1, product_id="PRD1", quantity="2", unit_price="300"),
        dict(
            order_id="O1",
            line_no=2,
            product_id="PRD2",
            quantity="1",
            unit_price="450",
            discount_amount="50",
        ),
        dict(order_id="O2", line_no=1, product_id="PRD1", quantity="1", unit_price="90"),
    ],
    "payments": [
        dict(
            payment_id=p,
            order_id=o,
            paid_at=ts("2026-08-10 10:00:00"),
            amount=a,
            currency="CNY",
        )
        for p, o, a in [("P1", "O3", "500"), ("P2", "O4", "300")]
    ],
}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    tmp = tmp_path_factory.mktemp("dq_rules")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in RAW.items()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(["run", "--select", "+dq_findings"], db=db, tmp=tmp, as_of="2026-09-30", load_id=1)
    con = duckdb.connect(str(db))
    rows = con.execute("""select rule, entity, record_id, record_name, owner_rep_id,
                                 column_name, value_seen, severity, first_seen_load,
                                 last_seen_load, is_open
                          from marts.dq_findings order by rule, record_id""").fetchall()
    con.close()
    return rows


def test_each_new_rule_flags_the_bad_record_only(findings: list[tuple]) -> None:
    # (rule, entity, record_id, record name from int_dq_records, owner, column, value seen);
    # every one warn, open, first and last seen in load 1
    assert [f[:7] for f in findings] == [
        ("activity_unlinked", "activities", "AC2", "visit 2026-09-15", "R1", "account_id", ""),
        (
            "opportunity_untouched",
            "opportunities",
            "OP1",
            "华锐 MES",
            "R1",
            "last_modified_at",
            "2026-08-01",
        ),
        (
            "order_lines_mismatch",
            "orders",
            "O2",
            "上海华锐科技股份有限公司",
            "R2",
            "total_amount",
            "100.000000 USD, lines 90.000000",
        ),
        (
            "payment_for_cancelled_order",
            "payments",
            "P1",
            "ＡＣＭＥ Trading Co.,Ltd.",
            "R3",
            "order_id",
            "O3",
        ),
        (
            "possible_duplicate_account",
            "accounts",
            "A1",
            "上海华锐科技有限公司",
            "R1",
            "account_name",
            "same name as A2",
        ),
        (
            "possible_duplicate_account",
            "accounts",
            "A2",
            "上海华锐科技股份有限公司",
            "R2",
            "account_name",
            "same name as A1",
        ),
        (
            "possible_duplicate_account",
            "accounts",
            "A3",
            "ＡＣＭＥ Trading Co.,Ltd.",
            "R3",
            "account_name",
            "same name as A4",
        ),
        (
            "possible_duplicate_account",
            "accounts",
            "A4",
            "Acme Trading Inc.",
            "R1",
            "account_name",
            "same name as A3",
        ),
        # the stage-history key is opportunity|stage|local entered_at; named after the deal
        (
            "stage_moved_backwards",
            "opportunity_stage_history",
            "OP3|discovery|2026-07-20 10:00:00",
            "Acme rollout",
            "R3",
            "stage",
            "proposal -> discovery",
        ),
        (
            "stage_moved_backwards",
            "opportunity_stage_history",
            "OP4|discovery|2026-08-20 10:00:00",
            "Acme pilot",
            "R1",
            "stage",
            "lost -> discovery",
        ),
    ]
    assert {f[7:] for f in findings} == {("warn", 1, 1, True)}
    assert {f[0] for f in findings} == set(NEW_RULES)
