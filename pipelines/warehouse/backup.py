"""Back up and restore the warehouse file, holding the writer lock.

A published warehouse is always checkpointed (a run publishes it closed, with
no write-ahead log), so a plain copy taken under the lock is consistent. A
restore first checks that the backup is a readable warehouse, keeps the
current file as ``backups/pre-restore-<time>.duckdb``, then swaps the backup
in with one atomic rename.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.core.errors import SalesOpsError
from pipelines.warehouse import lock
from pipelines.warehouse.resource import WAREHOUSE_FILE


@dataclass(frozen=True)
class WarehouseInfo:
    path: Path
    size_bytes: int
    loads: int
    latest_as_of: str | None


def inspect(path: Path) -> WarehouseInfo:
    """Open ``path`` read-only and read its load history; a clear error if it is not one."""
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            loads, latest = con.execute(
                "select count(*), max(as_of_date) from meta.loads"
            ).fetchall()[0]
        finally:
            con.close()
    except duckdb.Error as exc:
        raise SalesOpsError(
            f"{path} is not a readable salesops warehouse ({str(exc).splitlines()[0]})",
            "pass a file written by `salesops backup` (or a copy of warehouse.duckdb)",
        ) from None
    return WarehouseInfo(path, path.stat().st_size, loads, latest and latest.isoformat())


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def backup(home: Path, target: Path | None = None) -> WarehouseInfo:
    live = home / WAREHOUSE_FILE
    if not live.exists():
        raise SalesOpsError(
            f"there is no warehouse at {live} to back up",
            "check --home, or run `salesops run` first",
        )
    target = target or home / "backups" / f"warehouse-{_stamp()}.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.acquire(home)
    try:
        partial = target.with_name(target.name + ".partial")
        shutil.copy2(live, partial)
        os.replace(partial, target)
    finally:
        lock.release(handle)
    return inspect(target)


def restore(home: Path, source: Path) -> WarehouseInfo:
    info = inspect(source)
    home.mkdir(parents=True, exist_ok=True)
    live = home / WAREHOUSE_FILE
    handle = lock.acquire(home)
    try:
        if live.exists():
            keep = home / "backups" / f"pre-restore-{_stamp()}.duckdb"
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(live, keep)
        staged = home / "work" / "restore.duckdb"
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staged)
        os.replace(staged, live)
    finally:
        lock.release(handle)
    return info
