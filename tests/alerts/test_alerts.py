"""Data-quality alerts: who gets what, night after night, in English and 中文, for real.

The lifecycle tests build the two marts the alerts read (fct_dq_findings, dim_sales_reps) by
hand in a real DuckDB file, so every expected message is known in advance. The last test
runs the real nightly job on a demo drop with an SMTP server (aiosmtpd) as the channel.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.alerts.digest import RULES_FILE, plan_alerts, record_alerted
from pipelines.warehouse.schema import ensure_schema
from tests.support.smtp import Inbox, free_port, serving

ROOT = Path(__file__).resolve().parents[2]

REPS = [
    # rep_id, name, email, team, manager_id
    ("M1", "Wang Min", "m1@example.cn", "East", None),
    ("R1", "张伟", "r1@example.cn", "East", "M1"),
    ("R2", "Li Na", "r2@example.cn", "East", "M1"),
    ("R3", "Zhao Lei", "r3@example.cn", "North", "M1"),
]


def finding(fid, rule, owner, record, first, last, is_open, severity="warn", value="x"):
    return (
        fid,
        rule,
        severity,
        "opportunities",
        record,
        f"Deal {record}",
        owner,
        "amount",
        value,
        "msg",
        first,
        last,
        is_open,
    )


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(c)
    c.execute("create schema marts")
    c.execute(
        """create table marts.dim_sales_reps (rep_id varchar, rep_name varchar, email varchar,
               team varchar, manager_id varchar)"""
    )
    c.executemany("insert into marts.dim_sales_reps values (?, ?, ?, ?, ?)", REPS)
    c.execute(
        """create table marts.fct_dq_findings (finding_id varchar, rule varchar, severity varchar,
               entity varchar, record_id varchar, record_name varchar, owner_rep_id varchar,
               column_name varchar, value_seen varchar, message varchar,
               first_seen_load bigint, last_seen_load bigint, is_open boolean)"""
    )
    yield c
    c.close()


def night(con, load_id: int, as_of: date, findings: list[tuple]) -> None:
    """One nightly state: the load, and fct_dq_findings as dbt would leave it."""
    con.execute(
        "insert into meta.loads values (?, ?, ?, 'inbox', now(), now(), 'complete')",
        [load_id, f"run{load_id}", as_of],
    )
    con.execute("delete from marts.fct_dq_findings")
    con.executemany(
        "insert into marts.fct_dq_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", findings
    )


def by_key(plan):
    return {m.key: m for m in plan.messages}


def ids(message, status):
    return sorted(f["finding_id"] for f in message.payload["findings"] if f["status"] == status)


def test_findings_are_sent_once_reminded_weekly_and_reported_fixed(con):
    # Night 1: F1 (R1), F2 (R2) and F3 (nobody's: owner X9 is no rep) are new.
    night(
        con,
        1,
        date(2026, 10, 1),
        [
            finding("F1", "amount_outlier", "R1", "OP1", 1, 1, True, value="990000"),
            finding("F2", "stale_open_opportunity", "R2", "OP2", 1, 1, True),
            finding("F3", "missing_fx_rate", "X9", "OP3", 1, 1, True),
        ],
    )
    plan = plan_alerts(con, date(2026, 10, 1), reminder_days=7)
    msgs = by_key(plan)
    assert sorted(msgs) == ["ops-summary", "rep-R1", "rep-R2", "team-East"]
    assert ids(msgs["rep-R1"], "new") == ["F1"] and msgs["rep-R1"].recipients == ["r1@example.cn"]
    assert ids(msgs["rep-R2"], "new") == ["F2"]
    assert msgs["team-East"].recipients == ["m1@example.cn"]  # the manager of R1 and R2
    assert ids(msgs["ops-summary"], "unowned") == ["F3"]
    r1 = msgs["rep-R1"]
    assert "OP1" in r1.text and "990000" in r1.text and "Deal OP1" in r1.text
    assert "a stray zero" in r1.text  # the rule's description from expectations/rules.yml
    assert r1.subject == "Data quality: 1 new, 0 reminder(s) for 张伟 (2026-10-01)"
    assert plan.counts == {"open": 3, "new": 3, "reminders": 0, "fixed": 0}
    record_alerted(con, plan, date(2026, 10, 1), 1)

    # Night 2: F1 still open (already alerted: quiet), F2 fixed, F4 new for R1.
    night(
        con,
        2,
        date(2026, 10, 2),
        [
            finding("F1", "amount_outlier", "R1", "OP1", 1, 2, True),
            finding("F2", "stale_open_opportunity", "R2", "OP2", 1, 1, False),
            finding("F3", "missing_fx_rate", "X9", "OP3", 1, 2, True),
            finding("F4", "bant_incomplete", "R1", "OP4", 2, 2, True),
        ],
    )
    plan = plan_alerts(con, date(2026, 10, 2), reminder_days=7)
    msgs = by_key(plan)
    assert sorted(msgs) == ["ops-summary", "rep-R1", "team-East"]  # R2: nothing new, no mail
    assert ids(msgs["rep-R1"], "new") == ["F4"] and ids(msgs["rep-R1"], "reminders") == []
    assert msgs["rep-R1"].payload["open_count"] == 2  # F1 and F4
    assert plan.counts == {"open": 3, "new": 1, "reminders": 0, "fixed": 1}
    assert msgs["ops-summary"].payload["fixed"] == 1
    record_alerted(con, plan, date(2026, 10, 2), 2)

    # Night 3, a week after night 1: F1 (alerted 10-01) is due a reminder; F4 (10-02) not yet.
    night(
        con,
        3,
        date(2026, 10, 8),
        [
            finding("F1", "amount_outlier", "R1", "OP1", 1, 3, True),
            finding("F2", "stale_open_opportunity", "R2", "OP2", 1, 1, False),  # kept, closed
            finding("F3", "missing_fx_rate", "X9", "OP3", 1, 3, True),
            finding("F4", "bant_incomplete", "R1", "OP4", 2, 3, True),
        ],
    )
    plan = plan_alerts(con, date(2026, 10, 8), reminder_days=7)
    msgs = by_key(plan)
    assert ids(msgs["rep-R1"], "reminders") == ["F1"] and ids(msgs["rep-R1"], "new") == []
    assert "open since 2026-10-01" in msgs["rep-R1"].text
    # F2 was reported fixed once; it is not reported again.
    assert plan.counts["fixed"] == 0
    # Trend: open on 2026-10-01 (a week before): F1, F2, F3 -> 3; open now 3.
    assert msgs["ops-summary"].payload["week_ago"] == 3
    record_alerted(con, plan, date(2026, 10, 8), 3)
    log = dict(con.execute("select finding_id, times_alerted from meta.alert_log").fetchall())
    # F3 (nobody's, listed to sales ops on night 1) is due a reminder too.
    assert log == {"F1": 2, "F2": 1, "F3": 2, "F4": 1}


def test_a_rule_routed_to_sales_ops_skips_the_owners_digest(con):
    """expectations/rules.yml routes some rules to sales ops (a rep's own unreasonable target,
    a rep without a team): such a finding has an owner, but it goes to the sales-ops summary,
    never to the owner's digest or the manager's roll-up."""
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    ops_rule = next(r for r, e in rules.items() if e["routes_to"] == "sales_ops")
    night(
        con,
        1,
        date(2026, 10, 1),
        [
            finding("F1", "amount_outlier", "R1", "OP1", 1, 1, True),
            finding("F2", ops_rule, "R1", "OP2", 1, 1, True),
        ],
    )
    msgs = by_key(plan_alerts(con, date(2026, 10, 1)))
    assert ids(msgs["rep-R1"], "new") == ["F1"]
    assert "F2" not in msgs["team-East"].text
    assert ids(msgs["ops-summary"], "unowned") == ["F2"]


def test_a_fixed_finding_that_comes_back_is_new_again(con):
    night(con, 1, date(2026, 10, 1), [finding("F1", "amount_outlier", "R3", "OP1", 1, 1, True)])
    record_alerted(con, plan_alerts(con, date(2026, 10, 1)), date(2026, 10, 1), 1)
    night(con, 2, date(2026, 10, 2), [finding("F1", "amount_outlier", "R3", "OP1", 1, 1, False)])
    record_alerted(con, plan_alerts(con, date(2026, 10, 2)), date(2026, 10, 2), 2)
    night(con, 3, date(2026, 10, 3), [finding("F1", "amount_outlier", "R3", "OP1", 1, 3, True)])
    plan = plan_alerts(con, date(2026, 10, 3))
    assert ids(by_key(plan)["rep-R3"], "new") == ["F1"]


def test_chinese_alerts(con):
    night(
        con,
        1,
        date(2026, 10, 1),
        [finding("F1", "stale_open_opportunity", "R1", "OP1", 1, 1, True)],
    )
    plan = plan_alerts(con, date(2026, 10, 1), lang="zh")
    r1 = by_key(plan)["rep-R1"]
    assert r1.subject == "数据质量提醒：张伟 有 1 条新问题、0 条待处理提醒（2026-10-01）"
    assert "商机预计成交日期已过仍未关闭" in r1.text and "更新预计成交日期或关闭商机" in r1.text
    assert '<html lang="zh-CN">' in r1.html


def test_alert_strings_have_the_same_keys_in_every_language():
    tables = {}
    for path in sorted((ROOT / "reports" / "i18n" / "alerts").glob("*.toml")):
        with path.open("rb") as fh:
            tables[path.stem] = set(_flat(tomllib.load(fh)))
    assert set(tables) == {"en", "zh"} and tables["en"] == tables["zh"]


def _flat(table, prefix=""):
    for k, v in table.items():
        if isinstance(v, dict):
            yield from _flat(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


# ------------------------------------------------------------------ real run + SMTP


@pytest.mark.e2e
def test_the_nightly_run_emails_each_owner_and_preview_sends_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipelines.cli import main
    from pipelines.demo import generate_drop
    from pipelines.ops.runner import run_nightly

    with serving(Inbox()) as smtp:
        received = smtp.received
        home = tmp_path / "home"
        home.mkdir()
        (home / "alerts.yaml").write_text(
            "channels:\n"
            f"  - {{type: email, host: 127.0.0.1, port: {smtp.port}, security: none,\n"
            "     sender: salesops@example.cn, to: [sales-ops@example.cn]}\n"
            # A webhook nobody listens on: its failure is reported, the run still succeeds.
            f"  - {{type: webhook, name: dead-hook, url_env: DEAD_HOOK, kinds: [ops_summary]}}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("DEAD_HOOK", f"http://127.0.0.1:{free_port()}/hook")
        inbox = tmp_path / "inbox"
        as_of = date(2026, 9, 30)
        generate_drop(inbox, seed=5, scale=0.3, end_date=as_of)
        summary = run_nightly(inbox=inbox, home=home, as_of=as_of, echo=False)
        assert summary["status"] == "success"

        con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
        # every owner of an open finding, but for the rules routed to sales ops (rules.yml)
        rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
        to_ops = [r for r, e in rules.items() if e["routes_to"] == "sales_ops"]
        owners = dict(
            con.execute(
                """select r.rep_id, r.email from marts.fct_dq_findings f
                   join marts.dim_sales_reps r on r.rep_id = f.owner_rep_id
                   where f.is_open and not list_contains(?, f.rule) group by all""",
                [to_ops],
            ).fetchall()
        )
        deliveries = con.execute(
            "select count(*), count(*) filter (where not ok) from meta.alert_deliveries"
        ).fetchall()[0]
        con.close()
        assert owners, "the demo drop has owned findings"
        to_rep = {
            rcpt
            for rcpts, mail in smtp.mails
            for rcpt in rcpts
            if mail["Subject"].startswith("Data quality:")
        }
        # Every owner with an open finding got their digest, at their own address.
        assert to_rep == {e for e in owners.values() if e}
        # Only the dead webhook failed (once: the ops summary, after its retries).
        assert deliveries[1] == 1 and deliveries[0] >= len(to_rep) + 2  # + ops summary twice
        day_dir = home / "alerts" / as_of.isoformat()
        assert (day_dir / "ops-summary.json").is_file()
        assert {p.stem for p in day_dir.glob("rep-*.json")} == {f"rep-{r}" for r in owners}
        # The run summary reports the deliveries per channel (email and the files channel).
        per_channel = {d["channel"]: d for d in summary["alert_deliveries"]}
        assert set(per_channel) == {"email", "files", "dead-hook"}
        assert sum(d["delivered"] for d in per_channel.values()) == deliveries[0] - 1
        assert per_channel["dead-hook"]["failed"] == 1
        assert "ops-summary" in per_channel["dead-hook"]["failures"][0]

        sent = len(received)
        out = tmp_path / "preview"
        result = CliRunner().invoke(
            main, ["alerts", "preview", "--home", str(home), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "Nothing was sent" in result.output
        assert len(received) == sent
        # Tonight's findings were all alerted by the run: the preview has no new ones.
        assert "0 new" in result.output
        assert (out / "ops-summary.txt").is_file()


def test_a_failed_run_alerts_the_channels(tmp_path, monkeypatch):
    """A nightly run that fails (here: an unknown profile) posts a run_failure alert to the
    webhook and writes it to HOME/alerts/failures/."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pipelines.ops.runner import run_nightly

    posted = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TEST_FAILURE_HOOK", f"http://127.0.0.1:{server.server_port}/hook")
        home = tmp_path / "home"
        home.mkdir()
        (home / "alerts.yaml").write_text(
            "channels:\n  - {type: webhook, url_env: TEST_FAILURE_HOOK, kinds: [run_failure]}\n",
            encoding="utf-8",
        )
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        summary = run_nightly(
            inbox=inbox, home=home, as_of=date(2026, 9, 30), echo=False, profile="no_such_crm"
        )
    finally:
        server.shutdown()
    assert summary["status"] != "success"
    [body] = posted
    assert body["kind"] == "run_failure"
    assert body["payload"]["step"] == summary["failed_step"]
    assert "no_such_crm" in body["payload"]["error"]
    assert body["subject"].startswith("SalesOps nightly run FAILED (2026-09-30)")
    [written] = list((home / "alerts" / "failures").glob("run-failure-*.json"))
    assert json.loads(written.read_text())["run_id"] == summary["run_id"]


