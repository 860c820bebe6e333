"""The night's data-quality alerts, sent after the marts are built.

Alert files (JSON and HTML per message) are always written and published to
HOME/alerts/<business date>/ with the warehouse; the configured channels
(email, Slack, Teams, webhooks) are tried too. A channel that fails after its
retries is reported in the asset's metadata, ``meta.alert_deliveries`` and the
run summary; it never fails the run.
"""

import time
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.alerts.channels import EmailChannel, load_channels
from pipelines.alerts.delivery import deliver, summarise
from pipelines.alerts.digest import plan_alerts, record_alerted
from pipelines.alerts.message import Message
from pipelines.alerts.mutes import MUTES_FILE, load_mutes, mutes_path
from pipelines.alerts.recipients import load_languages
from pipelines.alerts.reminders import plan_overdue_reminders
from pipelines.core import run_log
from pipelines.core.errors import retry_only_transient
from pipelines.core.masking import mask_contacts
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.transform.lineage import ALERTS, exposure_deps
from pipelines.warehouse.resource import WarehouseResource, configure_connection
from pipelines.warehouse.run_summary import failure_of
from pipelines.warehouse.runs import record_failure_if_missing
from pipelines.warehouse.schema import fetch_first

ALERTS_KEY = dg.AssetKey(["alerts", "data_quality_alerts"])


def alerts_config_path(home: Path, configured: str | None) -> Path | None:
    """The channels file: the setting, else HOME/alerts.yaml when it exists."""
    if configured:
        return Path(configured)
    default = home / "alerts.yaml"
    return default if default.is_file() else None


def ops_addresses(channels) -> list[str]:
    """The sales-ops summary's addresses: the ``to`` of each email channel that takes it."""
    return [
        address
        for c in channels
        if isinstance(c, EmailChannel) and c.accepts("ops_summary")
        for address in c.to
    ]


def send_alerts(
    warehouse_file: Path, *, home: Path, files_dir: Path, settings, load_id: int, as_of
) -> dict:
    """Plan, send and record the alerts of one run; returns the delivery summary."""

    alerts_file = alerts_config_path(home, settings.alerts_config)
    channels = load_channels(alerts_file, files_dir)
    languages = load_languages(alerts_file, settings.alert_language)
    mutes = load_mutes(mutes_path(home))
    if mutes.error:  # told to sales ops in the summary; the night's alerts go out regardless
        say("alerts", f"nothing muted tonight: {mutes.error}")
        run_log.emit("warning", "alerts", "alert_mutes_invalid", error=mutes.error)
    con = duckdb.connect(str(warehouse_file))
    try:
        configure_connection(con, settings)
        overdue = plan_overdue_reminders(
            con,
            as_of,
            reminder_days=settings.alert_reminder_days,
            escalate_after_days=settings.overdue_escalation_days,
            languages=languages,
            mutes=mutes,
        )
        plan = plan_alerts(
            con,
            as_of,
            reminder_days=settings.alert_reminder_days,
            languages=languages,
            mutes=mutes,
            ops_recipients=ops_addresses(channels),
            muted_receivables=overdue.muted,
        )
        plan.messages += overdue.messages
        plan.alerted += overdue.alerted
        plan.counts["overdue_reminders"] = len(overdue.alerted)
        plan.counts["muted_receivables"] = len(overdue.muted)
        results = deliver(plan.messages, channels)
        con.execute("begin transaction")
        record_alerted(con, plan, as_of, load_id)
        con.executemany(
            "insert into meta.alert_deliveries values (?, ?, ?, ?, ?, ?, ?)",
            [
                [load_id, r.channel_name, r.channel_type, r.message_key, r.ok, r.attempts, r.error]
                for r in results
            ]
            + mute_rows(plan, load_id),
        )
        con.execute("commit")
    finally:
        con.close()
    summary = summarise(results)
    return {"messages": len(plan.messages), **plan.counts, "muted": len(plan.muted), **summary}


def mute_rows(plan, load_id: int) -> list[list]:
    """``meta.alert_deliveries`` rows (channel ``muted``) for the audit: one per finding (or
    overdue receivable, ``overdue:<order_id>:<receivable_id>``) muted tonight (``error``
    holds until, by and reason), and one failed row naming the
    mutes file when it could not be used."""
    rows = [
        [
            load_id,
            "muted",
            "mute",
            m.finding.finding_id,
            True,
            0,
            mask_contacts(f"muted until {m.until} by {m.by or '-'}: {m.reason}"),
        ]
        for m in plan.muted
    ]
    if plan.mutes_error:
        rows.append([load_id, "muted", "mute", MUTES_FILE, False, 0, plan.mutes_error])
    return rows


