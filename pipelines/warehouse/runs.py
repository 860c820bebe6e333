"""``meta.runs``: one row per nightly run, succeeded or failed.

A row holds the run id, business date, status (``succeeded`` | ``failed``), start and end,
the load it made, rows per entity (``entities``: file, status, rows in / loaded /
quarantined), the findings open after it and new in it, the seconds per Dagster step and,
for a failed run, the failed step and its error.

How a row gets there without breaking "a failed load leaves the warehouse as it was":

* A run that succeeds writes its row into its own working copy just before the copy is
  published, so the row appears in the same atomic rename as the data it describes.
* A run that fails never touches the live warehouse (it stays byte-for-byte as it was).
  Its row is written to ``HOME/runs/<run_id>/run_record.json`` instead: a *pending* row.
  The next run that publishes inserts every pending row into ``meta.runs`` (in its working
  copy, under the writer lock; a row already there is skipped). Until then ``salesops
  status`` shows pending rows beside the table's, marked as such.

The same publish records the metric parameters the run built with (``meta.metric_params``,
:func:`record_metric_params`): a night that succeeds records them under its load, whether or
not it rendered a pack; a failed night records none.

A run killed with ``kill -9`` writes no row at all; Dagster shows it as failed (or the CLI
process as killed) and the next run continues normally.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.core.metric_params import params_in_force
from pipelines.warehouse.schema import METRIC_PARAMS_DDL, fetch_first

RECORD_FILE = "run_record.json"

COLUMNS = (
    "run_id",
    "business_date",
    "status",
    "started_at",
    "finished_at",
    "seconds",
    "load_id",
    "entities",
    "findings_open",
    "findings_new",
    "step_seconds",
    "failed_step",
    "error",
)


@dataclass
class RunRecord:
    run_id: str
    business_date: date | None
    status: str
    started_at: datetime
    finished_at: datetime
    load_id: int | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    findings_open: int | None = None
    findings_new: int | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)
    failed_step: str | None = None
    error: str | None = None
    #: Read from a pending file, not (yet) from meta.runs.
    pending: bool = False

    @property
    def seconds(self) -> float:
        return round((self.finished_at - self.started_at).total_seconds(), 2)

    def values(self) -> list[Any]:
        return [
            self.run_id,
            self.business_date,
            self.status,
            self.started_at,
            self.finished_at,
            self.seconds,
            self.load_id,
            json.dumps(self.entities),
            self.findings_open,
            self.findings_new,
            json.dumps(self.step_seconds),
            self.failed_step,
            self.error,
        ]

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("pending")
        return json.dumps(data, indent=2, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        data = json.loads(text)
        data["business_date"] = (
            date.fromisoformat(data["business_date"]) if data.get("business_date") else None
        )
        for key in ("started_at", "finished_at"):
            data[key] = datetime.fromisoformat(data[key])
        return cls(**data, pending=True)

    @classmethod
    def from_row(cls, row: tuple) -> RunRecord:
        data = dict(zip(COLUMNS, row, strict=True))
        data.pop("seconds")
        data["entities"] = json.loads(data["entities"] or "[]")
        data["step_seconds"] = json.loads(data["step_seconds"] or "{}")
        return cls(**data)


def entity_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Rows per entity the run brought (from meta.load_files of the run's copy)."""
    rows = con.execute(
        """select entity, file_name, status, rows_in, rows_loaded, rows_quarantined
           from meta.load_files where run_id = ? and entity is not null order by entity""",
        [run_id],
    ).fetchall()
    keys = ("entity", "file", "status", "rows_in", "rows_loaded", "rows_quarantined")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def findings_counts(
    con: duckdb.DuckDBPyConnection, load_id: int | None
) -> tuple[int | None, int | None]:
    """(open, new) findings in marts.fct_dq_findings; new = open and first seen in ``load_id``."""
    try:
        row = fetch_first(
            con,
            """select count(*) filter (where is_open),
                      count(*) filter (where is_open and first_seen_load = ?)
               from marts.fct_dq_findings""",
            [load_id],
        )
    except duckdb.CatalogException:
        return None, None
    return (row[0], row[1]) if row else (None, None)


def insert(con: duckdb.DuckDBPyConnection, record: RunRecord) -> None:
    con.execute(
        f"insert into meta.runs ({', '.join(COLUMNS)}) values "  # noqa: S608 - fixed names
        f"({', '.join('?' for _ in COLUMNS)}) on conflict do nothing",
        record.values(),
    )


def record_metric_params(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    overrides: dict[str, Any],
    load_id: int | None = None,
) -> None:
    """Record the parameters a run of business date ``as_of`` built with: every parameter (the
    shipped defaults, then ``overrides``, the metrics file's), under ``load_id`` (default: the
    last load of the warehouse). A re-run of the date replaces the row."""
    con.execute("create schema if not exists meta")
    con.execute(METRIC_PARAMS_DDL)
    con.execute(
        """insert or replace into meta.metric_params
           select ?, coalesce(?, (select max(load_id) from meta.loads)), now(), ?""",
        [
            as_of,
            load_id,
            json.dumps(params_in_force(overrides), ensure_ascii=False, sort_keys=True),
        ],
    )


def record_path(home: Path, run_id: str) -> Path:
    return home / "runs" / run_id / RECORD_FILE


def write_pending(home: Path, record: RunRecord) -> Path | None:
    """Keep a failed run's row beside the warehouse; ``None`` when HOME cannot be written."""
    path = record_path(home, record.run_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(record.to_json(), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        return None
    return path


def pending_records(home: Path) -> list[RunRecord]:
    records = []
    for path in sorted((home / "runs").glob(f"*/{RECORD_FILE}")):
        try:
            records.append(RunRecord.from_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # a half-written file of a killed process: nothing to record
    return records


def fold_pending(con: duckdb.DuckDBPyConnection, home: Path) -> int:
    """Insert the pending rows of failed runs into meta.runs (in a working copy); how many."""
    known = {r[0] for r in con.execute("select run_id from meta.runs").fetchall()}
    new = [r for r in pending_records(home) if r.run_id not in known]
    for record in new:
        insert(con, record)
    return len(new)


def last_runs(home: Path, warehouse: Path, limit: int = 10) -> list[RunRecord]:
    """The latest runs, newest first: meta.runs plus pending rows not in it yet."""
    recorded: list[RunRecord] = []
    if warehouse.exists():
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.Error:
            con = None
        if con is not None:
            try:
                rows = con.execute(
                    f"select {', '.join(COLUMNS)} from meta.runs "  # noqa: S608 - fixed names
                    "order by started_at desc limit ?",
                    [limit],
                ).fetchall()
                recorded = [RunRecord.from_row(r) for r in rows]
            except duckdb.CatalogException:
                recorded = []
            finally:
                con.close()
    known = {r.run_id for r in recorded}
    pending = [r for r in pending_records(home) if r.run_id not in known]
    both = sorted(recorded + pending, key=lambda r: r.started_at, reverse=True)
    return both[:limit]


def record_failure_if_missing(
    home: Path,
    run_id: str,
    business_date: date | None,
    started_at: datetime,
    finished_at: datetime,
    step: str,
    error: str,
) -> None:
    """The pending row of a run that failed before its warehouse resource could record it
    (e.g. a full disk found at run start); a row the run wrote itself is kept."""
    if record_path(home, run_id).exists():
        return
    write_pending(
        home,
        RunRecord(
            run_id=run_id,
            business_date=business_date,
            status="failed",
            started_at=started_at,
            finished_at=finished_at,
            failed_step=step,
            error=error,
        ),
    )
