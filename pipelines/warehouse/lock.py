"""One writer at a time: an exclusive flock on HOME/warehouse.lock.

A nightly run takes it without waiting (a busy lock fails the step, and the job's retry policy
retries it); a writer outside a run (the pack delivery ledger) may wait for it a while.
"""

from __future__ import annotations

import fcntl
import time
from pathlib import Path
from typing import IO

from pipelines.core.errors import WarehouseBusy

LOCK_FILE = "warehouse.lock"
#: How often a waiting writer tries the lock again.
POLL_SECONDS = 0.2


def acquire(home: Path, wait_seconds: float = 0.0) -> IO[str]:
    """Take the warehouse lock, trying for up to ``wait_seconds``, or raise
    :class:`WarehouseBusy`; release with :func:`release`."""
    handle = (home / LOCK_FILE).open("w")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
                continue
            handle.close()
            raise WarehouseBusy(
                f"another run is writing to the warehouse in {home}",
                "wait for it to finish, then run again (only one run may write at a time)",
            ) from None
        return handle


def release(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