def test_the_dagster_run_failure_sensor_alerts(tmp_path, monkeypatch):
    """The daemon's path: the run_failure_alert sensor, evaluated on a real failed run."""
    import dagster as dg

    from pipelines.alerts.defs import build_run_failure_sensor
    from pipelines.core.settings import Settings

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SALESOPS_HOME", str(home))

    @dg.op
    def load_accounts():
        raise dg.Failure("accounts.csv could not be read")

    @dg.job
    def nightly_load():
        load_accounts()

    instance = dg.DagsterInstance.ephemeral()
    result = nightly_load.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    sensor = build_run_failure_sensor(nightly_load, dg.DefaultSensorStatus.STOPPED, Settings())
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    sensor(context)
    [written] = list((home / "alerts" / "failures").glob("run-failure-*.json"))
    alert = json.loads(written.read_text())
    assert alert["run_id"] == result.run_id and alert["step"] == "load_accounts"
    assert "accounts.csv could not be read" in alert["error"]
    # the run had no warehouse resource to record it: the sensor leaves its meta.runs row
    # pending for the next run that publishes (pipelines/warehouse/runs.py)
    record = json.loads((home / "runs" / result.run_id / "run_record.json").read_text())
    assert (record["status"], record["failed_step"]) == ("failed", "load_accounts")
    assert "accounts.csv could not be read" in record["error"]
