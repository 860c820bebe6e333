"""Run the nightly Dagster job in-process and report what it did."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.alerts.defs import run_failure_message, send_run_failure
from pipelines.core.partitions import check_business_date
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.ops.definitions import NIGHTLY_JOB, build_definitions
from pipelines.warehouse import runs
from pipelines.warehouse.resource import WAREHOUSE_FILE
from pipelines.warehouse.run_summary import (
    failure_of,
    format_summary,
    grouped_seconds,
    step_seconds,
    warehouse_figures,
    write_summary,
)


def _instance() -> dg.DagsterInstance:
    """The Dagster instance under $DAGSTER_HOME (runs show in the UI), else an ephemeral one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _alert_failure(
    settings: Settings, home: Path, run_id: str, step: str, message: str, as_of
) -> None:
    """Tell the alert channels (as the daemon's run-failure sensor does for its runs)."""

    alert = run_failure_message(run_id, NIGHTLY_JOB, step, message, str(as_of))
    for r in send_run_failure(home, settings, alert):
        if not r.ok:
            say("alerts", f"run-failure alert via {r.channel_name} failed: {r.error}")


def run_nightly(
    inbox: Path,
    home: Path | None = None,
    as_of: date | None = None,
    echo: bool = True,
    profile: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Execute the ``nightly_load`` job for one drop (the partition of its business date);
    return (and write) its summary."""

    settings = settings or Settings()
    home = (home or Path(settings.home)).expanduser().resolve()
    as_of = as_of or settings.yesterday()
    check_business_date(as_of, settings)
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    if echo:
        say("run", f"preparing definitions (home {home})")
    job = build_definitions(settings).resolve_job_def(NIGHTLY_JOB)
    run_config = {
        "resources": {
            "warehouse": {
                "config": {
                    "home": str(home),
                    "inbox": str(Path(inbox).expanduser().resolve()),
                    "as_of_date": as_of.isoformat(),
                    "profile": profile or settings.profile,
                }
            }
        },
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    logging.getLogger("dagster").setLevel(logging.ERROR)
    with _instance() as instance:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            partition_key=as_of.isoformat(),
            raise_on_error=False,
        )
        run_id = result.run_id
        steps = step_seconds(instance, run_id)
        summary: dict[str, Any] = {
            "run_id": run_id,
            "status": "success" if result.success else "failed",
            "home": str(home),
            "inbox": str(inbox),
            "warehouse": str(home / WAREHOUSE_FILE),
            "steps": steps,
            "step_seconds": grouped_seconds(steps),
            "seconds_total": round(time.perf_counter() - started, 2),
        }
        if result.success:
            staged = home / "runs" / run_id / "reports"
            packs = sorted(staged.rglob("*.html"))
            summary.update(warehouse_figures(home / WAREHOUSE_FILE, run_id))
            # The run staged its pack under runs/<run_id>/reports/; publishing copied it here.
            summary["report"] = (
                str(home / "reports" / packs[-1].relative_to(staged)) if packs else None
            )
        else:
            step, message = failure_of(instance, run_id)
            summary.update({"failed_step": step, "error": message, "as_of_date": str(as_of)})
            runs.record_failure_if_missing(
                home, run_id, as_of, started_at, datetime.now(UTC), step, message
            )
            _alert_failure(settings, home, run_id, step, message, as_of)
    run_dir = home / "runs" / run_id
    summary["summary_path"] = str(run_dir / "summary.json")
    try:
        write_summary(summary, run_dir)
    except OSError as exc:  # e.g. an unusable home: still show the run's outcome
        summary["summary_path"] = None
        summary.setdefault("error", f"summary not written: {exc}")
    if echo:
        print(format_summary(summary), flush=True)
    return summary
