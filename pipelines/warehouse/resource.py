"""The warehouse as a Dagster resource: one DuckDB file, changed all-or-nothing.

Every run works on a private copy of ``HOME/warehouse.duckdb``
(``HOME/work/<run_id>.duckdb``). When the run ends with no failed step, the
copy replaces the live file in one atomic rename and the run's reports are
published; when any step fails, or the process dies, the copy is discarded
and the live warehouse is exactly as it was before the run. A lock file keeps
to one writer at a time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, DagsterEventType, InitResourceContext
from pydantic import PrivateAttr

from pipelines.errors import SalesOpsError
from pipelines.settings import Settings
from pipelines.warehouse import lock
from pipelines.warehouse.schema import ensure_schema

WAREHOUSE_FILE = "warehouse.duckdb"


class WarehouseResource(ConfigurableResource):
    """Home folder, inbox and business date of a run, and its database copy."""

    home: str | None = None
    inbox: str | None = None
    #: Mapping profile (shipped name or YAML path); default SALESOPS_PROFILE or canonical.
    profile: str | None = None
    as_of_date: str | None = None

    _settings: Settings = PrivateAttr()
    _run_id: str = PrivateAttr()
    _lock_fh: object = PrivateAttr(default=None)

    # --- paths -----------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def home_path(self) -> Path:
        return Path(self.home or self._settings.home).expanduser().resolve()

    @property
    def profile_name(self) -> str:
        return self.profile or self._settings.profile

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).expanduser().resolve() if self.inbox else self.home_path / "inbox"

    @property
    def live_path(self) -> Path:
        return self.home_path / WAREHOUSE_FILE

    @property
    def work_path(self) -> Path:
        return self.home_path / "work" / f"{self._run_id}.duckdb"

    @property
    def run_dir(self) -> Path:
        return self.home_path / "runs" / self._run_id

    @property
    def business_date(self) -> date:
        if self.as_of_date:
            return date.fromisoformat(self.as_of_date)
        return self._settings.yesterday()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to this run's copy; closed on exit so dbt can open the file."""
        con = duckdb.connect(str(self.work_path))
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    # --- lifecycle -------------------------------------------------------
    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._settings = Settings()
        self._run_id = context.run_id
        if self.as_of_date:
            try:
                date.fromisoformat(self.as_of_date)
            except ValueError:
                raise SalesOpsError(
                    f"as-of date {self.as_of_date!r} is not a date",
                    "give the business date as YYYY-MM-DD, e.g. --as-of 2026-09-30",
                ) from None
        home = self.home_path
        try:
            (home / "work").mkdir(parents=True, exist_ok=True)
            probe = home / "work" / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise SalesOpsError(
                f"the home folder {home} is not writable ({exc.strerror})",
                "choose a writable --home, or fix the folder's permissions / free disk space",
            ) from exc
        self._lock_fh = lock.acquire(home)
        # Holding the lock, no other run is alive: copies left by killed runs are debris.
        for stale in (home / "work").glob("*.duckdb*"):
            if not stale.name.startswith(self._run_id):
                stale.unlink(missing_ok=True)
        if not self.work_path.exists():
            if self.live_path.exists():
                shutil.copy2(self.live_path, self.work_path)
            with self.connect() as con:
                ensure_schema(con)
                con.execute("checkpoint")

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        try:
            failed = context.instance.all_logs(
                context.run_id, of_type=DagsterEventType.STEP_FAILURE
            )
            if failed:
                self.work_path.unlink(missing_ok=True)
            else:
                self._publish()
        finally:
            if self._lock_fh is not None:
                lock.release(self._lock_fh)
                self._lock_fh = None

    def _publish(self) -> None:
        with self.connect() as con:
            con.execute(
                "update meta.loads set status = 'complete', finished_at = now() "
                "where run_id = ? and status = 'running'",
                [self._run_id],
            )
            con.execute("checkpoint")
        os.replace(self.work_path, self.live_path)
        staged = self.run_dir / "reports"
        if staged.exists():
            target = self.home_path / "reports"
            for src in staged.rglob("*"):
                if src.is_file():
                    dest = target / src.relative_to(staged)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest)
