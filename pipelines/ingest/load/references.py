"""Rule family *references* at settle time: rows that point at a record no load has brought.

Such a row is quarantined as ``missing_reference`` (severity and texts from the rule
catalogue) and *parked*: retried on every later load
and released once the record exists (:mod:`.parked`).
"""

from __future__ import annotations

import duckdb

from pipelines.core.contract import ENTITY_BY_NAME, Entity
from pipelines.ingest.checks.catalogue import Sql
from pipelines.ingest.checks.catalogue import rule as catalogue_rule
from pipelines.ingest.checks.suites import ONE_OF_REQUIRED
from pipelines.ingest.load.sql import sql_text
from pipelines.ingest.values.parse import ROW_INDEX
from pipelines.warehouse.schema import fetch_first

MISSING_REFERENCE = "missing_reference"
#: Where reference failures sort among a row's reasons (after the suite's, see :mod:`.rows`).
ORD_REFERENCE = 10_000


def entity_ever_loaded(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    n = fetch_first(
        con, "select count(*) from meta.load_files where entity = ? and status = 'loaded'", [name]
    )[0]
    return n > 0 or fetch_first(con, f"select count(*) from raw.{name}")[0] > 0  # noqa: S608


def reference_failures_sql(
    con: duckdb.DuckDBPyConnection, entity: Entity, relation: str
) -> str | None:
    """SQL selecting the failures (FAILURE_SCHEMA) of rows of ``relation`` whose reference
    names a record that exists in no load so far; None when there is nothing to check."""
    rule = catalogue_rule(MISSING_REFERENCE)
    selects = []
    for i, ref in enumerate(entity.references):
        target = ENTITY_BY_NAME[ref.entity]
        col = f'r."{ref.column}"'
        if target.optional and not entity_ever_loaded(con, target.name):
            # e.g. no invoices ever exported (they are derived from orders): the reference
            # is informational, unless it is the row's only link of a one-of group.
            alternatives = [
                c
                for g in ONE_OF_REQUIRED.get(entity.name, ())
                if ref.column in g
                for c in g
                if c != ref.column
            ]
            if not alternatives:
                continue
            unresolved = " and ".join(f'r."{c}" is null' for c in alternatives)
        else:
            (key,) = target.key
            unresolved = f'not exists (select 1 from raw.{target.name} t where t."{key}" = {col})'
        details = {"column": ref.column, "value": Sql(col), "target": target.name}
        selects.append(
            f"""select r.{ROW_INDEX}::bigint as {ROW_INDEX}, {ORD_REFERENCE + i}::integer as ord,
                       {sql_text(MISSING_REFERENCE)} as rule, {sql_text(rule.severity)} as severity,
                       {sql_text(ref.column)} as column_name, cast({col} as varchar) as value_seen,
                       {rule.message.sql(**details)} as message, {rule.fix.sql(**details)} as fix
                from {relation} r
                where {col} is not null and {unresolved}"""
        )
    return " union all ".join(selects) or None
