"""Freshness: the drop of business date D must have arrived by the deadline on D + 1.

The deadline is ``SALESOPS_FRESHNESS_DEADLINE`` (HH:MM, default 07:00) in the business
timezone. Every day at that time the schedule ``drop_freshness_schedule`` runs the job
``drop_freshness_check``, which evaluates the asset check ``drop_arrived_by_deadline`` of
``raw/drop`` for D = the day before. The check

* passes when a complete drop for D waits in the inbox root (``INBOX_ROOT/D`` holding the
  marker file, or stable for ``SALESOPS_STABLE_MINUTES``), or a complete load of D is in
  the warehouse already;
* fails (severity ERROR) otherwise, and sends one ``drop_missing`` alert through the
  channels of alerts.yaml (:mod:`pipelines.alerts.delivery`). The alert goes out once per
  missed date: ``HOME/alerts/freshness/sent-D.json`` records the delivery, and a later
  evaluation for the same date (a re-run, a manual check) does not send again.

Run from the UI (no business date in its tags) the check looks at the date of the latest
deadline already passed.
"""

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from pipelines.alerts.channels import load_channels
from pipelines.alerts.defs import alerts_config_path
from pipelines.alerts.delivery import deliver, summarise
from pipelines.alerts.message import Message
from pipelines.core.settings import Settings
from pipelines.ingest.defs import DROP_KEY
from pipelines.ops.automation import is_complete
from pipelines.warehouse.resource import WAREHOUSE_FILE

CHECK_NAME = "drop_arrived_by_deadline"
JOB_NAME = "drop_freshness_check"
SCHEDULE_NAME = "drop_freshness_schedule"
DATE_TAG = "salesops/business_date"
ALERT_KIND = "drop_missing"


def expected_business_date(now: datetime, settings: Settings) -> date:
    """The business date whose deadline passed last at ``now``."""
    local = now.astimezone(ZoneInfo(settings.business_timezone))
    deadline_day = local.date()
    if local.time() < settings.deadline_time:  # today's deadline is still ahead
        deadline_day -= timedelta(days=1)
    return deadline_day - timedelta(days=1)


def deadline_cron(settings: Settings) -> str:
    t = settings.deadline_time
    return f"{t.minute} {t.hour} * * *"


def has_complete_load(warehouse: Path, as_of: date) -> bool:
    """Whether the warehouse holds a complete load of business date ``as_of``."""
    if not warehouse.exists():
        return False
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return False
    try:
        rows = con.execute(
            "select count(*) from meta.loads where as_of_date = ? and status = 'complete'",
            [as_of],
        ).fetchall()
    except duckdb.CatalogException:
        return False
    finally:
        con.close()
    return rows[0][0] > 0


def drop_state(settings: Settings, as_of: date, now: float | None = None) -> str:
    """``loaded``, ``arrived`` (complete, waiting in the inbox), ``incomplete`` or ``missing``."""

    if has_complete_load(Path(settings.home).expanduser() / WAREHOUSE_FILE, as_of):
        return "loaded"
    folder = settings.inbox_root_path / as_of.isoformat()
    if not folder.is_dir():
        return "missing"
    now = datetime.now().timestamp() if now is None else now
    return "arrived" if is_complete(folder, settings, now) else "incomplete"


def missing_drop_message(settings: Settings, as_of: date, state: str) -> Message:
    folder = settings.inbox_root_path / as_of.isoformat()
    deadline = f"{settings.freshness_deadline} {settings.business_timezone}"
    if state == "incomplete":
        why = f"the folder {folder} exists but has no {settings.ready_marker} marker"
        if settings.stable_minutes:
            why += f" and its files changed in the last {settings.stable_minutes} min"
    else:
        why = f"there is no folder {folder}"
    text = (
        f"No complete drop for business date {as_of} had arrived by {deadline}: {why}, and "
        "the warehouse holds no load of that date.\n\n"
        "The marts still show the previous night. Check the CRM export job; once the files "
        f"are in {folder} with the {settings.ready_marker} marker, the inbox sensor loads "
        f"them (or run `salesops run --inbox {folder} --as-of {as_of}`)."
    )
    return Message(
        subject=f"SalesOps: no drop for {as_of} by {deadline}",
        text=text,
        payload={
            "kind": ALERT_KIND,
            "as_of_date": as_of.isoformat(),
            "deadline": deadline,
            "state": state,
            "folder": str(folder),
        },
        kind=ALERT_KIND,
        key=f"drop-missing-{as_of.isoformat()}",
    )


