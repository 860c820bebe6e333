"""SQL fragments every settle step shares: a record's key, a row's version hash, the current
version of each record.

The settle steps run as DuckDB SQL over the spooled file (:mod:`.spool`) and the raw tables;
they must render a key or a hash the same way on both sides, so each is written once, here.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.core.contract import Entity

#: Column of a row's version hash (md5 of its text as exported).
HASH = "_row_hash"
#: Column of a row's record id (its key columns joined by KEY_SEPARATOR).
RECORD_ID = "_record_id"
#: Column of the owner rep a row's findings go to.
OWNER = "_owner"
KEY_SEPARATOR = "|"


def sql_text(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def hash_sql(entity: Entity, alias: str = "", prefix: str = "") -> str:
    """SQL of a row's version hash: md5 of its trimmed text content, as exported.

    ``prefix`` names the text columns (the spool keeps them as ``_text_<column>``).
    A column the contract marks ``hash_if_empty=False`` (added after warehouses held rows)
    counts only when it has a value, named: ``concat_ws`` skips the null, so a row without
    it keeps the hash it had before the column existed.
    """
    qualifier = f"{alias}." if alias else ""
    parts = ", ".join(
        f'coalesce({qualifier}"{prefix}{c.name}", chr(0))'
        if c.hash_if_empty
        else f'chr(30) || {sql_text(c.name)} || chr(30) || {qualifier}"{prefix}{c.name}"'
        for c in entity.columns
    )
    return f"md5(concat_ws(chr(31), {parts}))"


def row_hashes(con: duckdb.DuckDBPyConnection, text: pl.DataFrame, entity: Entity) -> pl.Series:
    """The version hash of each row of ``text``, in row order."""
    return con.sql(f"select {hash_sql(entity)} as {HASH} from text").pl()[HASH]  # noqa: S608


def key_sql(entity: Entity, alias: str = "") -> str:
    """SQL text of a record's key, from typed columns (same rendering on both sides)."""
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce(cast({prefix}\"{k}\" as varchar), '')" for k in entity.key)


def current_sql(entity: Entity) -> str:
    """SQL of each record's current version in ``raw``: key, hash, load, deleted."""
    keys = ", ".join(f'"{k}"' for k in entity.key)
    return f"""select {key_sql(entity)} as _version_key, {HASH} as _current_hash,
                      _load_id as _current_load, _deleted as _current_deleted
               from raw.{entity.name}
               qualify row_number() over (partition by {keys}
                                          order by _load_id desc, _source_row desc) = 1"""  # noqa: S608
