"""`salesops status`: the schedule's next fire times, automation on/off, the sensor's inbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.settings import Settings
from pipelines.ops.status import format_status, next_fire_times
from pipelines.warehouse.schema import ensure_schema

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def env(tmp_path, monkeypatch):
    # weekdays at 03:15 Berlin time; summer time ends on Sunday 2026-10-25
    monkeypatch.setenv("SALESOPS_NIGHTLY_CRON", "15 3 * * 1-5")
    monkeypatch.setenv("SALESOPS_SCHEDULE_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SALESOPS_INBOX_ROOT", str(tmp_path / "drops"))
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESOPS_AUTOMATION_ON", "true")
    monkeypatch.delenv("SALESOPS_STABLE_MINUTES", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path


def tick_line(t: datetime) -> str:
    return f"    {t:%a %Y-%m-%d %H:%M %Z (UTC%z)}"


def test_next_three_ticks_in_the_schedules_zone(env):
    settings = Settings()
    now = datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)  # Friday morning, after its 03:15 run
    ticks = next_fire_times(settings.nightly_cron, settings.schedule_timezone, now)
    # by hand: Saturday and Sunday skipped; Monday on is winter time (UTC+1, not +2)
    expected = [datetime(2026, 10, d, 3, 15, tzinfo=BERLIN) for d in (26, 27, 28)]
    assert ticks == expected
    assert [t.utcoffset().total_seconds() / 3600 for t in ticks] == [1, 1, 1]
    assert [t.astimezone(UTC).hour for t in ticks] == [2, 2, 2]
    assert all(t.tzinfo is not None and t.tzname() == "CET" for t in ticks)

    # "now" given in another zone is the same instant; a tick at exactly "now" is not next
    on_a_tick = datetime(2026, 10, 22, 1, 15, tzinfo=UTC)  # Thursday 03:15 CEST
    assert next_fire_times(settings.nightly_cron, settings.schedule_timezone, on_a_tick) == [
        datetime(2026, 10, 23, 3, 15, tzinfo=BERLIN),
        datetime(2026, 10, 26, 3, 15, tzinfo=BERLIN),
        datetime(2026, 10, 27, 3, 15, tzinfo=BERLIN),
    ]


def test_status_shows_schedule_automation_and_the_newest_drop(env):
    home = env / "home"
    drops = env / "drops"
    for name in ("2026-10-21", "2026-10-22", "not-a-date"):
        (drops / name).mkdir(parents=True)
    (drops / "2026-10-21" / "_READY").write_text("")
    (drops / "2026-10-22" / "accounts.csv").write_text("account_id\n")
    (drops / "2026-10-22" / "orders.csv").write_text("order_id\n")
    now = datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)

    out = format_status(home, now=now)
    lines = out.splitlines()
    assert "automation: on (SALESOPS_AUTOMATION_ON=true" in out
    at = lines.index("  nightly_load_schedule: '15 3 * * 1-5' in Europe/Berlin; next runs:")
    assert lines[at + 1 : at + 4] == [
        tick_line(datetime(2026, 10, d, 3, 15, tzinfo=BERLIN)) for d in (26, 27, 28)
    ]
    assert lines[at + 1] == "    Mon 2026-10-26 03:15 CET (UTC+0100)"
    assert f"  inbox_sensor: watches {drops}" in lines
    assert (
        f"    newest drop: {drops / '2026-10-22'}: 2 file(s), still arriving "
        "(no _READY marker yet), not loaded yet"
    ) in lines

    # the drop is complete, and a load of its business date is in the warehouse
    (drops / "2026-10-22" / "_READY").write_text("")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    ensure_schema(con)
    con.execute(
        "insert into meta.loads values (7, 'r7', ?, 'inbox', now(), now(), 'complete')",
        [date(2026, 10, 22)],
    )
    con.close()
    out = format_status(home, now=now)
    assert (
        f"    newest drop: {drops / '2026-10-22'}: 2 file(s), complete, "
        "business date already loaded (load 7)"
    ) in out.splitlines()


def test_status_when_automation_is_off_and_nothing_waits(env, monkeypatch):
    monkeypatch.setenv("SALESOPS_AUTOMATION_ON", "false")
    monkeypatch.setenv("SALESOPS_NIGHTLY_CRON", "0 2 * * *")
    monkeypatch.setenv("SALESOPS_SCHEDULE_TIMEZONE", "Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)  # 02:30 on 1 January in Shanghai
    out = format_status(env / "home", now=now)
    assert "automation: off (SALESOPS_AUTOMATION_ON=false" in out
    for day in ((2027, 1, 2), (2027, 1, 3), (2027, 1, 4)):
        assert tick_line(datetime(*day, 2, 0, tzinfo=shanghai)) in out.splitlines()
    assert "    (only if the schedule is turned on)" in out
    assert "    newest drop: none (the folder does not exist yet)" in out


def test_a_bad_cron_is_reported_not_raised(env, monkeypatch):
    monkeypatch.setenv("SALESOPS_NIGHTLY_CRON", "every night")
    out = format_status(env / "home", now=datetime(2026, 10, 23, tzinfo=UTC))
    assert "SALESOPS_NIGHTLY_CRON 'every night' is not a five-field cron expression" in out


def test_salesops_status_prints_the_next_runs(env):
    result = CliRunner().invoke(main, ["status", "--home", str(env / "home")])
    assert result.exit_code == 0, result.output
    assert "nightly_load_schedule: '15 3 * * 1-5' in Europe/Berlin; next runs:" in result.output
    now = datetime.now(UTC)
    first = next_fire_times("15 3 * * 1-5", "Europe/Berlin", now)[0]
    assert first > now and first.astimezone(BERLIN).hour == 3


def test_status_shows_the_next_freshness_check(env, monkeypatch):
    monkeypatch.setenv("SALESOPS_FRESHNESS_DEADLINE", "07:00")
    now = datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)  # 16:00 in Shanghai
    out = format_status(env / "home", now=now)
    # by hand: today's 07:00 in Shanghai has passed; the next is Saturday's, for Friday
    assert (
        "  drop_freshness_schedule: a drop is due by 07:00 Asia/Shanghai the day after its "
        "business date; next check Sat 2026-10-24 07:00 CST (for 2026-10-23)"
    ) in out.splitlines()
