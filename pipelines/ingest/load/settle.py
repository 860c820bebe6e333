"""The settle stage: everything that needs the whole file, in DuckDB SQL over the spool.

Runs inside the file's transaction, in this order:

1. the file-wide checks, per rule family: ids on rows with different content
   (:mod:`.identity`), references to records that exist in no load (:mod:`.references`);
   ragged rows (:mod:`.batch`, already quarantined) are left out of them;
   the rows with any reason are then copied out of the spool once (``_failing``), for the
   steps below that need their values;
2. each row's fate: quarantined (any quarantine reason) or loaded; exact repeats of a row
   share its version (:mod:`.identity`);
3. quarantine writing (:mod:`.quarantine`);
4. new versions appended to ``raw.<entity>`` (:mod:`.versions`), and the warnings on them
   (:mod:`.findings`);
5. earlier quarantined rows of records that now loaded cleanly resolved; in a full export,
   the records no longer carried marked deleted.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.core.contract import Entity
from pipelines.ingest.checks.vectorised import CompiledSuite
from pipelines.ingest.load.batch import RAGGED_ROW
from pipelines.ingest.load.findings import record_warnings, suite_outcomes, tally
from pipelines.ingest.load.identity import count_repeated_ids, mark_repeats, unique_failures_sql
from pipelines.ingest.load.quarantine import (
    mark_quarantined,
    resolve_quarantined,
    write_quarantine,
)
from pipelines.ingest.load.references import reference_failures_sql
from pipelines.ingest.load.result import FileResult
from pipelines.ingest.load.spool import FAILING, FAILING_TEXT, Spool, create_text_view
from pipelines.ingest.load.versions import append_deletions, append_new_versions, gone_records
from pipelines.ingest.profiles.model import Profile
from pipelines.ingest.values.parse import ROW_INDEX


def settle(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    suite: CompiledSuite,
    spool: Spool,
    result: FileResult,
    file_name: str,
    load_id: int,
    now: datetime,
    mode: str,
    profile: Profile,
) -> None:
    """Everything that needs the whole file, in SQL over the spooled batches."""
    # --- file-wide checks: ids on rows with different content, unknown references; not on
    # ragged rows (their cells are not in their columns)
    con.execute(
        f"""create or replace temp view _checked as select * from _typed anti join
            (select {ROW_INDEX} from _failures where rule = '{RAGGED_ROW}') using ({ROW_INDEX})"""  # noqa: S608
    )
    count_repeated_ids(con, entity, "_checked")
    extra = unique_failures_sql(entity, suite.file, "_checked")
    refs = reference_failures_sql(con, entity, "_checked")
    for sql in [*extra, *([refs] if refs else [])]:
        con.execute(f"insert into _failures {sql}")  # noqa: S608
    result.outcomes = suite_outcomes(con, suite, spool.counts)
    # The rows with any reason (usually few), read from the spool once: quarantine writing,
    # warnings and tallies join these instead of scanning the whole spool again each.
    con.execute(
        f"""create or replace temp table {FAILING} as select * from _typed
            semi join (select distinct {ROW_INDEX} from _failures) using ({ROW_INDEX})"""  # noqa: S608
    )
    create_text_view(con, entity, FAILING_TEXT, FAILING)

    # --- fates: quarantined, or loaded (exact repeats of a row share its version)
    result.rows_quarantined = mark_quarantined(con)
    mark_repeats(con, entity)
    result.rows_loaded = spool.rows - result.rows_quarantined

    # --- quarantine
    write_quarantine(con, entity, file_name, load_id)

    # --- new versions: loaded rows whose content differs from the record's current version
    new_rows = append_new_versions(con, entity, file_name, load_id, now)
    result.rows_unchanged = result.rows_loaded - new_rows

    # --- the warnings on the new versions
    result.rows_flagged = record_warnings(con, entity, file_name, load_id)
    tally(con, result)

    # --- earlier quarantined rows of records that now loaded cleanly are resolved
    resolve_quarantined(con, entity, load_id)
    if mode == "full":
        max_share = profile.entities[entity.name].max_deleted_share
        gone = gone_records(con, entity, max_share, result)
        append_deletions(con, entity, gone, file_name, load_id, now)
