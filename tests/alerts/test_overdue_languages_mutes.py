"""Overdue reminders in each reader's language, the sales-ops summary in the language of each of
its addresses, and muted overdue receivables, for real: a warehouse file holding the marts the
alerts read, the alerts sent by ``send_alerts`` through an SMTP server (aiosmtpd) and recorded in
meta.alert_log / meta.alert_deliveries.

Reps: M1 (en) manages R1 (zh) and R2 (en). As of 2026-10-01, escalation after 30 days:
  SO1 (R1) INV1 due 2026-08-01: 61 days overdue -> R1 (zh), escalated to M1 (en)
  SO2 (R2) INV2 due 2026-08-20: 42 days overdue -> R2, escalated to M1
  SO2 (R2) INV3 due 2026-09-20: 11 days overdue -> R2 only
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from tests.alerts.test_alert_mutes import alert_marts, night

AS_OF = date(2026, 10, 1)
# order, receivable (= invoice), account (a phone in it: masked), rep, due date, amount
RECEIVABLES = [
    ("SO1", "INV1", "华东贸易 13812345678", "R1", date(2026, 8, 1), "1200.50"),
    ("SO2", "INV2", "Beta Ltd", "R2", date(2026, 8, 20), "800.00"),
    ("SO2", "INV3", "Beta Ltd", "R2", date(2026, 9, 20), "300.00"),
]


def build_warehouse(path: Path, nights: list[date]) -> None:
    """The two marts the alerts read, no finding open, the receivables overdue every night."""
    con = alert_marts(path, nights)
    con.execute(
        """create table marts.fct_overdue_receivables (as_of_date date, order_id varchar,
               receivable_id varchar, invoice_id varchar, account_name varchar, rep_id varchar,
               due_date date, days_overdue integer, outstanding decimal(18, 2),
               outstanding_original decimal(18, 2), currency varchar)"""
    )
    for day in nights:
        con.executemany(
            "insert into marts.fct_overdue_receivables "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'CNY')",
            [
                (day, o, r, r, acct, rep, due, (day - due).days, amount, amount)
                for o, r, acct, rep, due, amount in RECEIVABLES
            ],
        )
    con.close()


def write_alerts_file(home: Path, port: int, extra: str = "") -> None:
    home.mkdir(exist_ok=True)
    (home / "alerts.yaml").write_text(
        "channels:\n"
        f"  - {{type: email, host: 127.0.0.1, port: {port}, security: none,\n"
        "     sender: salesops@example.cn, to: [ops-cn@example.cn, 'Ops <ops@example.cn>']}\n"
        "recipients:\n"
        "  - {rep: R1, language: zh}\n"
        "  - {email: ops-cn@example.cn, language: zh}\n" + extra,
        encoding="utf-8",
    )


def test_each_reader_gets_overdue_alerts_and_the_summary_in_their_language(tmp_path, smtp):
    home = tmp_path / "home"
    write_alerts_file(home, smtp.port)
    build_warehouse(home / "w.duckdb", [AS_OF])
    night(home, AS_OF, 1)

    [r1] = smtp.to("r1@example.cn")  # the zh rep: a zh reminder
    assert r1["Subject"] == "逾期应收款：张伟 共 1 笔（2026-10-01）"
    r1_text = smtp.text("r1@example.cn")
    assert "SO1" in r1_text and "INV1" in r1_text and "SO2" not in r1_text
    assert "13812345678" not in r1_text and "*******5678" in r1_text
    [r2] = smtp.to("r2@example.cn")  # the en rep: en
    assert r2["Subject"] == "Overdue receivables: 2 for Li Na (2026-10-01)"
    [m1] = smtp.to("m1@example.cn")  # the en manager of a zh rep: an en escalation
    # days overdue recomputed from the rows: INV1 61, INV2 42, INV3 11 (escalated: >= 30)
    days = {r: (AS_OF - due).days for _, r, _, _, due, _ in RECEIVABLES}
    assert days == {"INV1": 61, "INV2": 42, "INV3": 11}
    escalated = sum(d >= 30 for d in days.values())
    assert m1["Subject"] == (
        f"Escalation: {escalated} receivable(s) of your reps long overdue (2026-10-01)"
    )
    m1_text = smtp.text("m1@example.cn")
    assert "INV1" in m1_text and "INV2" in m1_text and "INV3" not in m1_text
    # the summary: zh to the zh address, en to the other, each once
    [ops_cn] = smtp.to("ops-cn@example.cn")
    [ops_en] = smtp.to("ops@example.cn")
    assert ops_cn["Subject"].startswith("数据质量汇总 2026-10-01")
    assert ops_en["Subject"].startswith("Data quality summary")
    assert [rcpts for rcpts, m in smtp.mails if m is ops_cn] == [["ops-cn@example.cn"]]
    day = home / "alerts" / AS_OF.isoformat()
    assert (day / "ops-summary.json").is_file() and (day / "ops-summary-zh.json").is_file()


def test_a_summary_read_only_in_another_language_is_not_mailed_in_the_default(tmp_path, smtp):
    home = tmp_path / "home"
    write_alerts_file(home, smtp.port, "  - {email: ops@example.cn, language: zh}\n")
    build_warehouse(home / "w.duckdb", [AS_OF])
    night(home, AS_OF, 1)
    [mail] = [m for rcpts, m in smtp.mails if "ops@example.cn" in rcpts]
    assert mail["Subject"].startswith("数据质量汇总")
    assert sorted(next(r for r, m in smtp.mails if m is mail)) == [
        "ops-cn@example.cn",
        "ops@example.cn",
    ]
    assert not [m for _, m in smtp.mails if m["Subject"].startswith("Data quality summary")]
    # the files channel keeps the default-language summary too
    assert (home / "alerts" / AS_OF.isoformat() / "ops-summary.json").is_file()


def test_a_muted_overdue_receivable_is_held_back_listed_audited_and_resent_after(tmp_path, smtp):
    """INV1 muted by its id until 10-03, SO2 (INV2, INV3) by order until 10-20: no reminder,
    no escalation; listed to sales ops and audited; on 10-04 INV1 is reminded again at once
    (its weekly reminder would only be due on 10-08)."""
    home = tmp_path / "home"
    write_alerts_file(home, smtp.port)
    nights = [AS_OF, AS_OF + timedelta(days=2), AS_OF + timedelta(days=3)]
    build_warehouse(home / "w.duckdb", nights)
    (home / "alert_mutes.yaml").write_text(
        "mutes:\n"
        "  - finding: 'overdue:SO1:INV1'\n"
        "    reason: customer pays after the audit, call 13812345678\n"
        "    until: 2026-10-03\n"
        "    by: lin\n"
        "  - {rule: overdue_receivable, record: SO2, reason: disputed delivery,\n"
        "     until: 2026-10-20}\n",
        encoding="utf-8",
    )
    summary = night(home, AS_OF, 1)
    assert summary["muted"] == 3 and summary["overdue_reminders"] == 0
    for person in ("r1@example.cn", "r2@example.cn", "m1@example.cn"):
        assert smtp.to(person) == []
    ops = smtp.text("ops@example.cn")
    assert "Muted (3)" in ops
    assert "[overdue_receivable] receivables SO1 / INV1" in ops
    assert "muted until 2026-10-03 by lin: customer pays after the audit" in ops
    assert "13812345678" not in ops and "*******5678" in ops
    assert "SO2 / INV3" in ops and "disputed delivery" in ops
    assert "已静音（3 条）" in smtp.text("ops-cn@example.cn")
    con = duckdb.connect(str(home / "w.duckdb"), read_only=True)
    audit = con.execute(
        "select message_key, error from meta.alert_deliveries where channel = 'muted' order by 1"
    ).fetchall()
    logged = con.execute("select count(*) from meta.alert_log").fetchone()[0]
    con.close()
    assert [k for k, _ in audit] == ["overdue:SO1:INV1", "overdue:SO2:INV2", "overdue:SO2:INV3"]
    assert audit[0][1].startswith("muted until 2026-10-03 by lin: customer pays")
    assert logged == 0  # nothing was told

    smtp.received.clear()  # 10-03: still muted (until is the last day muted)
    assert night(home, nights[1], 2)["muted"] == 3
    assert smtp.to("r1@example.cn") == []

    smtp.received.clear()  # 10-04: INV1's mute has ended: R1 reminded, M1 escalated; SO2 muted
    summary = night(home, nights[2], 3)
    assert summary["muted"] == 2 and summary["overdue_reminders"] == 1
    assert "INV1" in smtp.text("r1@example.cn")
    assert "INV1" in smtp.text("m1@example.cn") and "INV2" not in smtp.text("m1@example.cn")
    assert smtp.to("r2@example.cn") == []


def test_cli_mutes_an_order_or_one_receivable_and_the_mute_is_read_back(tmp_path):
    from click.testing import CliRunner

    from pipelines.alerts.mutes import read_mutes
    from pipelines.cli import main

    home = tmp_path / "home"
    home.mkdir()
    runner = CliRunner()
    until = (date.today() + timedelta(days=10)).isoformat()
    common = ["--reason", "disputed", "--until", until, "--home", str(home)]
    r = runner.invoke(main, ["alerts", "mute", "SO1", "--overdue", "--receivable", "INV1", *common])
    assert r.exit_code == 0 and "muted finding overdue:SO1:INV1" in r.output, r.output
    r = runner.invoke(main, ["alerts", "mute", "SO2", "--overdue", *common])
    assert r.exit_code == 0 and "rule overdue_receivable, record SO2" in r.output, r.output
    r = runner.invoke(main, ["alerts", "mute", "SO3", "--receivable", "INV9", *common])
    assert r.exit_code != 0 and "--receivable needs --overdue" in r.output
    one, order = read_mutes(home / "alert_mutes.yaml")
    assert (one.finding, one.rule) == ("overdue:SO1:INV1", None)
    assert (order.rule, order.record, order.finding) == ("overdue_receivable", "SO2", None)
    r = runner.invoke(main, ["alerts", "unmute", "SO2", "--home", str(home)])
    assert r.exit_code == 0 and len(read_mutes(home / "alert_mutes.yaml")) == 1
