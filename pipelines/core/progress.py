"""Progress lines for people watching a run (stdout, flushed), also kept in the run's
structured log (:mod:`pipelines.core.run_log`)."""

from __future__ import annotations

import time

from pipelines.core import run_log


def say(step: str, message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [{step}] {message}", flush=True)
    run_log.emit("info", step, "progress", message=message)
