"""The warehouse as a Dagster resource: one DuckDB file, changed all-or-nothing.

Every run works on a private copy of ``HOME/warehouse.duckdb``
(``HOME/work/<run_id>.duckdb``). When the run ends with no failed step, the
copy replaces the live file in one atomic rename and the run's reports are
published; when any step fails, or the process dies, the copy is discarded
and the live warehouse is exactly as it was before the run. A lock file keeps
to one writer at a time.

Order of events. At run start (resource setup) HOME is created if needed and
probed for writing, and the disk must have room for the copy (:func:`check_free_space`);
either failing stops the run before anything is touched. The run's structured log
(HOME/logs/, :mod:`pipelines.core.run_log`) opens once HOME is usable. The lock is taken and the
copy made by the first step that uses the warehouse (:meth:`WarehouseResource.open_working_copy`),
not at run start: Dagster retries failed *steps* (the job's ``RetryPolicy``), never a failed
resource setup, and a lock held by another run is exactly the failure worth retrying.

At teardown a run that succeeded writes its ``meta.runs`` row and the metric parameters it
built with (``meta.metric_params``) into the copy and publishes it; a run that failed leaves
its row pending in HOME/runs/<run_id>/ (see :mod:`pipelines.warehouse.runs`) and the live
warehouse untouched. With ``SALESOPS_LAKE_DIR`` set, a published run then writes its loads to
the lake (:mod:`pipelines.warehouse.lake`), still holding the lock.

The business date is the ``as_of_date`` setting, else the run's partition key (a run
launched for a partition, e.g. by the schedule, the inbox sensor or a backfill from the UI),
else yesterday. A partitioned run without an ``inbox`` reads INBOX_ROOT/<business date>.

A writer outside a run (the pack delivery ledger) changes the warehouse the same way, through
:func:`writer_copy`: under the lock, on a copy, published by one rename or not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, DagsterEventType, InitResourceContext
from pydantic import PrivateAttr

from pipelines.core import run_log
from pipelines.core.errors import (
    HomeNotUsable,
    SalesOpsError,
    WarehouseBusy,
    is_transient,
    step_errors,
)
from pipelines.core.metric_params import load_metric_params, metric_params_path
from pipelines.core.partitions import PARTITION_TAG
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.warehouse import lake, lock, runs
from pipelines.warehouse.run_summary import failure_of, step_seconds
from pipelines.warehouse.schema import ensure_schema, fetch_first

WAREHOUSE_FILE = "warehouse.duckdb"
MIB = 2**20


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def configure_connection(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Session settings every pipeline connection to the warehouse runs with."""
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{settings.duckdb_memory_limit}'")
    # the run prints its own progress lines; DuckDB's bar would garble them (and the logs)
    con.execute("set enable_progress_bar = false")


def check_home(home: Path) -> None:
    """Create HOME (and HOME/work) if needed and prove a file can be written there."""
    try:
        (home / "work").mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise HomeNotUsable(
            f"the home folder {home} cannot be created or written ({reason}); nothing was changed",
            f"choose a writable --home (or SALESOPS_HOME), or fix the permissions of {home} "
            "and its parent folders",
        ) from exc


def _stale_copies(home: Path, run_id: str) -> list[Path]:
    """Working copies in HOME/work that belong to other runs, and ingest spool folders left
    by a killed run (debris once we hold the lock)."""
    work = home / "work"
    copies = [p for p in work.glob("*.duckdb*") if not p.name.startswith(run_id)]
    return copies + sorted(work.glob("salesops-spool-*"))


def _remove_stale(home: Path, keep: str) -> None:
    """Remove the debris of :func:`_stale_copies` (only ever under the writer lock)."""
    for stale in _stale_copies(home, keep):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def check_free_space(home: Path, min_free_mb: int, reclaimable: int = 0) -> None:
    """Room for a run: free space >= 2 x the live warehouse + ``min_free_mb`` MiB.

    The working copy takes the size of the warehouse, and the load and the dbt build grow
    it (DuckDB's write-ahead log, new table versions): twice the file is the estimate,
    ``SALESOPS_MIN_FREE_MB`` the margin on top (and what a first run needs).
    ``reclaimable`` bytes (copies left by killed runs, removed under the lock) count as free.
    """
    live = home / WAREHOUSE_FILE
    size = live.stat().st_size if live.exists() else 0
    needed = 2 * size + min_free_mb * MIB
    free = shutil.disk_usage(home).free + reclaimable
    if free < needed:
        raise HomeNotUsable(
            f"not enough free disk space for a run in {home}: {free / MIB:,.0f} MiB free, "
            f"{needed / MIB:,.0f} MiB needed (2 x the warehouse's {size / MIB:,.0f} MiB for "
            f"its working copy + SALESOPS_MIN_FREE_MB={min_free_mb}); nothing was changed",
            f"free at least {(needed - free) / MIB:,.0f} MiB on the disk holding {home} "
            "(old files in HOME/backups or HOME/runs, for instance), or move the home to a "
            "bigger disk; the same command then works",
        )


