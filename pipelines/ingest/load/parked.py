"""Rule family *references*, later nights: parked rows retried and released.

A row quarantined only because a record it points to had not arrived is *parked*
(``meta.quarantine.retryable``). Every load of its entity retries it; once every reference
resolves it is appended to raw, keeping its original file and row number, and gets the same
warn-level checks as a row loaded directly.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.checks.vectorised import compile_suite
from pipelines.ingest.load.references import reference_failures_sql
from pipelines.ingest.load.rows import check_rows
from pipelines.ingest.load.sql import (
    HASH,
    KEY_SEPARATOR,
    RECORD_ID,
    current_sql,
    key_sql,
    row_hashes,
)
from pipelines.ingest.profiles.apply import EXTRA
from pipelines.ingest.values.parse import ROW_INDEX, parse_frame_failures


def _key_expr(entity: Entity) -> pl.Expr:
    return pl.concat_str(
        [pl.col(k).fill_null("") for k in entity.key], separator=KEY_SEPARATOR
    ).alias(RECORD_ID)


def record_released(
    con: duckdb.DuckDBPyConnection, run_id: str, entity_name: str, released: int
) -> None:
    """Note the parked rows an entity's load released on its file's accounting row."""
    con.execute(
        "update meta.load_files set rows_released = ? "
        "where run_id = ? and entity = ? and status = 'loaded'",
        [released, run_id, entity_name],
    )


def release_parked(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    *,
    load_id: int,
    timezone: str,
    now: datetime,
) -> int:
    """Retry rows of ``entity`` parked for a missing reference; return how many were released.

    A parked row whose references now all exist is appended to raw (keeping
    its original file and row number, with the current load id) unless a
    later version of the same record has arrived meanwhile, in which case it
    is simply closed as released.
    """
    parked = con.execute(
        """select quarantine_id, load_id, source_file, source_row,
                  coalesce(canonical_data, row_data), row_hash, row_data->>'_extra'
           from meta.quarantine
           where entity = ? and retryable and released_load_id is null
             and resolved_load_id is null
           order by load_id, source_row""",
        [entity.name],
    ).fetchall()
    if not parked:
        return 0
    # Parked rows from different files may share a row number: key them by position.
    text = pl.DataFrame(
        [json.loads(r[4]) for r in parked],
        schema={c: pl.String for c in entity.column_names},
        strict=False,
    ).select(entity.column_names)
    text = text.with_columns(
        pl.Series(ROW_INDEX, range(len(parked)), dtype=pl.Int64),
        pl.Series("_orig_row", [r[3] for r in parked], dtype=pl.Int64),
        pl.Series("_quarantine_id", [r[0] for r in parked]),
        pl.Series("_parked_load", [r[1] for r in parked], dtype=pl.Int64),
        pl.Series("_source_file", [r[2] for r in parked]),
        pl.Series("_stored_hash", [r[5] for r in parked], dtype=pl.String),
        pl.Series(EXTRA, [r[6] for r in parked], dtype=pl.String),
    )
    # The version keeps the hash of the row as exported, so the same row arriving
    # again later is recognised as unchanged.
    text = text.with_columns(pl.coalesce("_stored_hash", row_hashes(con, text, entity)).alias(HASH))
    typed, _ = parse_frame_failures(
        text.select([ROW_INDEX, *entity.column_names]), entity, timezone
    )
    parked_rows = typed.join(  # noqa: F841 - read by DuckDB below
        text.select(
            ROW_INDEX, "_orig_row", "_quarantine_id", "_parked_load", "_source_file", HASH, EXTRA
        ),
        on=ROW_INDEX,
    ).with_columns(_key_expr(entity))
    refs = reference_failures_sql(con, entity, "parked_rows")
    missing = f"select {ROW_INDEX} from ({refs})" if refs else "select null::bigint where false"
    # Only the latest parked version of a record is inserted, and only if no later version
    # arrived meanwhile; every ready row is closed as released.
    ready = con.sql(
        f"""select p.{ROW_INDEX}, p._quarantine_id,
                   row_number() over (partition by p._version_key
                                      order by p._parked_load desc, p._orig_row desc) = 1
                   and (c._current_load is null or c._current_load <= p._parked_load) as insert
            from (select *, {key_sql(entity)} as _version_key from parked_rows
                  where {ROW_INDEX} not in ({missing})) p
            left join ({current_sql(entity)}) c using (_version_key)"""  # noqa: S608
    ).pl()
    if ready.height == 0:
        return 0
    to_insert = typed.join(
        ready.filter(pl.col("insert")).select(ROW_INDEX), on=ROW_INDEX, how="semi"
    )
    # Released rows get the same warn-level checks as rows loaded directly.
    failures, _ = check_rows(
        entity,
        compile_suite(entity.name),
        to_insert,
        text.join(to_insert.select(ROW_INDEX), on=ROW_INDEX, how="semi"),
        timezone=timezone,
    )
    info = parked_rows.select(
        ROW_INDEX,
        "_source_file",
        "_orig_row",
        RECORD_ID,
        *([entity.owner_column] if entity.owner_column else []),
    )
    warnings = (  # noqa: F841 - read by DuckDB below
        failures.filter(pl.col("severity") == "warn")
        .join(  # noqa: F841
            info, on=ROW_INDEX
        )
        .select(
            pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
            pl.lit(entity.name).alias("entity"),
            pl.col("_source_file").alias("source_file"),
            pl.col("_orig_row").alias("source_row"),
            pl.col(RECORD_ID).alias("record_id"),
            (pl.col(entity.owner_column) if entity.owner_column else pl.lit(None, pl.String)).alias(
                "owner_rep_id"
            ),
            "rule",
            "column_name",
            "value_seen",
            "message",
        )
    )
    inserts = parked_rows.join(  # noqa: F841 - read by DuckDB below
        to_insert.select(ROW_INDEX), on=ROW_INDEX, how="semi"
    )
    released = ready.select("_quarantine_id")  # noqa: F841 - read by DuckDB below
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    con.execute("begin transaction")
    try:
        con.execute(
            f"""insert into raw.{entity.name} ({cols}, _load_id, _source_file, _source_row,
                                                 _row_hash, _loaded_at, _extra, _deleted)
                select {cols}, ?, _source_file, _orig_row, {HASH}, ?, {EXTRA}, false
                from inserts order by _parked_load, _orig_row""",  # noqa: S608
            [load_id, now],
        )
        con.execute(
            """insert into meta.row_findings (load_id, entity, source_file, source_row,
                   record_id, owner_rep_id, rule, column_name, value_seen, message)
               select * from warnings"""
        )
        con.execute(
            "update meta.quarantine set released_load_id = ? "
            "where quarantine_id in (select _quarantine_id from released)",
            [load_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ready.height
