"""The structured log of a run: one JSON object per line, ``HOME/logs/<date>_<run id>.jsonl``.

``<date>`` is the run's business date. Each line holds::

    ts      ISO 8601 time with the business timezone's offset (2026-10-01T02:00:03.512+08:00)
    level   info | warning | error
    run_id  the Dagster run id
    step    where it happened (drop, ingest accounts, dbt, alerts, run, ...)
    event   what happened (run_started, progress, entity_loaded, fact_full_rebuild, dbt_built,
            step_finished, run_finished, run_failed, ...)
    fields  an object with the event's values (rows, seconds, message, ...)

Every progress line people see (:func:`pipelines.core.progress.say`) is also logged, as the
event ``progress`` with ``fields.message``. Logging never fails a run: a log that cannot be
written is dropped silently (the human output and the Dagster event log still have it).
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

LOG_DIR = "logs"


def log_path(home: Path, business_date: date, run_id: str) -> Path:
    return home / LOG_DIR / f"{business_date.isoformat()}_{run_id}.jsonl"


class RunLog:
    """An open JSON-lines log of one run."""

    def __init__(self, path: Path, run_id: str, timezone: str):
        self.path = path
        self.run_id = run_id
        self._zone = ZoneInfo(timezone)
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] | None = path.open("a", encoding="utf-8")

    def emit(self, level: str, step: str, event: str, **fields: Any) -> None:
        record = {
            "ts": datetime.now(self._zone).isoformat(timespec="milliseconds"),
            "level": level,
            "run_id": self.run_id,
            "step": step,
            "event": event,
            "fields": fields,
        }
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            if self._handle is None:
                return
            try:
                self._handle.write(line + "\n")
                self._handle.flush()
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


_current: RunLog | None = None


def start(home: Path, run_id: str, business_date: date, timezone: str) -> RunLog | None:
    """Open the log of the run now starting in this process (closing any earlier one)."""
    global _current
    finish()
    try:
        _current = RunLog(log_path(home, business_date, run_id), run_id, timezone)
    except OSError:
        _current = None
    return _current


def emit(level: str, step: str, event: str, **fields: Any) -> None:
    """Log an event of the current run; nothing when no run log is open."""
    if _current is not None:
        _current.emit(level, step, event, **fields)


def finish() -> None:
    global _current
    if _current is not None:
        _current.close()
        _current = None