def build_alerts_asset(dbt_assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=ALERTS_KEY,
        deps=exposure_deps(dbt_assets, ALERTS),
        group_name="alerts",
        description="Data-quality alerts: a digest per owner rep (new findings, weekly "
        "reminders), a roll-up per team manager and a sales-ops summary, written to "
        "HOME/alerts/<date>/ and sent through the channels of alerts.yaml.",
    )
    @retry_only_transient
    def data_quality_alerts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:

        started = time.perf_counter()
        work_path = warehouse.open_working_copy()
        as_of = warehouse.business_date
        staged = warehouse.run_dir / "alerts" / as_of.isoformat()
        with warehouse.connect() as con:
            row = fetch_first(
                con, "select max(load_id) from meta.loads where run_id = ?", [context.run_id]
            )
        load_id = row[0] if row and row[0] is not None else 0
        summary = send_alerts(
            work_path,
            home=warehouse.home_path,
            files_dir=staged,
            settings=warehouse.settings,
            load_id=load_id,
            as_of=as_of,
        )
        failed = summary["failed"]
        say(
            "alerts",
            f"{summary['messages']} alert(s): {summary['new']} new finding(s), "
            f"{summary['reminders']} reminder(s), {summary['muted']} muted; "
            f"{summary['delivered']} delivered"
            + (f", {failed} FAILED ({'; '.join(summary['failures'][:3])})" if failed else "")
            + f" ({time.perf_counter() - started:.1f}s)",
        )
        run_log.emit(
            "warning" if failed else "info",
            "alerts",
            "alerts_sent",
            messages=summary["messages"],
            new_findings=summary["new"],
            reminders=summary["reminders"],
            delivered=summary["delivered"],
            failed=failed,
            failures=summary["failures"],
        )
        if failed:
            context.log.warning(f"alert delivery failures: {summary['failures']}")
        return dg.MaterializeResult(
            metadata={
                "messages": summary["messages"],
                "new_findings": summary["new"],
                "reminders": summary["reminders"],
                "muted_findings": summary["muted"],
                "open_findings": summary["open"],
                "delivered": summary["delivered"],
                "failed": failed,
                "failures": dg.MetadataValue.json(summary["failures"]),
                "files": dg.MetadataValue.path(
                    str(warehouse.home_path / "alerts" / as_of.isoformat())
                ),
            }
        )

    return data_quality_alerts


def run_failure_message(run_id: str, job: str, step: str, error: str, as_of: str) -> Message:
    """The run-failure alert; the error may quote a CRM value, so its contact details are
    masked (``pipelines.core.masking``)."""
    error = mask_contacts(error) or ""
    text = (
        f"The {job} run {run_id} for business date {as_of} failed in step {step}.\n\n"
        f"{error}\n\nThe warehouse was left as it was before this run; the drop can be "
        "re-run once the cause is fixed."
    )
    return Message(
        subject=f"SalesOps nightly run FAILED ({as_of}): {step}",
        text=text,
        payload={
            "kind": "run_failure",
            "run_id": run_id,
            "job": job,
            "step": step,
            "error": error,
            "as_of_date": as_of,
        },
        kind="run_failure",
        key=f"run-failure-{run_id[:8]}",
    )


def send_run_failure(home: Path, settings: Settings, message: Message) -> list:
    """Deliver a run-failure alert through the configured channels (files under
    HOME/alerts/failures/); never raises."""

    try:
        channels = load_channels(
            alerts_config_path(home, settings.alerts_config), home / "alerts" / "failures"
        )
    except Exception as exc:  # noqa: BLE001 - a broken alerts.yaml must not hide the failure
        say("alerts", f"run-failure alert not sent: {exc}")
        return []
    return deliver([message], channels)


def record_setup_failure(
    context: dg.RunFailureSensorContext, home: Path, as_of: str, step: str, error: str
) -> None:
    """meta.runs' pending row for a run that failed before its warehouse resource could
    write one (a failure at run start); see pipelines/warehouse/runs.py."""
    from datetime import UTC, date, datetime

    run = context.dagster_run
    record = context.instance.get_run_record_by_id(run.run_id)
    now = datetime.now(UTC)
    started = (
        datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else now
    )
    finished = datetime.fromtimestamp(record.end_time, UTC) if record and record.end_time else now
    partition = run.tags.get("dagster/partition")
    day = as_of or partition
    record_failure_if_missing(
        home, run.run_id, date.fromisoformat(day) if day else None, started, finished, step, error
    )


def build_run_failure_sensor(job, default_status, settings: Settings) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert",
        monitored_jobs=[job],
        default_status=default_status,
        description="Alerts the channels of alerts.yaml (kind run_failure) when a nightly run "
        "fails.",
    )
    def run_failure_alert(context: dg.RunFailureSensorContext):
        run = context.dagster_run
        step, error = failure_of(context.instance, run.run_id)
        config = (run.run_config or {}).get("resources", {}).get("warehouse", {}).get("config", {})
        home = Path(config.get("home") or settings.home)
        as_of = str(config.get("as_of_date") or run.tags.get("dagster/partition") or "")
        message = run_failure_message(run.run_id, run.job_name, step, error, as_of)
        try:
            record_setup_failure(context, home, as_of, step, error)
        except Exception as exc:  # noqa: BLE001 - the alert matters more than the record
            context.log.warning(f"failed run not recorded for meta.runs: {exc}")
        results = send_run_failure(home, settings, message)
        failed = [r for r in results if not r.ok]
        if failed:
            context.log.warning(f"run-failure alert not delivered: {[r.error for r in failed]}")

    return run_failure_alert
