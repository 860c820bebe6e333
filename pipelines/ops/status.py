"""`salesops status`: the last runs (meta.runs, plus failed runs not recorded there yet),
open findings, whether a run is writing now, when the schedules fire next and what waits
in the sensor's inbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from pipelines.core.errors import WarehouseBusy
from pipelines.core.settings import Settings
from pipelines.ops.automation import is_complete
from pipelines.ops.freshness import deadline_cron
from pipelines.warehouse import lock
from pipelines.warehouse.resource import WAREHOUSE_FILE
from pipelines.warehouse.runs import RunRecord, last_runs

#: How many upcoming schedule ticks `salesops status` lists.
NEXT_TICKS = 3


def run_line(r: RunRecord, zone: ZoneInfo) -> str:
    """One run of `salesops status`: when, business date, outcome, rows, findings, time."""
    started = r.started_at.astimezone(zone)
    rows_in = sum(e.get("rows_in") or 0 for e in r.entities)
    quarantined = sum(e.get("rows_quarantined") or 0 for e in r.entities)
    if r.status == "succeeded":
        detail = f"load {r.load_id}, {rows_in:,} rows in, {quarantined:,} quarantined"
        if r.findings_open is not None:
            detail += f", findings {r.findings_open:,} open / {r.findings_new:,} new"
    else:
        first = str(r.error or "").splitlines()[0] if r.error else "unknown error"
        detail = f"failed at {r.failed_step}: {first}"
        if r.pending:
            detail += " (not in meta.runs yet: recorded by the next run that publishes)"
    return (
        f"  {started:%Y-%m-%d %H:%M %Z}  {r.run_id}  {r.status:<9} business date "
        f"{r.business_date}  {detail}  ({r.seconds:.0f}s)"
    )


def open_findings(home: Path) -> list[tuple[str, str, int]]:
    warehouse = home / WAREHOUSE_FILE
    if not warehouse.exists():
        return []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            """select severity, rule, count(*) from marts.fct_dq_findings where is_open
               group by all order by severity, count(*) desc, rule"""
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def is_writing(home: Path) -> bool:
    if not home.exists():
        return False
    try:
        handle = lock.acquire(home)
    except WarehouseBusy:
        return True
    lock.release(handle)
    return False


def next_fire_times(
    cron: str, timezone: str, now: datetime, count: int = NEXT_TICKS
) -> list[datetime]:
    """The next ``count`` ticks of ``cron`` after ``now``, in ``timezone``.

    Computed by Dagster's own cron iterator (the one its daemon uses), so daylight-saving
    gaps and repeats come out as the schedule really fires.
    """
    from dagster._utils.schedules import is_valid_cron_string, schedule_execution_time_iterator

    if not is_valid_cron_string(cron):
        raise ValueError(f"SALESOPS_NIGHTLY_CRON {cron!r} is not a five-field cron expression")
    ticks = schedule_execution_time_iterator(now.timestamp(), cron, timezone)
    upcoming: list[datetime] = []
    for tick in ticks:
        if tick > now:
            upcoming.append(tick)
        if len(upcoming) == count:
            return upcoming
    return upcoming


def newest_drop(settings: Settings, now: float | None = None) -> dict[str, Any] | None:
    """The newest drop folder (named YYYY-MM-DD) in the sensor's inbox root, if any."""

    root = settings.inbox_root_path
    if not root.is_dir():
        return None
    dated = []
    for folder in root.iterdir():
        try:
            dated.append((date.fromisoformat(folder.name), folder))
        except ValueError:
            continue
    dated = [(d, f) for d, f in dated if f.is_dir()]
    if not dated:
        return None
    as_of, folder = max(dated)
    files = [p for p in folder.iterdir() if p.is_file() and p.name != settings.ready_marker]
    now = datetime.now(UTC).timestamp() if now is None else now
    return {
        "as_of_date": as_of,
        "folder": folder,
        "files": len(files),
        "complete": is_complete(folder, settings, now),
    }


