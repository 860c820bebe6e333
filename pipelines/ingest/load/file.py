"""Load one entity's export into the warehouse, keeping every row accounted for.

For one file: fingerprint (a file loaded before is skipped), then stream it in
bounded batches. Each batch is mapped, parsed and checked against the entity's
suite (:mod:`.batch`), and spooled to a Parquet file next to the warehouse
(:mod:`.spool`), its failures to a temp table; no batch outlives its turn, so a
file of any size fits in memory. What needs the whole file is then settled in
DuckDB SQL over the spool, in one transaction (:mod:`.settle`). The file's
accounting and its unmapped columns go to ``meta``.

Invariant per file: rows_in = rows_loaded + rows_quarantined, where
rows_loaded counts rows whose content is now in the warehouse, including
``rows_unchanged`` (identical to the current version, nothing appended). A file not
loaded at all (status ``refused`` or ``rejected``, :mod:`pipelines.core.refusals`) has
rows_in = its data rows when they could be counted, every one of them refused.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core import refusals
from pipelines.core.contract import Entity
from pipelines.core.errors import FileRejected
from pipelines.core.settings import Settings
from pipelines.ingest.checks.vectorised import FAILURE_SCHEMA, compile_suite
from pipelines.ingest.files.read import temp_folder
from pipelines.ingest.files.table import BATCH_ROWS
from pipelines.ingest.load.batch import stage_batch
from pipelines.ingest.load.result import FileResult
from pipelines.ingest.load.settle import settle
from pipelines.ingest.load.spool import FAILING, FAILING_TEXT, Spool
from pipelines.ingest.profiles.apply import open_export, source_files
from pipelines.ingest.profiles.loader import load_profile
from pipelines.ingest.profiles.model import Profile
from pipelines.warehouse.schema import fetch_first


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export_sha256(files: list[Path]) -> str:
    """The fingerprint of an export: its file's sha256; for an entity read from several
    files (other mapped files, lookup files), one sha256 over each file's name and sha256,
    so a change to any of them loads the entity again."""
    if len(files) == 1:
        return file_sha256(files[0])
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.name):
        digest.update(f"{f.name}:{file_sha256(f)}\n".encode())
    return digest.hexdigest()


def latest_loaded_file(con: duckdb.DuckDBPyConnection, entity_name: str) -> tuple | None:
    """(sha256, load_id) of the entity's most recently loaded file, if any.

    Only a file identical to *this* one is skipped: an export that reverts to an
    older file's content is a real change and loads.
    """
    return fetch_first(
        con,
        """select file_sha256, load_id from meta.load_files
           where entity = ? and status = 'loaded'
           order by load_id desc limit 1""",
        [entity_name],
    )


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    *,
    load_id: int,
    run_id: str,
    timezone: str,
    now: datetime,
    profile: Profile | None = None,
    batch_rows: int = BATCH_ROWS,
) -> FileResult:
    """Load one export file of ``entity``, read as ``profile`` says (default: canonical).

    ``timezone`` is the business timezone; the profile may say the export
    writes its timestamps in another one. See the module docstring.
    """
    profile = profile or load_profile()
    result = FileResult(
        entity=entity.name, file_name=path.name, status="loaded", profile=profile.profile
    )
    result.sha256 = export_sha256(source_files(path, entity, profile))
    latest = latest_loaded_file(con, entity.name)
    if latest and latest[0] == result.sha256:
        result.status = "skipped_seen"
        result.message = f"identical to the file loaded in load {latest[1]}; skipped"
        _record_file(con, result, load_id, run_id)
        return result

    suite = compile_suite(entity.name)
    failures_schema = pl.DataFrame(schema=FAILURE_SCHEMA)  # noqa: F841 - read by DuckDB below
    con.execute("create or replace temp table _failures as select * from failures_schema")
    with tempfile.TemporaryDirectory(prefix="salesops-spool-", dir=_spool_parent(con)) as tmp:
        spool = Spool(Path(tmp))
        try:
            with temp_folder(Path(tmp)), open_export(path, entity, profile, timezone) as export:
                for batch in export.batches(batch_rows):
                    stage_batch(
                        con,
                        entity,
                        suite,
                        batch,
                        export.formats,
                        export.column_formats,
                        spool,
                        timezone=timezone,
                    )
                result.extra_columns = export.mapped.unmapped_headers
                result.read_notes = _read_notes(export.table, export.mapped)
                mode = export.settings.mode or "delta"
        except FileRejected as exc:
            refuse(result, exc)
            _record_file(con, result, load_id, run_id)
            return result
        result.rows_in = spool.rows
        if spool.rows == 0:
            _record_file(con, result, load_id, run_id)
            return result
        spool.create_views(con, entity)
        # Raw rows carry their source row; the order they are stored in means nothing,
        # and letting DuckDB store them in any order halves the cost of the insert.
        con.execute("set preserve_insertion_order = false")
        try:
            con.execute("begin transaction")
            try:
                settle(con, entity, suite, spool, result, path.name, load_id, now, mode, profile)
                result.new_extra_columns = _record_drift(con, entity, result, load_id)
                _record_file(con, result, load_id, run_id)
                con.execute("commit")
            except duckdb.OutOfMemoryException as exc:
                con.execute("rollback")
                refuse(result, _out_of_memory(path.name, exc, spool.rows))
                _record_file(con, result, load_id, run_id)
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.execute("reset preserve_insertion_order")
            for view in ("_checked", FAILING_TEXT, "_text", "_typed", "_spool"):
                con.execute(f"drop view if exists {view}")
            con.execute(f"drop table if exists {FAILING}")
            con.execute("drop table if exists _failures")
    return result


def refuse(result: FileResult, exc: FileRejected) -> None:
    """``result`` for a file not loaded at all: status ``refused`` or ``rejected`` (its
    reason's), its rows counted as refused when they could be (``rows_in``, none of them
    loaded or quarantined), its size when that was the reason."""
    result.status = exc.status
    result.message = str(exc)
    result.rows_in = exc.rows or 0
    result.rows_loaded = result.rows_quarantined = result.rows_unchanged = 0
    result.read_notes = {
        **result.read_notes,
        "reason": exc.reason,
        "rows_counted": exc.rows is not None,
        **({"size_bytes": exc.size} if exc.size is not None else {}),
    }


def _out_of_memory(name: str, exc: Exception, rows: int) -> FileRejected:
    limit = Settings().duckdb_memory_limit
    return FileRejected(
        name,
        f"needs more memory than SALESOPS_DUCKDB_MEMORY_LIMIT={limit} to settle its "
        f"{rows:,} rows ({str(exc).splitlines()[0]}); nothing of it was loaded",
        "raise SALESOPS_DUCKDB_MEMORY_LIMIT (the machine's memory allowing), or split the export",
        reason=refusals.OUT_OF_MEMORY,
        rows=rows,
    )


def _spool_parent(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse file's folder (its disk is checked for room before a run); else the
    system's temporary folder."""
    row = fetch_first(
        con, "select path from duckdb_databases() where database_name = current_database()"
    )
    return str(Path(row[0]).parent) if row and row[0] else None


