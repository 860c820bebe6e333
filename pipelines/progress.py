"""Progress lines for people watching a run (stdout, flushed)."""

from __future__ import annotations

import time


def say(step: str, message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [{step}] {message}", flush=True)