def alert_once(settings: Settings, as_of: date, state: str) -> dict:
    """Send the missing-drop alert of ``as_of`` unless it was sent already; what happened."""

    home = Path(settings.home).expanduser()
    folder = home / "alerts" / "freshness"
    sent = folder / f"sent-{as_of.isoformat()}.json"
    if sent.exists():
        return {"sent_now": False, **json.loads(sent.read_text(encoding="utf-8"))}
    channels = load_channels(alerts_config_path(home, settings.alerts_config), folder)
    summary = summarise(deliver([missing_drop_message(settings, as_of, state)], channels))
    record = {
        "as_of_date": as_of.isoformat(),
        "sent_at": datetime.now(ZoneInfo(settings.business_timezone)).isoformat(),
        "delivered": summary["delivered"],
        "failed": summary["failed"],
        "failures": summary["failures"],
    }
    folder.mkdir(parents=True, exist_ok=True)
    sent.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return {"sent_now": True, **record}


def build_freshness(settings: Settings) -> tuple:
    """The check, the job that runs it (an unresolved asset job), and the schedule at the
    deadline."""

    @dg.asset_check(
        asset=DROP_KEY,
        name=CHECK_NAME,
        description="Fails, and alerts once, when no complete drop for business date D has "
        "arrived (inbox or warehouse) by SALESOPS_FRESHNESS_DEADLINE on D + 1.",
    )
    def drop_arrived_by_deadline(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        current = settings
        tagged = context.run.tags.get(DATE_TAG)
        now = datetime.now(ZoneInfo(current.business_timezone))
        as_of = date.fromisoformat(tagged) if tagged else expected_business_date(now, current)
        state = drop_state(current, as_of)
        metadata = {
            "business_date": as_of.isoformat(),
            "deadline": f"{current.freshness_deadline} {current.business_timezone}",
            "state": state,
            "folder": str(current.inbox_root_path / as_of.isoformat()),
        }
        if state in ("loaded", "arrived"):
            return dg.AssetCheckResult(passed=True, metadata=metadata)
        alert = alert_once(current, as_of, state)
        context.log.error(
            f"no complete drop for {as_of} by {metadata['deadline']} ({state}); alert "
            + ("sent" if alert["sent_now"] else f"already sent at {alert['sent_at']}")
        )
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                **metadata,
                "alert_sent_now": alert["sent_now"],
                "alert_sent_at": alert["sent_at"],
                "alert_delivered": alert["delivered"],
                "alert_failed": alert["failed"],
            },
        )

    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.checks(drop_arrived_by_deadline),
        description="Checks that the drop of the business date due by the freshness "
        "deadline has arrived; alerts once per missed date.",
    )
    status = (
        dg.DefaultScheduleStatus.RUNNING
        if settings.automation_on
        else dg.DefaultScheduleStatus.STOPPED
    )

    @dg.schedule(
        name=SCHEDULE_NAME,
        job=job,
        cron_schedule=deadline_cron(settings),
        execution_timezone=settings.business_timezone,
        default_status=status,
        description="At SALESOPS_FRESHNESS_DEADLINE: has yesterday's drop arrived?",
    )
    def drop_freshness_schedule(context: dg.ScheduleEvaluationContext):
        as_of = context.scheduled_execution_time.date() - timedelta(days=1)
        return dg.RunRequest(
            run_key=f"freshness:{as_of}",
            tags={DATE_TAG: as_of.isoformat()},
        )

    return drop_arrived_by_deadline, job, drop_freshness_schedule
