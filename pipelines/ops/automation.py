"""Unattended runs: the nightly schedule and the inbox sensor.

Drops live in ``SALESOPS_INBOX_ROOT`` (default HOME/inbox), one folder per business date
named ``YYYY-MM-DD``. The schedule loads yesterday's folder at 02:00 Asia/Shanghai (both
configurable); the sensor loads any complete folder as soon as it is complete: it holds the
marker file (``_READY``), or, with ``SALESOPS_STABLE_MINUTES`` > 0, nothing in it changed for
that long. A run key made of the folder and its files' fingerprints means a drop is never
loaded twice, while a corrected re-delivery of the same date (different files) loads again.
Every run request is for the partition of the drop's business date
(:mod:`pipelines.core.partitions`); folders dated outside the partitions are not loaded.
"""

import hashlib
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipelines.core.partitions import in_range
from pipelines.core.settings import Settings

DROP_FOLDER_FORMAT = "YYYY-MM-DD"


def _business_date(name: str) -> date | None:
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def drop_run_config(settings: Settings, inbox: Path, as_of: date) -> dict:
    return {
        "resources": {
            "warehouse": {
                "config": {
                    "home": settings.home,
                    "inbox": str(inbox),
                    "as_of_date": str(as_of),
                    "profile": settings.profile,
                }
            }
        }
    }


def drop_fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of the drop's files."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def is_complete(folder: Path, settings: Settings, now: float) -> bool:
    files = [p for p in folder.iterdir() if p.is_file()]
    if (folder / settings.ready_marker).exists():
        return True
    if settings.stable_minutes > 0 and files:
        newest = max(p.stat().st_mtime for p in files)
        return now - newest >= settings.stable_minutes * 60
    return False


def complete_drops(settings: Settings, now: float | None = None) -> list[tuple[date, Path]]:
    root = settings.inbox_root_path
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    drops = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        as_of = _business_date(folder.name)
        if as_of and is_complete(folder, settings, now):
            drops.append((as_of, folder))
    return drops


def drop_run_request(settings: Settings, folder: Path, as_of: date) -> dg.RunRequest:
    """The run of one drop: its business date's partition, keyed by the drop's files."""
    return dg.RunRequest(
        run_key=f"{as_of}:{drop_fingerprint(folder)}",
        run_config=drop_run_config(settings, folder, as_of),
        partition_key=as_of.isoformat(),
        tags={"salesops/business_date": str(as_of)},
    )


def build_automation(job, settings: Settings) -> tuple[dg.ScheduleDefinition, dg.SensorDefinition]:
    """The schedule and sensor of ``job`` (the nightly asset job), under ``settings``."""
    status = (
        dg.DefaultScheduleStatus.RUNNING
        if settings.automation_on
        else dg.DefaultScheduleStatus.STOPPED
    )
    sensor_status = (
        dg.DefaultSensorStatus.RUNNING if settings.automation_on else dg.DefaultSensorStatus.STOPPED
    )

    @dg.schedule(
        name="nightly_load_schedule",
        job=job,
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=status,
        description="Loads yesterday's drop folder (INBOX_ROOT/YYYY-MM-DD) every night.",
    )
    def nightly_load_schedule(context: dg.ScheduleEvaluationContext):
        current = settings
        as_of = context.scheduled_execution_time.date() - timedelta(days=1)
        folder = current.inbox_root_path / as_of.isoformat()
        if not folder.is_dir():
            return dg.SkipReason(
                f"no drop folder {folder} for business date {as_of}; nothing to load"
            )
        if as_of < current.first_business_date:
            return dg.SkipReason(
                f"business date {as_of} is before SALESOPS_PARTITIONS_START "
                f"({current.partitions_start}); not loaded"
            )
        return drop_run_request(current, folder, as_of)

    @dg.sensor(
        name="inbox_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=sensor_status,
        description="Starts a load as soon as a drop folder is complete (marker file or "
        "stable for N minutes); each drop loads once.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext):
        current = settings
        found = complete_drops(current)
        drops = [(as_of, folder) for as_of, folder in found if in_range(as_of, current)]
        for as_of, folder in found:
            if (as_of, folder) not in drops:
                context.log.warning(
                    f"drop folder {folder} is dated outside the nightly job's partitions "
                    f"({current.partitions_start} to yesterday); not loaded"
                )
        if not drops:
            return dg.SkipReason(
                f"no complete drop in {current.inbox_root_path} (folders named "
                f"{DROP_FOLDER_FORMAT} holding {current.ready_marker})"
            )
        return [drop_run_request(current, folder, as_of) for as_of, folder in drops]

    return nightly_load_schedule, inbox_sensor
