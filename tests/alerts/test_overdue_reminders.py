"""Overdue reminders reach the rep on the order, and long-overdue ones the rep's manager,
through a real SMTP server (aiosmtpd), from marts dbt builds on a small hand-made warehouse.

Reps: R1 manages R2 and R3. As of 2026-09-30 (escalation after 30 days):
  O1 (R2) invoice I1 1000 due 2026-08-01: 60 days overdue -> R2, escalated to R1
  O1 (R2) invoice I2 500 due 2026-10-31: not due -> nobody
  O2 (R2) no invoice, terms 30 from 2026-08-25 -> due 09-24: 6 days -> R2 only
  O3 (R3) paid in full -> nobody
The account name of O1 holds a phone number: masked in the mail.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

import duckdb
import pytest

from pipelines.alerts.delivery import deliver
from pipelines.alerts.digest import AlertPlan, record_alerted
from pipelines.alerts.reminders import plan_overdue_reminders
from tests.alerts.test_alert_delivery import email_channel
from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts
from tests.support.smtp import Inbox, content

AS_OF = date(2026, 9, 30)


def _order(oid, account, rep, day, total):
    return dict(
        order_id=oid,
        account_id=account,
        rep_id=rep,
        ordered_at=ts(f"{day} 10:00:00"),
        status="delivered",
        currency="CNY",
        total_amount=total,
        payment_terms_days=30,
    )


RAW = {
    "sales_reps": [
        dict(rep_id="R1", rep_name="Manager Ma", email="ma@example.com", team="T", region="E"),
        dict(
            rep_id="R2",
            rep_name="Rep Li",
            email="li@example.com",
            team="T",
            region="E",
            manager_id="R1",
        ),
        dict(
            rep_id="R3",
            rep_name="Rep Wu",
            email="wu@example.com",
            team="T",
            region="E",
            manager_id="R1",
        ),
    ],
    "accounts": [
        dict(
            account_id="A1",
            account_name="Acme 13800138000",
            region="E",
            channel="direct",
            owner_rep_id="R2",
            created_at=ts("2025-01-10 09:00:00"),
        ),
        dict(
            account_id="A2",
            account_name="Beta",
            region="E",
            channel="direct",
            owner_rep_id="R3",
            created_at=ts("2025-01-10 09:00:00"),
        ),
    ],
    "orders": [
        _order("O1", "A1", "R2", "2026-07-01", "1500"),
        _order("O2", "A1", "R2", "2026-08-25", "200"),
        _order("O3", "A2", "R3", "2026-07-01", "300"),
    ],
    "invoices": [
        dict(
            invoice_id="I1",
            order_id="O1",
            issued_at="2026-07-01",
            due_date="2026-08-01",
            amount="1000",
            currency="CNY",
        ),
        dict(
            invoice_id="I2",
            order_id="O1",
            issued_at="2026-07-01",
            due_date="2026-10-31",
            amount="500",
            currency="CNY",
        ),
    ],
    "payments": [
        dict(
            payment_id="P3",
            order_id="O3",
            paid_at=ts("2026-07-20 10:00:00"),
            amount="300",
            currency="CNY",
        ),
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("overdue_reminders")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in RAW.items()},
        loads={1: AS_OF.isoformat()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["run", "--select", "+fct_overdue_receivables", "+dim_sales_reps"],
        db=db,
        tmp=tmp,
        as_of=AS_OF.isoformat(),
        load_id=1,
    )
    return db


def test_reminder_to_the_rep_and_escalation_to_the_manager_only(warehouse, smtp_server):
    inbox = Inbox()
    channel = email_channel(smtp_server(inbox))
    con = duckdb.connect(str(warehouse))
    try:
        plan = plan_overdue_reminders(con, AS_OF, reminder_days=7, escalate_after_days=30)
        results = deliver(plan.messages, [channel])
        assert all(r.ok for r in results), results
        record_alerted(con, AlertPlan(messages=[], alerted=plan.alerted), AS_OF, 1)
        again = plan_overdue_reminders(con, AS_OF, reminder_days=7, escalate_after_days=30)
        week_later = plan_overdue_reminders(
            con, AS_OF + dt.timedelta(days=7), reminder_days=7, escalate_after_days=30
        )
    finally:
        con.close()
    mails = {tuple(m["rcpt_tos"]): m["message"] for m in inbox.received}
    assert set(mails) == {("li@example.com",), ("ma@example.com",)}
    rep_mail = content(mails[("li@example.com",)].get_body(("plain",)))
    assert "I1" in rep_mail and "60 day(s) overdue" in rep_mail
    assert "O2" in rep_mail and "6 day(s) overdue" in rep_mail
    assert "I2" not in rep_mail and "O3" not in rep_mail
    manager_mail = content(mails[("ma@example.com",)].get_body(("plain",)))
    assert "I1" in manager_mail and "O2" not in manager_mail and "Rep Li" in manager_mail
    for text in (rep_mail, manager_mail):
        assert "13800138000" not in text and "*******8000" in text
    assert mails[("ma@example.com",)]["Subject"].startswith("Escalation")
    # recorded in meta.alert_log: not sent again the same night, reminded a week later
    assert again.messages == []
    assert {m.kind for m in week_later.messages} == {"overdue_reminder", "overdue_escalation"}
