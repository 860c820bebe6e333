"""What a file's checks found, written down: warnings on the new versions
(``meta.row_findings``), the suite's outcome per expectation and the tallies per rule."""

from __future__ import annotations

import duckdb

from pipelines.core.contract import Entity
from pipelines.ingest.checks.run import ExpectationOutcome
from pipelines.ingest.checks.vectorised import CompiledSuite
from pipelines.ingest.load.owners import owner_sql
from pipelines.ingest.load.result import FileResult
from pipelines.ingest.load.spool import FAILING
from pipelines.ingest.load.sql import OWNER, RECORD_ID
from pipelines.ingest.values.parse import ROW_INDEX
from pipelines.warehouse.schema import fetch_first

#: Record ids kept per rule in a file's result (the counts are always exact).
MAX_FAILING_IDS = 100


def suite_outcomes(
    con: duckdb.DuckDBPyConnection, suite: CompiledSuite, batch_counts: dict[int, int]
) -> list[ExpectationOutcome]:
    """Each expectation of the suite with its unexpected count over the whole file: the
    batches' counts, and the file-wide ones (uniqueness) from ``_failures``."""
    file_counts = dict(
        con.execute(
            "select ord, count(*) from _failures where ord between 0 and 9999 group by 1"
        ).fetchall()
    )
    counts = {**batch_counts, **{e.position: file_counts.get(e.position, 0) for e in suite.file}}
    return [
        ExpectationOutcome(
            e.rule,
            e.type,
            ",".join(e.columns) or None,
            counts.get(e.position, 0) == 0,
            counts.get(e.position, 0),
        )
        for e in sorted([*suite.row, *suite.file, *suite.other], key=lambda e: e.position)
    ]


def record_warnings(
    con: duckdb.DuckDBPyConnection, entity: Entity, file_name: str, load_id: int
) -> int:
    """Write the warn-level findings of the new versions (``_new``) to ``meta.row_findings``;
    return how many rows of the file are flagged."""
    owner = owner_sql(entity, "s", f"s.{OWNER}", FAILING)
    con.execute(
        f"""insert into meta.row_findings (load_id, entity, source_file, source_row, record_id,
                                           owner_rep_id, rule, column_name, value_seen, message)
            select ?, ?, ?, f.{ROW_INDEX}, s.{RECORD_ID}, {owner},
                   f.rule, f.column_name,
                   f.value_seen, f.message
            from _failures f semi join _new using ({ROW_INDEX})
            join {FAILING} s using ({ROW_INDEX})
            where f.severity = 'warn'
            order by f.{ROW_INDEX}, f.ord""",  # noqa: S608
        [load_id, entity.name, file_name],
    )
    return fetch_first(
        con,
        "select count(distinct source_row) from meta.row_findings where load_id = ? "
        "and entity = ? and source_file = ?",
        [load_id, entity.name, file_name],
    )[0]


def tally(con: duckdb.DuckDBPyConnection, result: FileResult) -> None:
    """Per rule: rows quarantined (by their first reason), new versions flagged, sample ids."""
    rows = con.execute(
        f"""with q as (select {ROW_INDEX}, first(rule order by ord) as rule from _failures
                       where severity = 'quarantine' group by 1),
                 w as (select distinct f.{ROW_INDEX}, f.rule from _failures f
                       semi join _new using ({ROW_INDEX}) where f.severity = 'warn'),
                 hits as (select 'q' as kind, * from q union all select 'w', * from w)
            select kind, rule, count(*),
                   list(coalesce(s.{RECORD_ID}, 'row ' || h.{ROW_INDEX})
                        order by h.{ROW_INDEX})[1:{MAX_FAILING_IDS}]
            from hits h join {FAILING} s using ({ROW_INDEX})
            group by 1, 2 order by 1, 2"""  # noqa: S608
    ).fetchall()
    for kind, rule, n, ids in rows:
        target = result.quarantined_by_rule if kind == "q" else result.flagged_by_rule
        target[rule] = n
        result.failing_record_ids.setdefault(rule, []).extend(ids)
