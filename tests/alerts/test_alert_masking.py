"""Alerts mask contact details: rep digests, manager roll-ups and the sales-ops summary, as
received by a real SMTP server (aiosmtpd) and as written by the files channel.

The two marts the alerts read are built by hand in a real DuckDB file; record names and values
seen carry hostile contact details (phones glued to CJK, dotted, full-width, with a country
code; Unicode and spelled-out emails)."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date

import duckdb
import pytest

from pipelines.alerts.channels import EmailChannel, FilesChannel
from pipelines.alerts.defs import run_failure_message
from pipelines.alerts.delivery import deliver
from pipelines.alerts.digest import plan_alerts
from pipelines.warehouse.schema import ensure_schema
from tests.support.smtp import Inbox, serving

#: Hostile values: what a reader must never see whole (digits / the email's local part).
PHONES = {
    "联系人张先生13812345678": "13812345678",
    "转介绍-李13611112222": "13611112222",
    "tel 138.1234.5678": "13812345678",
    "（０２１）６２３４－５６７８": "02162345678",
    "+44 20 7946 0958": "442079460958",
}
EMAILS = {"张三@例子.中国": "张三", "wang [at] example [dot] com": "wang"}
REPS = [
    ("M1", "Wang Min", "m1@example.cn", "East", None),
    ("R1", "张伟", "r1@example.cn", "East", "M1"),
    ("R2", "Li Na", "r2@example.cn", "East", "M1"),
]


def readable(text: str) -> str:
    """``text`` as a reader reads digits: NFKC, every decimal digit ASCII, and separators
    between digits dropped (``138.1234.5678`` -> ``13812345678``)."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        d = unicodedata.decimal(ch, None)
        out.append(str(d) if d is not None else ch)
    flat = "".join(out)
    for _ in range(3):
        flat = re.sub(r"(?<=\d)[ .\-/()\u3000]{1,3}(?=\d)", "", flat)
    return flat


def assert_no_contacts(text: str, where: str) -> None:
    flat = readable(text)
    for raw, digits in PHONES.items():
        assert digits not in flat, f"{raw!r} shown in {where}"
    for raw, local in EMAILS.items():
        assert f"{local}@" not in flat and raw not in text, f"{raw!r} shown in {where}"


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
    c.execute(
        "insert into meta.loads values (1, 'run1', date '2026-10-01', 'inbox', now(), now(),"
        " 'complete')"
    )
    hostile = [*PHONES, *EMAILS]
    owners = ["R1", "R2", "X9"]  # X9 is nobody: the ops summary lists it as unowned
    rows = [
        (
            f"F{i}",
            "phone_malformed",
            "warn",
            "accounts",
            f"A{i:03d}",
            hostile[i],
            owners[i % 3],
            "phone",
            hostile[-1 - i],
            "see rule",
            1,
            1,
            True,
        )
        for i in range(len(hostile))
    ]
    c.executemany(
        "insert into marts.fct_dq_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    yield c
    c.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_alerts_as_received_show_no_contact_details(con, tmp_path, lang):
    plan = plan_alerts(con, date(2026, 10, 1), lang=lang)
    kinds = {m.kind for m in plan.messages}
    assert kinds == {"rep_digest", "manager_rollup", "ops_summary"}
    with serving(Inbox()) as inbox:
        channels = [
            EmailChannel(
                host="127.0.0.1",
                port=inbox.port,
                security="none",
                sender="salesops@example.com",
                to=["ops@example.com"],
                timeout_seconds=5,
            ),
            FilesChannel(directory=tmp_path / "alerts"),
        ]
        results = deliver(plan.messages, channels, attempts=1)
    assert all(r.ok for r in results)
    assert len(inbox.received) == len(plan.messages)
    for _, mail in inbox.mails:
        assert_no_contacts(
            mail.as_bytes().decode("utf-8", "replace"), f"raw mail {mail['Subject']}"
        )
        for part in mail.walk():
            if not part.is_multipart():
                assert_no_contacts(
                    part.get_content(), f"{part.get_content_type()} of {mail['Subject']}"
                )
    files = sorted((tmp_path / "alerts").iterdir())
    assert files
    for path in files:
        assert_no_contacts(path.read_text(encoding="utf-8"), path.name)
    # The rep still finds the record: its id and the masked value's last four digits.
    digest = next(m for m in plan.messages if m.kind == "rep_digest" and m.key == "rep-R1")
    assert "A000" in digest.text and "*******5678" in digest.text
    findings = json.loads(next(p for p in files if p.name == "ops-summary.json").read_text())
    assert findings["findings"], "the unowned findings are listed in the summary"


def test_a_run_failure_quoting_a_crm_value_is_masked():
    message = run_failure_message(
        "abcdef123456",
        "nightly",
        "load",
        "bad phone '联系人张先生13812345678' in row 7",
        "2026-10-01",
    )
    assert_no_contacts(message.text, "text")
    assert_no_contacts(json.dumps(message.payload, ensure_ascii=False), "payload")
    assert "*******5678" in message.text
