"""DDL of the tables the pipeline owns (schemas ``raw`` and ``meta``).

``raw.<entity>``: append-only; one row per *version* of a record, typed per the
contract, with lineage columns:

    _load_id      BIGINT   load that brought this version
    _source_file  VARCHAR  file name inside the drop
    _source_row   BIGINT   row number as a spreadsheet shows it (header = 1)
    _row_hash     VARCHAR  md5 of the record's content (detects real changes)
    _loaded_at    TIMESTAMPTZ

A later version of the same key supersedes the earlier one; staging models
pick the latest (highest ``_load_id``, then ``_source_row``).

``meta.*`` records loads, files, quarantined rows and row-level warnings.
dbt reads both schemas as sources; only Python writes them.
"""

from __future__ import annotations

import duckdb

from pipelines.contract import DUCKDB_TYPES, ENTITIES, Entity

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_id", "BIGINT NOT NULL"),
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_row", "BIGINT NOT NULL"),
    ("_row_hash", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMPTZ NOT NULL"),
)

META_DDL: tuple[str, ...] = (
    """create table if not exists meta.loads (
        load_id      bigint primary key,
        run_id       varchar not null,
        as_of_date   date not null,
        inbox        varchar not null,
        started_at   timestamptz not null,
        finished_at  timestamptz,
        status       varchar not null
    )""",
    """create table if not exists meta.load_files (
        load_id          bigint not null,
        run_id           varchar not null,
        entity           varchar,
        file_name        varchar not null,
        file_sha256      varchar,
        status           varchar not null,  -- loaded | skipped_seen | rejected | ignored
        rows_in          bigint not null default 0,
        rows_loaded      bigint not null default 0,
        rows_quarantined bigint not null default 0,
        rows_unchanged   bigint not null default 0,
        rows_released    bigint not null default 0,
        message          varchar
    )""",
    """create table if not exists meta.quarantine (
        quarantine_id    varchar primary key,
        load_id          bigint not null,
        entity           varchar not null,
        source_file      varchar not null,
        source_row       bigint not null,
        record_id        varchar,
        owner_rep_id     varchar,
        rule             varchar not null,
        column_name      varchar,
        value_seen       varchar,
        reason           varchar not null,
        reasons          json not null,
        row_data         json not null,
        retryable        boolean not null,
        released_load_id bigint,  -- parked row released into raw by this load
        resolved_load_id bigint   -- a later load carried a clean row for the same record
    )""",
    """create table if not exists meta.row_findings (
        load_id      bigint not null,
        entity       varchar not null,
        source_file  varchar not null,
        source_row   bigint not null,
        record_id    varchar,
        owner_rep_id varchar,
        rule         varchar not null,
        column_name  varchar,
        value_seen   varchar,
        message      varchar not null
    )""",
)


def raw_table_ddl(e: Entity) -> str:
    cols = [f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in e.columns]
    cols += [f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS]
    return f"create table if not exists raw.{e.name} (\n    " + ",\n    ".join(cols) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw and meta table that does not exist yet (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    for e in ENTITIES:
        con.execute(raw_table_ddl(e))
    for ddl in META_DDL:
        con.execute(ddl)
    # Columns added after a warehouse was first created.
    con.execute("alter table meta.quarantine add column if not exists resolved_load_id bigint")


def fetch_first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """First row of a query (or None), consuming the whole result.

    DuckDB 2 refuses further work on a connection with an unfinished result,
    so never leave one behind with ``fetchone()``.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None
