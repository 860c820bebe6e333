"""Quarantine writing: the rows a file's checks rejected, kept whole in ``meta.quarantine``.

A row is quarantined when any of its reasons (``_failures``, from every rule family) has
severity quarantine; it is stored as exported, with every reason in order, the first one
being its rule. A row whose only reasons are missing references is *retryable* (parked) and
also keeps its values in canonical form, so a later load can release it. A clean row of a
record closes that record's earlier quarantined rows.
"""

from __future__ import annotations

import duckdb

from pipelines.core.contract import Entity
from pipelines.ingest.load.owners import owner_sql
from pipelines.ingest.load.references import MISSING_REFERENCE
from pipelines.ingest.load.spool import FAILING, FAILING_TEXT
from pipelines.ingest.load.sql import OWNER, RECORD_ID, hash_sql
from pipelines.ingest.profiles.apply import EXTRA
from pipelines.ingest.values.parse import ROW_INDEX
from pipelines.warehouse.schema import fetch_first


def mark_quarantined(con: duckdb.DuckDBPyConnection) -> int:
    """Temp table ``_quarantined``: the rows with a quarantine reason; returns how many."""
    con.execute(
        """create or replace temp table _quarantined as
           select _row_index from _failures where severity = 'quarantine' group by 1"""
    )
    return fetch_first(con, "select count(*) from _quarantined")[0]


def canonical_json_sql(entity: Entity, alias: str) -> str:
    """JSON of a row's typed values in the canonical text form (ISO dates, UTC offsets)."""
    parts = []
    for c in entity.columns:
        col = f'{alias}."{c.name}"'
        if c.type == "timestamp":
            value = f"strftime(timezone('UTC', {col}), '%Y-%m-%d %H:%M:%S.%f') || '+00:00'"
        else:
            value = f"cast({col} as varchar)"
        parts.append(f"'{c.name}', {value}")
    return f"json_object({', '.join(parts)})"


def row_json_sql(entity: Entity, alias: str) -> str:
    """JSON of a row as exported (contract columns as text, unmapped cells under _extra)."""
    cols = ", ".join(f"'{c}', {alias}.\"{c}\"" for c in entity.column_names)
    return (
        f"case when {alias}.{EXTRA} is null then json_object({cols}) "
        f"else json_object({cols}, '{EXTRA}', json({alias}.{EXTRA})) end"
    )


def write_quarantine(
    con: duckdb.DuckDBPyConnection, entity: Entity, file_name: str, load_id: int
) -> None:
    """Quarantine the rejected rows whole: as exported, with every reason, first one first."""
    if not fetch_first(con, "select count(*) from _quarantined")[0]:
        return
    reasons = (
        'to_json(list(struct_pack(rule := f.rule, "column" := f.column_name, '
        "value := f.value_seen, message := f.message, fix := f.fix) order by f.ord))"
    )
    owner = owner_sql(entity, "s", f"s.{OWNER}", FAILING)
    con.execute(
        f"""insert or ignore into meta.quarantine
              (quarantine_id, load_id, entity, source_file, source_row, record_id, owner_rep_id,
               rule, column_name, value_seen, reason, reasons, row_data, retryable,
               canonical_data, row_hash, released_load_id)
            with q as (
                select f.{ROW_INDEX},
                       first(f.rule order by f.ord) as rule,
                       first(f.column_name order by f.ord) as column_name,
                       first(f.value_seen order by f.ord) as value_seen,
                       string_agg(f.message, '; ' order by f.ord) as reason,
                       {reasons} as reasons,
                       bool_and(f.rule = '{MISSING_REFERENCE}') as retryable
                from _failures f where f.severity = 'quarantine' group by 1)
            select md5(?::varchar || '|' || ? || '|' || ? || '|' || q.{ROW_INDEX}),
                   ?, ?, ?, q.{ROW_INDEX}, s.{RECORD_ID}, {owner},
                   q.rule, q.column_name,
                   q.value_seen, q.reason, q.reasons, {row_json_sql(entity, "t")},
                   q.retryable,
                   case when q.retryable then {canonical_json_sql(entity, "s")} end,
                   {hash_sql(entity, "t")}, null
            from q join {FAILING} s using ({ROW_INDEX})
            join {FAILING_TEXT} t using ({ROW_INDEX})""",  # noqa: S608
        [load_id, entity.name, file_name, load_id, entity.name, file_name],
    )


def resolve_quarantined(con: duckdb.DuckDBPyConnection, entity: Entity, load_id: int) -> None:
    """A clean row for a record closes that record's earlier quarantined rows."""
    open_rows = fetch_first(
        con,
        """select count(*) from meta.quarantine
           where entity = ? and load_id < ? and released_load_id is null
             and resolved_load_id is null""",
        [entity.name, load_id],
    )[0]
    if not open_rows:
        return
    con.execute(
        f"""update meta.quarantine set resolved_load_id = ?
            where entity = ? and load_id < ? and released_load_id is null
              and resolved_load_id is null
              and record_id in (select {RECORD_ID} from _typed
                                anti join _quarantined using ({ROW_INDEX}))""",  # noqa: S608
        [load_id, entity.name, load_id],
    )