@contextmanager
def writer_copy(
    live: Path, name: str, *, wait_seconds: float = 0.0, min_free_mb: int = 0
) -> Iterator[Path]:
    """Change the live warehouse outside a run, all-or-nothing, as a run does.

    Takes the writer lock (waiting up to ``wait_seconds`` for a run that holds it, else
    :class:`WarehouseBusy`), copies ``HOME/warehouse.duckdb`` to ``HOME/work/<name>.duckdb``
    and yields the copy. When the block ends normally the copy (closed by then) is
    checkpointed and replaces the live file in one rename; when it raises, or the process
    dies, the copy is discarded (a killed writer's copy is debris the next lock holder
    removes) and the live file is exactly as it was. The lock is held throughout.
    """
    live = Path(live)
    home = live.parent
    if not live.exists():
        raise SalesOpsError(
            f"there is no warehouse at {live}",
            "check --home, or run `salesops run` first",
        )
    handle = lock.acquire(home, wait_seconds)
    copy = home / "work" / f"{name}.duckdb"
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        # holding the lock, no other writer is alive: copies left by killed ones are debris
        _remove_stale(home, name)
        check_free_space(home, min_free_mb)
        partial = copy.with_name(copy.name + ".partial")
        try:
            shutil.copy2(live, partial)
            os.replace(partial, copy)
        finally:
            partial.unlink(missing_ok=True)
        yield copy
        with duckdb.connect(str(copy)) as con:
            con.execute("checkpoint")  # published closed, with no write-ahead log
        os.replace(copy, live)
    finally:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
        lock.release(handle)


