"""DDL of the tables the pipeline owns (schemas ``raw`` and ``meta``).

``raw.<entity>``: append-only; one row per *version* of a record, typed per the
contract, with lineage columns:

    _load_id      BIGINT   load that brought this version
    _source_file  VARCHAR  file name inside the drop
    _source_row   BIGINT   row number as a spreadsheet shows it (header = 1)
    _row_hash     VARCHAR  md5 of the record's content (detects real changes)
    _loaded_at    TIMESTAMPTZ
    _extra        JSON     cells of export columns the profile does not map
    _deleted      BOOLEAN  a deletion marker: a full export no longer carried the record

A later version of the same key supersedes the earlier one; staging models
pick the latest (highest ``_load_id``, then ``_source_row``) and drop records
whose latest version is a deletion marker.

``history.<entity>`` (views): every version with the loads and business dates
it was valid from and to, so the warehouse as it stood on any date can be
queried later.

``meta.*`` records loads, files, quarantined rows, row-level warnings and runs
(``meta.runs``, see :mod:`pipelines.warehouse.runs`), and the fingerprints the incremental
facts were built with (``meta.fact_fingerprints``, see
:mod:`pipelines.transform.fact_fingerprints`).
dbt reads both schemas as sources; only Python writes them.
"""

from __future__ import annotations

import duckdb

from pipelines.core.contract import DUCKDB_TYPES, ENTITIES, Entity

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_id", "BIGINT NOT NULL"),
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_row", "BIGINT NOT NULL"),
    ("_row_hash", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMPTZ NOT NULL"),
    ("_extra", "JSON"),
    ("_deleted", "BOOLEAN NOT NULL DEFAULT false"),
)

#: One row per nightly run (how failed runs get here: pipelines/warehouse/runs.py).
RUNS_DDL = """create table if not exists meta.runs (
    run_id        varchar primary key,
    business_date date,
    status        varchar not null,     -- succeeded | failed
    started_at    timestamptz not null,
    finished_at   timestamptz not null,
    seconds       double not null,
    load_id       bigint,               -- the load published (succeeded runs)
    entities      json not null,        -- [{entity, file, status, rows_in, rows_loaded,
                                        --   rows_quarantined}, ...]
    findings_open integer,              -- open findings in marts.fct_dq_findings after the run
    findings_new  integer,              -- of which first seen in this run's load
    step_seconds  json not null,        -- {"<dagster step>": seconds, ...}
    failed_step   varchar,
    error         varchar
)"""

#: What the nightly run records of each incremental fact it built (see
#: :mod:`pipelines.transform.fact_fingerprints`).
FINGERPRINTS_DDL = """create table if not exists meta.fact_fingerprints (
    model         varchar primary key,  -- dbt model name of the fact
    relation      varchar not null,     -- schema.table it builds
    sql_checksum  varchar not null,     -- the model, its upstream models and their macros
    settings      json not null,        -- {var: value} of the vars that SQL reads
    load_id       bigint,               -- load of the run that recorded it
    recorded_at   timestamptz not null
)"""


#: Review packs sent to their readers (pipelines/packs/delivery.py): one row per file, reader
#: and channel; a file delivered ok is not sent again to the same reader for the same period.
PACK_DELIVERIES_DDL = """create table if not exists meta.pack_deliveries (
    delivered_at timestamptz not null,
    period       varchar not null,
    scope        varchar not null,  -- company, region:NAME, team:NAME, rep:REP_ID
    recipient    varchar not null,  -- email address, or channel:NAME for a shared channel
    channel      varchar not null,
    channel_type varchar not null,
    file_name    varchar not null,
    file_sha256  varchar not null,
    ok           boolean not null,
    attempts     integer not null,
    error        varchar
)"""