def _record_drift(
    con: duckdb.DuckDBPyConnection, entity: Entity, result: FileResult, load_id: int
) -> list[str]:
    """Note the export's unmapped columns; return those never seen before for this entity."""
    new: list[str] = []
    for header in result.extra_columns:
        seen = fetch_first(
            con,
            "select first_load_id from meta.schema_drift "
            "where entity = ? and header = ? and profile = ?",
            [entity.name, header, result.profile],
        )
        if seen is None:
            new.append(header)
            con.execute(
                "insert into meta.schema_drift values (?, ?, ?, ?, ?, ?)",
                [entity.name, header, result.profile, load_id, result.file_name, load_id],
            )
        else:
            con.execute(
                "update meta.schema_drift set last_load_id = ? "
                "where entity = ? and header = ? and profile = ?",
                [load_id, entity.name, header, result.profile],
            )
    return new


def _read_notes(table, mapped) -> dict:
    return {
        "format": table.file_format,
        "compressed": table.compressed,
        "encoding": table.encoding,
        "encoding_detected": table.encoding_detected,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "notes": [*table.notes, *mapped.notes],
        "sources": mapped.sources,
        "unmapped_headers": mapped.unmapped_headers,
        "defaults_used": mapped.defaults_used,
        "translations": {
            column: [{"seen": seen, "used": used, "rows": n} for (seen, used), n in pairs.items()]
            for column, pairs in mapped.substitutions.items()
        },
    }


def _record_file(
    con: duckdb.DuckDBPyConnection, result: FileResult, load_id: int, run_id: str
) -> None:
    con.execute(
        """insert into meta.load_files (load_id, run_id, entity, file_name, file_sha256, status,
           rows_in, rows_loaded, rows_quarantined, rows_unchanged, rows_released, rows_deleted,
           profile, read_notes, message)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            load_id,
            run_id,
            result.entity,
            result.file_name,
            result.sha256,
            result.status,
            result.rows_in,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_unchanged,
            result.rows_released,
            result.rows_deleted,
            result.profile,
            json.dumps(result.read_notes, ensure_ascii=False) if result.read_notes else None,
            result.message,
        ],
    )