class WarehouseResource(ConfigurableResource):
    """Home folder, inbox and business date of a run, and its database copy."""

    home: str | None = None
    inbox: str | None = None
    #: Mapping profile (shipped name or YAML path); default SALESOPS_PROFILE or canonical.
    profile: str | None = None
    as_of_date: str | None = None

    _settings: Settings = PrivateAttr()
    _run_id: str = PrivateAttr()
    _partition_key: str | None = PrivateAttr(default=None)
    _started_at: datetime = PrivateAttr()
    _lock_fh: object = PrivateAttr(default=None)
    _opened: bool = PrivateAttr(default=False)
    _metric_params: dict = PrivateAttr(default_factory=dict)

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
        if self.inbox:
            return Path(self.inbox).expanduser().resolve()
        if self._partition_key:
            return (self._settings.inbox_root_path / self.business_date.isoformat()).resolve()
        return self.home_path / "inbox"

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
    def metric_params(self) -> dict:
        """dbt var overrides from the metrics file (checked when the run starts)."""
        return self._metric_params

    @property
    def business_date(self) -> date:
        if self.as_of_date:
            return date.fromisoformat(self.as_of_date)
        if self._partition_key:
            return date.fromisoformat(self._partition_key)
        return self._settings.yesterday()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to this run's copy; closed on exit so dbt can open the file."""
        self.open_working_copy()
        con = duckdb.connect(str(self.work_path))
        try:
            configure_connection(con, self._settings)
            yield con
        finally:
            con.close()

    # --- lifecycle -------------------------------------------------------
    def setup_for_execution(self, context: InitResourceContext) -> None:

        self._settings = Settings()
        self._run_id = context.run_id
        self._started_at = datetime.now(UTC)
        run = context.dagster_run
        key = run.tags.get(PARTITION_TAG) if run is not None else None
        # The nightly job's daily partitions are business dates; a monthly pack's key
        # ("2026-09") is not (the pack assets read their period from their own key).
        self._partition_key = key if key and _is_iso_date(key) else None
        if self.as_of_date:
            try:
                date.fromisoformat(self.as_of_date)
            except ValueError:
                raise SalesOpsError(
                    f"as-of date {self.as_of_date!r} is not a date",
                    "give the business date as YYYY-MM-DD, e.g. --as-of 2026-09-30",
                ) from None
            if self._partition_key and self._partition_key != self.as_of_date:
                raise SalesOpsError(
                    f"the run is for partition {self._partition_key} but its as_of_date "
                    f"is {self.as_of_date}",
                    "launch the run for the partition of the drop's business date, or leave "
                    "as_of_date out of the run config (the partition key is the business date)",
                )
        home = self.home_path
        # A wrong metric parameter stops the run now, not after the load, at the dbt step.
        self._metric_params = load_metric_params(
            metric_params_path(home, self._settings.metrics_config)
        )
        # Before anything is changed (the lock file, too, lives in HOME): a usable home and
        # room for the working copy. Both are for a person to fix: the run stops here.
        check_home(home)
        run_log.start(home, self._run_id, self.business_date, self._settings.business_timezone)
        run_log.emit(
            "info",
            "run",
            "run_started",
            business_date=self.business_date,
            home=str(home),
            inbox=str(self.inbox_path),
            profile=self.profile_name,
            partition=self._partition_key,
        )
        try:
            check_free_space(
                home,
                self._settings.min_free_mb,
                sum(_size(p) for p in _stale_copies(home, self._run_id)),
            )
        except HomeNotUsable as exc:
            run_log.emit("error", "run", "run_failed", failed_step="run start", error=str(exc))
            run_log.finish()
            raise

    def open_working_copy(self) -> Path:
        """Take the writer lock and make this run's copy (once; every step may call it).

        Called by the first step that needs the warehouse. A lock held by another run raises
        :class:`WarehouseBusy`, which the job's ``RetryPolicy`` retries with backoff; any
        other error here fails the step at once (``dagster.Failure(allow_retries=False)``).
        """
        if self._opened:
            return self.work_path
        home = self.home_path
        with step_errors():
            if self._lock_fh is None:
                try:
                    self._lock_fh = lock.acquire(home)
                except WarehouseBusy:
                    say("warehouse", self._busy_note(home))
                    raise
            # Holding the lock, no other run is alive: copies left by killed runs are debris.
            _remove_stale(home, self._run_id)
            if not self.work_path.exists():
                check_free_space(home, self._settings.min_free_mb)  # exact: debris is gone
                if self.live_path.exists():
                    partial = self.work_path.with_name(self.work_path.name + ".partial")
                    try:
                        shutil.copy2(self.live_path, partial)
                        os.replace(partial, self.work_path)
                    finally:
                        partial.unlink(missing_ok=True)
            try:
                con = duckdb.connect(str(self.work_path))
            except duckdb.IOException as exc:
                if is_transient(exc):
                    raise
                self.work_path.unlink(missing_ok=True)
                raise SalesOpsError(
                    f"the warehouse {self.live_path} cannot be opened ({exc}); nothing was changed",
                    "restore the last good backup with `salesops restore FILE` (see "
                    "HOME/backups), or move the file away to start an empty warehouse",
                ) from exc
            try:
                ensure_schema(con)
                con.execute("checkpoint")
            finally:
                con.close()
        self._opened = True
        return self.work_path

    def _busy_note(self, home: Path) -> str:
        """What happens next when another run holds the lock (printed for the person watching)."""
        retries = self._settings.retry_max
        try:
            import dagster as dg

            attempt = dg.OpExecutionContext.get().retry_number
        except Exception:  # noqa: BLE001 - outside a step, or an older Dagster
            attempt = None
        if retries == 0 or (attempt is not None and attempt >= retries):
            return f"another run is writing in {home}; no retry left, the run fails"
        if attempt is None:
            return f"another run is writing in {home}; the step is retried (up to {retries} times)"
        delay = self._settings.retry_delay_seconds * (2 ** (attempt + 1) - 1)
        return (
            f"another run is writing in {home}; retry {attempt + 1} of {retries} "
            f"in about {delay:g}s"
        )

    def teardown_after_execution(self, context: InitResourceContext) -> None:

        instance = context.instance
        status = "failed"
        steps: dict[str, float] = {}
        try:
            failed = instance.all_logs(context.run_id, of_type=DagsterEventType.STEP_FAILURE)
            steps = {s["step"]: s["seconds"] for s in step_seconds(instance, context.run_id)}
            if failed:
                step, error = failure_of(instance, context.run_id)
                self._record_failure(steps, step, error)
            # Without the lock no step reached the warehouse: nothing to discard or publish.
            if self._lock_fh is not None:
                if failed or not self._opened:
                    self.work_path.unlink(missing_ok=True)
                else:
                    self._publish(steps)
            status = "failed" if failed else "succeeded"
        finally:
            if self._lock_fh is not None:
                lock.release(self._lock_fh)
                self._lock_fh = None
            for step_key, seconds in steps.items():
                run_log.emit("info", step_key, "step_finished", seconds=seconds)
            run_log.emit(
                "info" if status == "succeeded" else "error",
                "run",
                "run_finished",
                status=status,
                seconds=round((datetime.now(UTC) - self._started_at).total_seconds(), 2),
            )
            run_log.finish()

    def _record_failure(self, steps: dict[str, float], step: str, error: str) -> None:
        """A failed run's meta.runs row, kept pending in HOME/runs/<run_id>/ (the live
        warehouse is not touched); rows per entity from the copy when the run made one."""
        entities: list = []
        if self._opened and self.work_path.exists():
            try:
                with self.connect() as con:
                    entities = runs.entity_rows(con, self._run_id)
            except Exception:  # noqa: BLE001 - a broken copy must not hide the failure
                entities = []
        record = runs.RunRecord(
            run_id=self._run_id,
            business_date=self.business_date,
            status="failed",
            started_at=self._started_at,
            finished_at=datetime.now(UTC),
            entities=entities,
            step_seconds=steps,
            failed_step=step,
            error=error,
        )
        runs.write_pending(self.home_path, record)
        run_log.emit("error", step, "run_failed", failed_step=step, error=error)

    def _publish(self, steps: dict[str, float]) -> None:
        with self.connect() as con:
            con.execute(
                "update meta.loads set status = 'complete', finished_at = now() "
                "where run_id = ? and status = 'running'",
                [self._run_id],
            )
            load = fetch_first(
                con, "select max(load_id) from meta.loads where run_id = ?", [self._run_id]
            )
            load_id = load[0] if load and load[0] is not None else None
            findings_open, findings_new = runs.findings_counts(con, load_id)
            if load_id is None:  # the drop brought nothing new: the latest load is current
                load = fetch_first(con, "select max(load_id) from meta.loads")
                load_id = load[0] if load else None
            record = runs.RunRecord(
                run_id=self._run_id,
                business_date=self.business_date,
                status="succeeded",
                started_at=self._started_at,
                finished_at=datetime.now(UTC),
                load_id=load_id,
                entities=runs.entity_rows(con, self._run_id),
                findings_open=findings_open,
                findings_new=findings_new,
                step_seconds=steps,
            )
            folded = runs.fold_pending(con, self.home_path)
            # the parameters the night built with, published with its load (for as-of rebuilds)
            runs.record_metric_params(con, self.business_date, self._metric_params, load_id)
            runs.insert(con, record)
            con.execute("checkpoint")
        os.replace(self.work_path, self.live_path)
        run_log.emit(
            "info",
            "publish",
            "published",
            warehouse=str(self.live_path),
            load_id=load_id,
            findings_open=findings_open,
            findings_new=findings_new,
            pending_runs_recorded=folded,
        )
        for published in ("reports", "alerts"):  # files the run staged beside its copy
            staged = self.run_dir / published
            if not staged.exists():
                continue
            target = self.home_path / published
            for src in staged.rglob("*"):
                if src.is_file():
                    dest = target / src.relative_to(staged)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest)
        if self._settings.lake_dir:
            self._sync_lake(self._settings.lake_dir)

    def _sync_lake(self, target: str) -> None:
        """Write the published loads to the lake (still holding the lock). The warehouse is
        published whatever happens here: a failed sync is reported, and the next night (or
        `salesops lake sync`) catches up by difference."""
        try:
            with duckdb.connect(str(self.live_path), read_only=True) as con:
                configure_connection(con, self._settings)
                done = lake.sync(con, target, echo=lambda line: say("lake", line))
            say("lake", f"lake {target} holds {done.loads} loads ({done.seconds:g}s)")
        except Exception as exc:  # noqa: BLE001 - the published run stays published
            say("lake", f"the lake {target} was not brought up to date: {exc}")
            run_log.emit("error", "lake", "lake_sync_failed", lake=target, error=str(exc))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
