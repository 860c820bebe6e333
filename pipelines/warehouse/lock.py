"""One writer at a time: an exclusive, non-blocking flock on HOME/warehouse.lock."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from pipelines.core.errors import WarehouseBusy

LOCK_FILE = "warehouse.lock"


def acquire(home: Path) -> IO[str]:
    """Take the warehouse lock or raise :class:`WarehouseBusy`; release with :func:`release`."""
    handle = (home / LOCK_FILE).open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WarehouseBusy(
            f"another run is writing to the warehouse in {home}",
            "wait for it to finish, then run again (only one run may write at a time)",
        ) from None
    return handle


def release(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
