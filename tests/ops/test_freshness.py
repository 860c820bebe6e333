"""The freshness check: a drop not arrived by the deadline fails the check and alerts once.

Real Dagster: the schedule's tick is evaluated with Dagster's schedule context, and the
check job runs in-process; the alert goes to a real HTTP webhook server.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from pipelines.core.settings import Settings
from pipelines.ops.definitions import build_definitions
from pipelines.ops.freshness import (
    CHECK_NAME,
    JOB_NAME,
    SCHEDULE_NAME,
    expected_business_date,
)
from pipelines.warehouse.schema import ensure_schema
from tests.alerts.test_alert_delivery import Recorder

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def webhook():
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def env(tmp_path, monkeypatch, webhook):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    home, drops = tmp_path / "home", tmp_path / "drops"
    home.mkdir()
    drops.mkdir()
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    monkeypatch.setenv("SALESOPS_INBOX_ROOT", str(drops))
    monkeypatch.setenv("SALESOPS_FRESHNESS_DEADLINE", "07:30")
    monkeypatch.setenv("OPS_HOOK_URL", webhook.url + "/hooks/ops")
    (home / "alerts.yaml").write_text(
        "channels:\n  - type: webhook\n    name: ops-hook\n    url_env: OPS_HOOK_URL\n",
        encoding="utf-8",
    )
    return {"home": home, "drops": drops}


@pytest.fixture
def definitions(env):
    return build_definitions()


def tick(definitions, when: datetime) -> dg.RunRequest:
    schedule = definitions.resolve_schedule_def(SCHEDULE_NAME)
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=definitions.get_repository_def()
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    return request


def check_once(definitions, request: dg.RunRequest) -> dg.AssetCheckEvaluation:
    job = definitions.resolve_job_def(JOB_NAME)
    result = job.execute_in_process(tags=request.tags, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == CHECK_NAME
    return evaluation


def test_the_expected_date_is_the_day_before_the_last_deadline_passed(monkeypatch):
    monkeypatch.setenv("SALESOPS_FRESHNESS_DEADLINE", "07:00")
    settings = Settings()
    # by hand: before 07:00 on 2 October the last deadline was 1 October's (for 30 September)
    assert expected_business_date(datetime(2026, 10, 2, 6, 59, tzinfo=SHANGHAI), settings) == (
        date(2026, 9, 30)
    )
    assert expected_business_date(datetime(2026, 10, 2, 7, 0, tzinfo=SHANGHAI), settings) == (
        date(2026, 10, 1)
    )
    # 23:30 UTC on 1 October is 07:30 on 2 October in Shanghai
    assert expected_business_date(
        datetime(2026, 10, 1, 23, 30, tzinfo=ZoneInfo("UTC")), settings
    ) == (date(2026, 10, 1))
    monkeypatch.setenv("SALESOPS_FRESHNESS_DEADLINE", "7 am")
    with pytest.raises(ValueError, match="not a time of day like 07:00"):
        Settings()


def test_the_schedule_fires_at_the_deadline_in_the_business_timezone(definitions):
    schedule = definitions.resolve_schedule_def(SCHEDULE_NAME)
    assert schedule.cron_schedule == "30 7 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    request = tick(definitions, datetime(2026, 10, 2, 7, 30, tzinfo=SHANGHAI))
    assert request.tags["salesops/business_date"] == "2026-10-01"
    assert request.run_key == "freshness:2026-10-01"


def test_a_missing_drop_fails_the_check_and_alerts_once_per_date(env, definitions, webhook):
    drops = env["drops"]
    first = tick(definitions, datetime(2026, 10, 2, 7, 30, tzinfo=SHANGHAI))
    evaluation = check_once(definitions, first)
    assert evaluation.passed is False
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["state"].value == "missing"
    assert evaluation.metadata["alert_sent_now"].value is True
    assert len(webhook.requests) == 1
    body = webhook.requests[0]["body"]
    assert webhook.requests[0]["path"] == "/hooks/ops"
    assert body["kind"] == "drop_missing"
    assert body["payload"]["as_of_date"] == "2026-10-01"
    assert body["payload"]["deadline"] == "07:30 Asia/Shanghai"
    assert str(drops / "2026-10-01") in body["text"]
    # the files channel keeps it too
    assert (env["home"] / "alerts" / "freshness" / "drop-missing-2026-10-01.json").exists()

    # evaluated again for the same date (a re-run, a manual check): still failing, no new alert
    again = check_once(definitions, first)
    assert again.passed is False and again.metadata["alert_sent_now"].value is False
    assert len(webhook.requests) == 1

    # the next day's drop is there but incomplete (no marker): a new date, one new alert
    (drops / "2026-10-02").mkdir()
    (drops / "2026-10-02" / "accounts.csv").write_text("account_id\n", encoding="utf-8")
    second = tick(definitions, datetime(2026, 10, 3, 7, 30, tzinfo=SHANGHAI))
    evaluation = check_once(definitions, second)
    assert evaluation.passed is False and evaluation.metadata["state"].value == "incomplete"
    assert len(webhook.requests) == 2
    assert webhook.requests[1]["body"]["payload"]["as_of_date"] == "2026-10-02"
    assert "has no _READY marker" in webhook.requests[1]["body"]["text"]

    # the marker arrives: the same date now passes, and nothing is sent
    (drops / "2026-10-02" / "_READY").write_text("", encoding="utf-8")
    passed = check_once(definitions, second)
    assert passed.passed is True and passed.metadata["state"].value == "arrived"
    assert len(webhook.requests) == 2


def test_a_drop_already_loaded_passes(env, definitions, webhook):
    con = duckdb.connect(str(env["home"] / "warehouse.duckdb"))
    ensure_schema(con)
    con.execute(
        "insert into meta.loads values (1, 'r1', ?, 'inbox', now(), now(), 'complete')",
        [date(2026, 10, 1)],
    )
    con.close()
    evaluation = check_once(
        definitions, tick(definitions, datetime(2026, 10, 2, 7, 30, tzinfo=SHANGHAI))
    )
    assert evaluation.passed is True and evaluation.metadata["state"].value == "loaded"
    assert webhook.requests == []