def load_of_date(home: Path, as_of: date) -> int | None:
    """The latest complete load of business date ``as_of`` in the warehouse, if any."""
    warehouse = home / WAREHOUSE_FILE
    if not warehouse.exists():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select max(load_id) from meta.loads where as_of_date = ? and status = 'complete'",
            [as_of],
        ).fetchall()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return rows[0][0] if rows else None


def automation_lines(home: Path, settings: Settings, now: datetime) -> list[str]:
    """The schedule's next ticks, whether automation is on, and the sensor's inbox."""
    state = "on" if settings.automation_on else "off"
    lines = [
        f"automation: {state} (SALESOPS_AUTOMATION_ON={str(settings.automation_on).lower()}: "
        f"the schedule and sensor start {'running' if settings.automation_on else 'stopped'} "
        "under the Dagster daemon; a toggle in the UI overrides this)"
    ]
    zone = settings.schedule_timezone
    try:
        ticks = next_fire_times(settings.nightly_cron, zone, now)
    except ValueError as exc:
        lines.append(f"  nightly_load_schedule: {exc}")
    else:
        lines.append(f"  nightly_load_schedule: '{settings.nightly_cron}' in {zone}; next runs:")
        lines += [f"    {t:%a %Y-%m-%d %H:%M %Z (UTC%z)}" for t in ticks]
        if not settings.automation_on:
            lines.append("    (only if the schedule is turned on)")
    lines.append(freshness_line(settings, now))
    root = settings.inbox_root_path
    lines.append(f"  inbox_sensor: watches {root}")
    waiting = newest_drop(settings, now.timestamp())
    if waiting is None:
        lines.append(
            "    newest drop: none (no folder named YYYY-MM-DD)"
            if root.is_dir()
            else "    newest drop: none (the folder does not exist yet)"
        )
        return lines
    if waiting["complete"]:
        state = "complete"
    elif settings.stable_minutes > 0:
        state = (
            f"still arriving (no {settings.ready_marker}, and changed in the last "
            f"{settings.stable_minutes} min)"
        )
    else:
        state = f"still arriving (no {settings.ready_marker} marker yet)"
    loaded = load_of_date(home, waiting["as_of_date"])
    lines.append(
        f"    newest drop: {waiting['folder']}: {waiting['files']} file(s), {state}, "
        + (
            f"business date already loaded (load {loaded})"
            if loaded is not None
            else "not loaded yet"
        )
    )
    return lines


def freshness_line(settings: Settings, now: datetime) -> str:
    """When the freshness check runs next, and for which business date."""

    (check,) = next_fire_times(deadline_cron(settings), settings.business_timezone, now, 1)
    due = check.date() - timedelta(days=1)
    return (
        f"  drop_freshness_schedule: a drop is due by {settings.freshness_deadline} "
        f"{settings.business_timezone} the day after its business date; next check "
        f"{check:%a %Y-%m-%d %H:%M %Z} (for {due})"
    )


def format_status(
    home: Path, limit: int = 10, now: datetime | None = None, settings: Settings | None = None
) -> str:
    settings = settings or Settings()
    now = now or datetime.now(UTC)
    lines = [f"warehouse home {home}"]
    warehouse = home / WAREHOUSE_FILE
    lines.append(
        f"  warehouse: {warehouse} ({warehouse.stat().st_size / 2**20:.1f} MiB)"
        if warehouse.exists()
        else "  warehouse: none yet (run `salesops run` first)"
    )
    lines.append(f"  a run is writing now: {'yes' if is_writing(home) else 'no'}")
    lines.append("")
    lines += automation_lines(home, settings, now)
    lines.append("")
    runs = last_runs(home, warehouse, limit)
    zone = ZoneInfo(settings.business_timezone)
    lines.append(f"last {len(runs)} run(s), newest first (meta.runs):")
    lines += [run_line(r, zone) for r in runs]
    findings = open_findings(home)
    lines.append("")
    lines.append(f"open data-quality findings: {sum(n for _, _, n in findings):,}")
    for severity, rule, n in findings:
        lines.append(f"  {severity:<11} {rule:<28} {n:>6,}")
    return "\n".join(lines)
