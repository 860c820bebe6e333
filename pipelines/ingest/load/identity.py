"""Rule family *identity* at settle time: ids on several rows of one file.

An id on rows with different content is a conflict (``duplicate_id_conflict``, from the
suite's uniqueness expectations, which span the file and so run here in SQL): every such row
is quarantined. Rows that repeat another row exactly are *repeats*: loaded once, as the
first of them.
"""

from __future__ import annotations

import duckdb

from pipelines.core.contract import Entity
from pipelines.ingest.checks.vectorised import Expectation
from pipelines.ingest.load.spool import TEXT_PREFIX
from pipelines.ingest.load.sql import hash_sql, key_sql, sql_text
from pipelines.ingest.values.parse import ROW_INDEX


def count_repeated_ids(
    con: duckdb.DuckDBPyConnection, entity: Entity, relation: str = "_typed"
) -> None:
    """Temp table ``_multi``: each id on more than one row of ``relation`` (the file's rows;
    usually none), with how many different contents it has."""
    key = key_sql(entity)
    spool_hash = hash_sql(entity, prefix=TEXT_PREFIX)
    con.execute(
        f"""create or replace temp table _multi as
            with repeated as (select {key} as _version_key from {relation}
                              group by 1 having count(*) > 1)
            select {key} as _version_key, count(distinct {spool_hash}) as _contents
            from {relation} where {key} in (select _version_key from repeated)
            group by 1"""  # noqa: S608
    )


def unique_failures_sql(entity: Entity, checks: list[Expectation], relation: str) -> list[str]:
    """SQL selecting rows that share the checked columns with rows of different content."""
    spool_hash = hash_sql(entity, prefix=TEXT_PREFIX)
    out = []
    for e in checks:
        cols = e.columns
        on_key = sorted(cols) == sorted(entity.key)
        quoted = ", ".join(f'"{c}"' for c in cols)
        if len(cols) == 1:
            value = f'cast(r."{cols[0]}" as varchar)'
        else:
            value = " || ' / ' || ".join(
                f"'{c}=' || coalesce(cast(r.\"{c}\" as varchar), 'None')" for c in cols
            )
        not_null = " and ".join(f'"{c}" is not null' for c in cols)
        # GE's compound check with ignore_row_if="never" compares nulls as values too.
        never = e.kwargs.get("ignore_row_if", "all_values_are_missing") == "never"
        if e.type == "expect_compound_columns_to_be_unique" and never:
            not_null = "true"
        join = " and ".join(f'r."{c}" is not distinct from d."{c}"' for c in cols)
        if on_key and (e.type != "expect_compound_columns_to_be_unique" or never):
            # The key's repeats are already counted (``_multi``): no second pass over the file.
            rows = f"""from {relation} r where {key_sql(entity, "r")} in
                       (select _version_key from _multi where _contents > 1)"""
            if e.type == "expect_column_values_to_be_unique":
                rows += f' and r."{cols[0]}" is not null'
        else:
            rows = f"""from {relation} r
                join (select {quoted} from {relation} where {not_null}
                      group by all having count(distinct {spool_hash}) > 1) d on {join}"""
        out.append(
            f"""select r.{ROW_INDEX}::bigint, {e.position}::integer, {sql_text(e.rule)},
                       '{e.severity}', {sql_text(e.shown_column or "")}, {value},
                       {sql_text(e.message)}, {sql_text(e.fix)}
                {rows}"""
        )
    return out


def mark_repeats(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Temp table ``_repeats``: rows identical to an earlier row of the file (not loaded
    again; the first of them stands for all)."""
    spool_hash = hash_sql(entity, prefix=TEXT_PREFIX)
    con.execute(
        f"""create or replace temp table _repeats as
            select {ROW_INDEX} from _typed
            where {key_sql(entity)} in (select _version_key from _multi)
            qualify row_number() over (partition by {spool_hash} order by {ROW_INDEX}) > 1"""  # noqa: S608
    )
