"""Versions and deletions: which loaded rows are new versions of their record, and which
records a full export no longer carries.

``raw.<entity>`` keeps each distinct version of a record once, with the load that brought
it; a row identical to its record's current version is loaded but not appended. A record
missing from a full export gets a deletion marker (a copy of its current version with
``_deleted``), never erased.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.core.contract import Entity
from pipelines.ingest.load.result import FileResult
from pipelines.ingest.load.spool import TEXT_PREFIX
from pipelines.ingest.load.sql import current_sql, hash_sql, key_sql
from pipelines.ingest.profiles.apply import EXTRA
from pipelines.ingest.values.parse import ROW_INDEX
from pipelines.warehouse.schema import fetch_first

#: Deleted record ids listed in a file's read notes (the count is always exact).
MAX_KEYS_IN_NOTES = 20


def append_new_versions(
    con: duckdb.DuckDBPyConnection, entity: Entity, file_name: str, load_id: int, now: datetime
) -> int:
    """Append the loaded rows whose content differs from their record's current version
    (neither quarantined nor repeats); temp table ``_new`` lists them. Returns how many."""
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    changed = changed_where = ""
    if fetch_first(con, f"select count(*) from (from raw.{entity.name} limit 1)")[0]:  # noqa: S608
        changed = f"""left join ({current_sql(entity)}) c
                      on c._version_key = {key_sql(entity, "s")}"""
        changed_where = f"and c._current_hash is distinct from {hash_sql(entity, 's', TEXT_PREFIX)}"
    con.execute(
        f"""insert into raw.{entity.name} ({cols}, _load_id, _source_file, _source_row,
                                             _row_hash, _loaded_at, _extra, _deleted)
            select {", ".join(f"s.{c}" for c in (cols.split(", ")))}, ?, ?, s.{ROW_INDEX},
                   {hash_sql(entity, "s", TEXT_PREFIX)}, ?, s."{TEXT_PREFIX}{EXTRA}", false
            from _typed s {changed}
            where s.{ROW_INDEX} not in (select {ROW_INDEX} from _quarantined)
              and s.{ROW_INDEX} not in (select {ROW_INDEX} from _repeats) {changed_where}""",  # noqa: S608
        [load_id, file_name, now],
    )
    con.execute(
        f"""create or replace temp table _new as
            select _source_row as {ROW_INDEX} from raw.{entity.name}
            where _load_id = ? and _source_file = ?""",  # noqa: S608
        [load_id, file_name],
    )
    return fetch_first(con, "select count(*) from _new")[0]


def gone_records(
    con: duckdb.DuckDBPyConnection, entity: Entity, max_share: float, result: FileResult
) -> int:
    """Count (into temp table ``_gone``) the current records a full export no longer carries.

    Rows of the file that were quarantined still count as carried. When more
    than ``max_share`` of the current records would go, nothing is marked: a
    truncated export must not wipe the warehouse; the file's message says so.
    """
    con.execute(
        f"""create or replace temp table _gone as
            select c._version_key from ({current_sql(entity)}) c
            where not c._current_deleted
              and c._version_key not in (select {key_sql(entity)} from _typed)"""  # noqa: S608
    )
    gone = fetch_first(con, "select count(*) from _gone")[0]
    if gone == 0:
        return 0
    live = fetch_first(
        con,
        f"select count(*) from ({current_sql(entity)}) where not _current_deleted",  # noqa: S608
    )[0]
    if live and gone / live > max_share:
        result.message = (
            f"full export lacks {gone:,} of {live:,} current records "
            f"(more than {max_share:.0%}); no deletions applied. If they really were "
            "deleted, raise max_deleted_share for this entity in the profile"
        )
        return 0
    result.rows_deleted = gone
    result.read_notes["deleted_sample"] = [
        r[0]
        for r in con.execute(
            f"select _version_key from _gone order by 1 limit {MAX_KEYS_IN_NOTES}"
        ).fetchall()
    ]
    return gone


def append_deletions(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    gone: int,
    file_name: str,
    load_id: int,
    now: datetime,
) -> None:
    """Append a deletion marker (a copy of the current version, ``_deleted``) per gone record."""
    if not gone:
        return
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    partition = ", ".join(f'"{k}"' for k in entity.key)
    con.execute(
        f"""insert into raw.{entity.name} ({cols}, _load_id, _source_file, _source_row,
                                             _row_hash, _loaded_at, _extra, _deleted)
            select {cols}, ?, ?, 0, 'deleted', ?, _extra, true
            from raw.{entity.name}
            where {key_sql(entity)} in (select _version_key from _gone)
            qualify row_number() over (partition by {partition}
                                       order by _load_id desc, _source_row desc) = 1""",  # noqa: S608
        [load_id, file_name, now],
    )