#: The metric parameters in force on each business date (every parameter, defaults included),
#: written by the nightly run; the as-of rebuild uses those of the date it rebuilds.
METRIC_PARAMS_DDL = """create table if not exists meta.metric_params (
    as_of_date  date primary key,  -- the run's business date (a re-run replaces the row)
    load_id     bigint,            -- the last load of the warehouse when the run recorded it
    recorded_at timestamptz not null,
    params      json not null
)"""

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
        rows_deleted     bigint not null default 0,
        profile          varchar,
        read_notes       json,   -- encoding, delimiter, header row, value translations ...
        message          varchar
    )""",
    """create table if not exists meta.schema_drift (
        entity         varchar not null,
        header         varchar not null,  -- export column the profile does not map
        profile        varchar not null,
        first_load_id  bigint not null,
        first_file     varchar not null,
        last_load_id   bigint not null,
        primary key (entity, header, profile)
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
        canonical_data   json,    -- parked rows: typed values in canonical text, for release
        row_hash         varchar, -- md5 of the row as exported (its version hash once released)
        released_load_id bigint,  -- parked row released into raw by this load
        resolved_load_id bigint   -- a later load carried a clean row for the same record
    )""",
    """create table if not exists meta.alert_log (
        finding_id         varchar primary key,  -- marts.fct_dq_findings.finding_id
        first_alerted_load bigint not null,
        last_alerted_load  bigint not null,
        last_alerted_date  date not null,        -- business date of the last alert
        times_alerted      integer not null,
        fixed_reported     boolean not null      -- closed, and the owner was told so
    )""",
    """create table if not exists meta.alert_deliveries (
        load_id      bigint not null,
        channel      varchar not null,
        channel_type varchar not null,
        message_key  varchar not null,
        ok           boolean not null,
        attempts     integer not null,
        error        varchar
    )""",
    RUNS_DDL,
    PACK_DELIVERIES_DDL,
    METRIC_PARAMS_DDL,
    FINGERPRINTS_DDL,
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
    for column, type_ in (
        ("resolved_load_id", "bigint"),
        ("canonical_data", "json"),
        ("row_hash", "varchar"),
    ):
        con.execute(f"alter table meta.quarantine add column if not exists {column} {type_}")
    for column, type_ in (
        ("rows_deleted", "bigint default 0"),
        ("profile", "varchar"),
        ("read_notes", "json"),
    ):
        con.execute(f"alter table meta.load_files add column if not exists {column} {type_}")
    _follow_contract(con)
    for e in ENTITIES:
        con.execute(f"alter table raw.{e.name} add column if not exists _extra json")
        con.execute(
            f"alter table raw.{e.name} add column if not exists _deleted boolean default false"
        )
    con.execute("create schema if not exists history")
    for e in ENTITIES:
        con.execute(history_view_ddl(e))


def _follow_contract(con: duckdb.DuckDBPyConnection) -> None:
    """Raw tables of a warehouse created under an earlier contract: columns the contract
    added since are added (empty for the rows already there), and a column whose contract
    type now maps to another decimal type (a wider one) is converted in place."""
    stored = {
        (table, column): type_
        for table, column, type_ in con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_catalog = current_database()"
        ).fetchall()
    }
    for e in ENTITIES:
        for c in e.columns:
            wanted = DUCKDB_TYPES[c.type]
            have = stored.get((e.name, c.name))
            if have is None:
                con.execute(f'alter table raw.{e.name} add column "{c.name}" {wanted}')
            elif _widened_decimal(have, wanted):
                con.execute(f'alter table raw.{e.name} alter column "{c.name}" type {wanted}')


def _widened_decimal(have: str, wanted: str) -> bool:
    """True when a stored DECIMAL column must become the contract's other DECIMAL type."""
    have, wanted = have.replace(" ", "").upper(), wanted.replace(" ", "").upper()
    return have.startswith("DECIMAL") and wanted.startswith("DECIMAL") and have != wanted


def history_view_ddl(e: Entity) -> str:
    """Every version of ``e``'s records with the loads and business dates it was valid in.

    A version is valid from its load until the next version of the same key
    arrives (``valid_to_*`` null: still current). ``is_deleted`` marks a
    deletion marker. The warehouse as it stood on day D:
    ``valid_from_date <= D and (valid_to_date is null or valid_to_date > D) and not is_deleted``.
    """
    keys = ", ".join(f'r."{k}"' for k in e.key)
    return f"""create or replace view history.{e.name} as
        select r.* exclude (_deleted),
               r._deleted as is_deleted,
               r._load_id as valid_from_load,
               l.as_of_date as valid_from_date,
               lead(r._load_id) over w as valid_to_load,
               lead(l.as_of_date) over w as valid_to_date
        from raw.{e.name} as r
        join meta.loads as l on l.load_id = r._load_id
        window w as (partition by {keys} order by r._load_id, r._source_row)"""  # noqa: S608


def fetch_first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """First row of a query (or None), consuming the whole result.

    DuckDB 2 refuses further work on a connection with an unfinished result,
    so never leave one behind with ``fetchone()``.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None
