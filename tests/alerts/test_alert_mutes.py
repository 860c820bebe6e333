"""Muted findings (HOME/alert_mutes.yaml) and each recipient's alert language, for real:
a warehouse file holding the two marts the alerts read, the alerts sent by ``send_alerts``
through an SMTP server (aiosmtpd) and recorded in meta.alert_log / meta.alert_deliveries."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.alerts.defs import send_alerts
from pipelines.alerts.mutes import load_mutes
from pipelines.cli import main
from pipelines.core.settings import Settings
from pipelines.warehouse.schema import ensure_schema

REPS = [
    ("M1", "Wang Min", "m1@example.cn", "East", None),
    ("R1", "张伟", "r1@example.cn", "East", "M1"),
    ("R2", "Li Na", "r2@example.cn", "East", "M1"),
]
# finding id, rule, owner, record, value seen (a phone: masked in every message)
FINDINGS = [
    ("F1", "amount_outlier", "R1", "OP1", "990000"),
    ("F2", "stale_open_opportunity", "R2", "OP2", "x"),
    ("F3", "bant_incomplete", "R1", "OP3", "call 13812345678"),
]


def alert_marts(path: Path, nights: list[date]) -> duckdb.DuckDBPyConnection:
    """A warehouse with the reps and an empty findings mart the alerts read, and one load per
    night; the open connection."""
    con = duckdb.connect(str(path))
    ensure_schema(con)
    con.execute("create schema marts")
    con.execute(
        """create table marts.dim_sales_reps (rep_id varchar, rep_name varchar, email varchar,
               team varchar, manager_id varchar)"""
    )
    con.executemany("insert into marts.dim_sales_reps values (?, ?, ?, ?, ?)", REPS)
    con.execute(
        """create table marts.fct_dq_findings (finding_id varchar, rule varchar, severity varchar,
               entity varchar, record_id varchar, record_name varchar, owner_rep_id varchar,
               column_name varchar, value_seen varchar, message varchar,
               first_seen_load bigint, last_seen_load bigint, is_open boolean)"""
    )
    for load_id, day in enumerate(nights, 1):
        con.execute(
            "insert into meta.loads values (?, ?, ?, 'inbox', now(), now(), 'complete')",
            [load_id, f"run{load_id}", day],
        )
    return con


def build_warehouse(path: Path, nights: list[date]) -> None:
    con = alert_marts(path, nights)
    con.executemany(
        "insert into marts.fct_dq_findings values "
        "(?, ?, 'warn', 'opportunities', ?, ?, ?, 'amount', ?, 'msg', 1, ?, true)",
        [(f, rule, rec, f"Deal {rec}", rep, v, len(nights)) for f, rule, rep, rec, v in FINDINGS],
    )
    con.close()


@pytest.fixture
def home(tmp_path, smtp) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "alerts.yaml").write_text(
        "channels:\n"
        f"  - {{type: email, host: 127.0.0.1, port: {smtp.port}, security: none,\n"
        "     sender: salesops@example.cn, to: [sales-ops@example.cn]}\n",
        encoding="utf-8",
    )
    return home


def night(home: Path, as_of: date, load_id: int) -> dict:
    return send_alerts(
        home / "w.duckdb",
        home=home,
        files_dir=home / "alerts" / as_of.isoformat(),
        settings=Settings(home=str(home)),
        load_id=load_id,
        as_of=as_of,
    )


def test_a_muted_finding_goes_to_sales_ops_not_the_rep_until_it_expires(home, smtp):
    build_warehouse(home / "w.duckdb", [date(2026, 10, 1), date(2026, 10, 5)])
    (home / "alert_mutes.yaml").write_text(
        "mutes:\n"
        "  - finding: F1\n"
        "    reason: amount confirmed with the customer, call 13812345678\n"
        "    until: 2026-10-03\n"
        "    by: lin\n"
        "  - {rule: bant_incomplete, rep: R1, reason: BANT form being redone, until: 2026-10-20}\n",
        encoding="utf-8",
    )
    summary = night(home, date(2026, 10, 1), 1)
    assert summary["muted"] == 2 and summary["new"] == 1  # F2 only
    assert smtp.to("r1@example.cn") == []  # both of R1's findings muted: no digest
    assert "OP2" in smtp.text("r2@example.cn")
    [manager] = smtp.to("m1@example.cn")
    assert "OP1" not in smtp.text("m1@example.cn") and "bant_incomplete" not in smtp.text(
        "m1@example.cn"
    )
    ops = smtp.text("sales-ops@example.cn")
    assert "Muted (2)" in ops
    assert "OP1" in ops and "muted until 2026-10-03 by lin: amount confirmed" in ops
    assert "13812345678" not in ops and "*******5678" in ops  # the reason is masked too
    assert "BANT form being redone" in ops
    con = duckdb.connect(str(home / "w.duckdb"), read_only=True)
    audit = con.execute(
        "select message_key, error from meta.alert_deliveries where channel = 'muted' order by 1"
    ).fetchall()
    logged = {r[0] for r in con.execute("select finding_id from meta.alert_log").fetchall()}
    con.close()
    assert [k for k, _ in audit] == ["F1", "F3"]
    assert audit[0][1].startswith("muted until 2026-10-03 by lin:")
    assert logged == {"F2"}

    # 2026-10-05: F1's mute has ended (until 10-03): R1 is told again; F3 still muted.
    smtp.received.clear()
    summary = night(home, date(2026, 10, 5), 2)
    assert summary["muted"] == 1 and summary["new"] == 1
    r1 = smtp.text("r1@example.cn")
    assert "OP1" in r1 and "OP3" not in r1
    assert "Muted (1)" in smtp.text("sales-ops@example.cn")


def test_an_expired_mute_of_an_alerted_finding_reminds_at_once(home, smtp):
    """F1 was alerted 10-01, muted 10-02..10-04; on 10-05 (before its weekly reminder
    would be due) it is sent again, because its owner has not heard of it since the mute."""
    build_warehouse(home / "w.duckdb", [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)])
    night(home, date(2026, 10, 1), 1)
    (home / "alert_mutes.yaml").write_text(
        "mutes:\n  - {finding: F1, reason: checking, until: 2026-10-04}\n", encoding="utf-8"
    )
    smtp.received.clear()
    night(home, date(2026, 10, 2), 2)
    assert smtp.to("r1@example.cn") == []
    summary = night(home, date(2026, 10, 5), 3)
    assert summary["reminders"] == 1 and "OP1" in smtp.text("r1@example.cn")


def test_a_malformed_mutes_file_is_reported_with_its_line_and_mutes_nothing(home, smtp):
    build_warehouse(home / "w.duckdb", [date(2026, 10, 1)])
    (home / "alert_mutes.yaml").write_text(
        "mutes:\n  - finding: F1\n    until: 2026-10-09\n  - finding: F2\n    reason: ok\n"
        "    until: next week\n",
        encoding="utf-8",
    )
    error = load_mutes(home / "alert_mutes.yaml").error
    assert "alert_mutes.yaml:2: mutes[0].reason: Field required" in error
    assert "alert_mutes.yaml:6: mutes[1].until" in error
    assert "Fix: each item of `mutes:` needs `reason:`" in error
    summary = night(home, date(2026, 10, 1), 1)
    # nothing muted: every rep gets their findings; sales ops are told why
    assert summary["muted"] == 0 and summary["new"] == 3
    assert "OP1" in smtp.text("r1@example.cn")
    ops = smtp.text("sales-ops@example.cn")
    assert "nothing is muted tonight" in ops and "alert_mutes.yaml:2" in ops
    con = duckdb.connect(str(home / "w.duckdb"), read_only=True)
    [(ok, err)] = con.execute(
        "select ok, error from meta.alert_deliveries where channel = 'muted'"
    ).fetchall()
    con.close()
    assert not ok and "alert_mutes.yaml:6" in err


def test_cli_mute_lists_and_unmutes(tmp_path):
    home = tmp_path / "home"
    runner = CliRunner()
    common = ["--home", str(home)]
    home.mkdir()
    (home / "alert_mutes.yaml").write_text(
        "# kept by sales ops\nmutes:\n"
        "  - {finding: F1, reason: disputed, until: 2026-01-10, by: lin}\n",
        encoding="utf-8",
    )
    # a mute that has already ended cannot be written
    r = runner.invoke(
        main, ["alerts", "mute", "F9", "--reason", "x", "--until", "2020-01-01"] + common
    )
    assert r.exit_code != 0 and "before since" in r.output
    in_90_days = (date.today() + timedelta(days=90)).isoformat()
    r = runner.invoke(
        main,
        ["alerts", "mute", "OP7", "--rule", "amount_outlier", "--reason", "tender"]
        + ["--until", in_90_days]
        + common,
    )
    assert r.exit_code == 0, r.output
    # a mute needs a reason, and may not last for ever
    r = runner.invoke(main, ["alerts", "mute", "F2", "--reason", " "] + common)
    assert r.exit_code != 0 and "reason" in r.output
    r = runner.invoke(
        main, ["alerts", "mute", "F2", "--reason", "x", "--until", "2099-01-01"] + common
    )
    assert r.exit_code != 0 and "180 days" in r.output
    text = (home / "alert_mutes.yaml").read_text(encoding="utf-8")
    assert text.startswith("# kept by sales ops\n")  # appended: the file's comments stay
    assert "record: OP7" in text and "F2" not in text and "F9" not in text
    r = runner.invoke(main, ["alerts", "mutes"] + common)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("EXPIRED until 2026-01-10  finding F1  by lin: disputed")
    assert lines[1].startswith("active ") and "rule amount_outlier, record OP7" in lines[1]
    r = runner.invoke(main, ["alerts", "unmute", "OP7"] + common)
    assert r.exit_code == 0 and "unmuted rule amount_outlier, record OP7" in r.output
    r = runner.invoke(main, ["alerts", "mutes"] + common)
    assert "1 mute(s)" in r.output and "OP7" not in r.output


def test_each_rep_gets_their_own_language(home, smtp):
    build_warehouse(home / "w.duckdb", [date(2026, 10, 1)])
    with (home / "alerts.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "recipients:\n  - {rep: R1, language: zh}\n  - {email: m1@example.cn, language: zh}\n"
        )
    night(home, date(2026, 10, 1), 1)
    [r1] = smtp.to("r1@example.cn")
    [r2] = smtp.to("r2@example.cn")
    [m1] = smtp.to("m1@example.cn")
    [ops] = smtp.to("sales-ops@example.cn")
    assert r1["Subject"].startswith("数据质量提醒：张伟")
    assert "*******5678" in smtp.text("r1@example.cn")  # masked in Chinese too
    assert r2["Subject"].startswith("Data quality: 1 new, 0 reminder(s) for Li Na")
    assert m1["Subject"].startswith("数据质量，East")
    assert ops["Subject"].startswith("Data quality summary")  # the default: en


def test_an_unknown_recipient_language_names_its_line(tmp_path):
    from pipelines.alerts.recipients import load_languages
    from pipelines.core.errors import SalesOpsError

    path = tmp_path / "alerts.yaml"
    path.write_text("channels: []\nrecipients:\n  - {rep: R1, language: fr}\n", encoding="utf-8")
    with pytest.raises(SalesOpsError, match=r"alerts.yaml:3: recipients\[0\].*'fr'"):
        load_languages(path, "en")
