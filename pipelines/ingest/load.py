"""Load one entity's export into the warehouse, keeping every row accounted for.

For one file: fingerprint (a file loaded before is skipped), then stream it in
bounded batches. Each batch is mapped, parsed and checked against the entity's
suite (:mod:`pipelines.ingest.checks.vectorised`) in polars, and spooled to a
Parquet file next to the warehouse, its failures to a temp table; no batch
outlives its turn, so a file of any size fits in memory. What needs the whole file is then settled
in DuckDB SQL over the spool, in one transaction: rows that share an id with
different content, references to records that exist in no load, which rows
are new versions, and (full exports) which records are gone. The new record
versions are appended to ``raw.<entity>``, rejected rows are quarantined
whole with their reasons, row-level warnings and the file's accounting go to
``meta``. Rows parked only for a missing reference are retried on every load
and released once the reference exists.

Invariant per file: rows_in = rows_loaded + rows_quarantined, where
rows_loaded counts rows whose content is now in the warehouse, including
``rows_unchanged`` (identical to the current version, nothing appended).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core.contract import ENTITY_BY_NAME, Entity
from pipelines.core.errors import FileRejected
from pipelines.ingest.checks.run import ExpectationOutcome, validate_rows
from pipelines.ingest.checks.suites import ONE_OF_REQUIRED, one_of_column
from pipelines.ingest.checks.vectorised import (
    FAILURE_SCHEMA,
    CompiledSuite,
    Expectation,
    compile_suite,
    concat_failures,
    row_failures,
)
from pipelines.ingest.files.table import BATCH_ROWS
from pipelines.ingest.profiles.apply import EXTRA, open_export
from pipelines.ingest.profiles.loader import load_profile
from pipelines.ingest.profiles.model import Profile
from pipelines.ingest.values.formats import ValueFormats
from pipelines.ingest.values.numbers import currency_marks
from pipelines.ingest.values.parse import ROW_INDEX, parse_frame_failures
from pipelines.warehouse.schema import fetch_first

HASH = "_row_hash"
RECORD_ID = "_record_id"
OWNER = "_owner"
MISSING_REFERENCE = "missing_reference"
UNPARSEABLE = "unparseable_value"
CURRENCY_MISMATCH = "currency_mismatch"
KEY_SEPARATOR = "|"
#: Deleted record ids listed in a file's read notes (the count is always exact).
MAX_KEYS_IN_NOTES = 20
#: Record ids kept per rule in a file's result (the counts are always exact).
MAX_FAILING_IDS = 100
#: Spool columns holding a row as exported are named with this prefix.
TEXT_PREFIX = "_text_"
#: Where failures of each kind sort among a row's reasons (the first is the row's rule).
_ORD_PARSE = -1000
_ORD_REFERENCE = 10_000
_ORD_CURRENCY = 20_000


@dataclass
class FileResult:
    entity: str
    file_name: str | None
    status: str  # loaded | skipped_seen | rejected | absent
    sha256: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    rows_released: int = 0
    rows_flagged: int = 0
    rows_deleted: int = 0
    message: str | None = None
    profile: str | None = None
    #: How the file was read and mapped (encoding, header row, sources, translations ...).
    read_notes: dict = field(default_factory=dict)
    #: Export columns the profile does not map (kept in raw._extra) ...
    extra_columns: list[str] = field(default_factory=list)
    #: ... and those of them seen for the first time (reported once).
    new_extra_columns: list[str] = field(default_factory=list)
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    flagged_by_rule: dict[str, int] = field(default_factory=dict)
    #: Up to MAX_FAILING_IDS record ids (or "row N") per rule.
    failing_record_ids: dict[str, list[str]] = field(default_factory=dict)
    outcomes: list[ExpectationOutcome] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def latest_loaded_file(con: duckdb.DuckDBPyConnection, entity_name: str) -> tuple | None:
    """(sha256, load_id) of the entity's most recently loaded file, if any.

    Only a file identical to *this* one is skipped: an export that reverts to an
    older file's content is a real change and loads.
    """
    return fetch_first(
        con,
        """select file_sha256, load_id from meta.load_files
           where entity = ? and status = 'loaded'
           order by load_id desc limit 1""",
        [entity_name],
    )


# ------------------------------------------------------------------ batch stage


def _key_expr(entity: Entity) -> pl.Expr:
    return pl.concat_str(
        [pl.col(k).fill_null("") for k in entity.key], separator=KEY_SEPARATOR
    ).alias(RECORD_ID)


def hash_sql(entity: Entity, alias: str = "", prefix: str = "") -> str:
    """SQL of a row's version hash: md5 of its trimmed text content, as exported.

    ``prefix`` names the text columns (the spool keeps them as ``_text_<column>``).
    """
    qualifier = f"{alias}." if alias else ""
    parts = ", ".join(f'coalesce({qualifier}"{prefix}{c}", chr(0))' for c in entity.column_names)
    return f"md5(concat_ws(chr(31), {parts}))"


def _row_hashes(con: duckdb.DuckDBPyConnection, text: pl.DataFrame, entity: Entity) -> pl.Series:
    """The version hash of each row of ``text``, in row order."""
    return con.sql(f"select {hash_sql(entity)} as {HASH} from text").pl()[HASH]  # noqa: S608


def _derive_one_of(typed: pl.DataFrame, entity: Entity) -> pl.DataFrame:
    for group in ONE_OF_REQUIRED.get(entity.name, ()):
        typed = typed.with_columns(
            pl.coalesce([pl.col(c).cast(pl.String) for c in group]).alias(one_of_column(group))
        )
    return typed


def check_rows(
    entity: Entity, suite: CompiledSuite, typed: pl.DataFrame, text: pl.DataFrame
) -> tuple[pl.DataFrame, dict[int, int]]:
    """The suite's row-level failures of a batch (failures frame) and counts per expectation."""
    typed = _derive_one_of(typed, entity)
    shown = text.select(ROW_INDEX, *entity.column_names)
    failures, counts = row_failures(typed, shown, suite.row)
    if suite.other:  # types without a polars translation: GE runs them on the batch
        found, outcomes = validate_rows(
            entity.name, typed, shown=shown, positions=[e.position for e in suite.other]
        )
        counts.update(
            {e.position: o.unexpected_count for e, o in zip(suite.other, outcomes, strict=True)}
        )
        extra = pl.DataFrame(
            [
                [f.row_index, f.position, f.rule, f.severity, f.column, f.value, f.message, f.fix]
                for f in found
            ],
            schema=FAILURE_SCHEMA,
            orient="row",
        )
        failures = concat_failures([failures, extra])
    return failures, counts


def _text(*parts: str | pl.Expr) -> pl.Expr:
    """Text from literal and column parts (``pl.format`` panics on some filtered string
    columns in polars 2.1; ``concat_str`` does not)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts])


def _parse_failures(unread: pl.DataFrame) -> pl.DataFrame:
    return unread.select(
        pl.col(ROW_INDEX),
        (pl.col("position") + _ORD_PARSE).cast(pl.Int32).alias("ord"),
        pl.lit(UNPARSEABLE).alias("rule"),
        pl.lit("quarantine").alias("severity"),
        pl.col("column").alias("column_name"),
        pl.col("value").alias("value_seen"),
        _text(
            pl.col("column"), ": cannot read '", pl.col("value"), "'; expected ", pl.col("expected")
        ).alias("message"),
        _text("correct the value so it is ", pl.col("expected")).alias("fix"),
    )


def currency_failures(
    entity: Entity, text: pl.DataFrame, typed: pl.DataFrame, formats: ValueFormats
) -> pl.DataFrame:
    """Amounts written with a currency mark that contradicts the row's currency.

    ``EUR 1,000.00`` in a row whose currency is USD would otherwise load as
    1000 USD: the number parses, the mark would be lost.
    """
    if "currency" not in entity.column_names:
        return concat_failures([])
    parts = []
    rows = typed.select(ROW_INDEX, "currency")
    for position, column in enumerate(c.name for c in entity.columns if c.type == "decimal"):
        # Only cells with something besides digits and separators can carry a mark.
        cells = text.select(ROW_INDEX, column).filter(
            pl.col(column).str.contains(r"[^\d\s.,+\-()]")
        )
        if cells.height == 0:
            continue
        cells = cells.join(rows, on=ROW_INDEX, how="left")
        marks = currency_marks(cells[column], formats)
        bad = cells.with_columns(marks.alias("_codes")).filter(
            pl.col("_codes").is_not_null()
            & pl.col("currency").is_not_null()
            & ~pl.col("_codes").list.contains(pl.col("currency").str.to_uppercase())
        )
        parts.append(
            bad.select(
                pl.col(ROW_INDEX),
                pl.lit(_ORD_CURRENCY + position, dtype=pl.Int32).alias("ord"),
                pl.lit(CURRENCY_MISMATCH).alias("rule"),
                pl.lit("quarantine").alias("severity"),
                pl.lit(column).alias("column_name"),
                pl.col(column).alias("value_seen"),
                _text(
                    f"{column} '",
                    pl.col(column),
                    "' is written in ",
                    pl.col("_codes").list.join("/"),
                    " but the row's currency is ",
                    pl.col("currency"),
                ).alias("message"),
                pl.lit(
                    "export the amount without a currency mark, or correct the row's "
                    "currency (or the profile's currency default)"
                ).alias("fix"),
            )
        )
    return concat_failures(parts)


@dataclass
class _Spool:
    """A file's checked batches on disk, one Parquet file per batch.

    Each holds the typed row (with hash, ``_extra``, record id and owner) and,
    under ``_text_<column>``, the same row as exported, quoted back when the
    row is quarantined. LZ4-compressed Parquet: small on disk, and DuckDB
    reads it natively (in parallel, within its memory limit, only the
    columns and row groups a query needs).
    """

    directory: Path
    files: list[str] = field(default_factory=list)
    schema: dict | None = None
    rows: int = 0
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, entity: Entity, typed: pl.DataFrame, text: pl.DataFrame) -> None:
        if self.schema is None:
            self.schema = dict(typed.schema)
        else:
            typed = typed.cast(self.schema)
        path = self.directory / f"batch-{len(self.files):05d}.parquet"
        kept = [*_text_differs(entity), EXTRA]
        typed.hstack(text.select(pl.col(c).alias(f"{TEXT_PREFIX}{c}") for c in kept)).write_parquet(
            path, compression="lz4"
        )
        self.files.append(str(path))
        self.rows += typed.height

    def create_views(self, con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
        """``_typed``: typed columns, ``_text_<column>`` for every column as exported,
        record id and owner; ``_text``: the row as exported (contract columns, ``_extra``)."""
        files = "[" + ", ".join(f"'{f}'" for f in self.files) + "]"
        differs = _text_differs(entity)
        same = ", ".join(
            f'"{c}" as "{TEXT_PREFIX}{c}"' for c in entity.column_names if c not in differs
        )
        record_id = " || '|' || ".join(f"coalesce(\"{TEXT_PREFIX}{k}\", '')" for k in entity.key)
        owner = f'"{TEXT_PREFIX}{entity.owner_column}"' if entity.owner_column else "null"
        con.execute(
            f"""create or replace temp view _spool as
                select *{", " + same if same else ""} from read_parquet({files})"""
        )
        con.execute(
            f"""create or replace temp view _typed as
                select *, {record_id} as {RECORD_ID}, {owner}::varchar as {OWNER} from _spool"""
        )
        text_cols = ", ".join(f'"{TEXT_PREFIX}{c}" as "{c}"' for c in (*entity.column_names, EXTRA))
        con.execute(
            f"create or replace temp view _text as select {ROW_INDEX}, {text_cols} from _spool"
        )


def _text_differs(entity: Entity) -> list[str]:
    """Columns whose typed value may differ from the text exported (the rest are the text)."""
    return [c.name for c in entity.columns if c.type not in ("id", "text") or c.allowed]


def _stage_batch(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    suite: CompiledSuite,
    text: pl.DataFrame,
    formats: ValueFormats,
    column_formats: dict[str, ValueFormats],
    spool: _Spool,
) -> None:
    """Parse and check one batch; spool its rows and record its failures in ``_failures``."""
    typed, unread = parse_frame_failures(
        text.select([ROW_INDEX, *entity.column_names]), entity, formats, column_formats
    )
    suite_failures, counts = check_rows(entity, suite, typed, text)
    for position, n in counts.items():
        spool.counts[position] = spool.counts.get(position, 0) + n
    # An unreadable required cell is reported once, as unreadable, not also as missing.
    suite_failures = suite_failures.join(
        unread.select(ROW_INDEX, pl.col("column").alias("column_name")).with_columns(
            pl.lit("missing_required").alias("rule")
        ),
        on=[ROW_INDEX, "column_name", "rule"],
        how="anti",
    )
    failures = concat_failures(
        [_parse_failures(unread), suite_failures, currency_failures(entity, text, typed, formats)]
    )
    if failures.height:
        con.execute("insert into _failures select * from failures")
    spool.add(entity, typed, text)


# ---------------------------------------------------------------------- file


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    *,
    load_id: int,
    run_id: str,
    timezone: str,
    now: datetime,
    profile: Profile | None = None,
    batch_rows: int = BATCH_ROWS,
) -> FileResult:
    """Load one export file of ``entity``, read as ``profile`` says (default: canonical).

    ``timezone`` is the business timezone; the profile may say the export
    writes its timestamps in another one. See the module docstring.
    """
    profile = profile or load_profile()
    result = FileResult(
        entity=entity.name, file_name=path.name, status="loaded", profile=profile.profile
    )
    result.sha256 = file_sha256(path)
    latest = latest_loaded_file(con, entity.name)
    if latest and latest[0] == result.sha256:
        result.status = "skipped_seen"
        result.message = f"identical to the file loaded in load {latest[1]}; skipped"
        _record_file(con, result, load_id, run_id)
        return result

    suite = compile_suite(entity.name)
    failures_schema = pl.DataFrame(schema=FAILURE_SCHEMA)  # noqa: F841 - read by DuckDB below
    con.execute("create or replace temp table _failures as select * from failures_schema")
    with tempfile.TemporaryDirectory(prefix="salesops-spool-", dir=_spool_parent(con)) as tmp:
        spool = _Spool(Path(tmp))
        try:
            with open_export(path, entity, profile, timezone) as export:
                for batch in export.batches(batch_rows):
                    _stage_batch(
                        con, entity, suite, batch, export.formats, export.column_formats, spool
                    )
                result.extra_columns = export.mapped.unmapped_headers
                result.read_notes = _read_notes(export.table, export.mapped)
                mode = export.settings.mode or "delta"
        except FileRejected as exc:
            result.status = "rejected"
            result.message = str(exc)
            _record_file(con, result, load_id, run_id)
            return result
        result.rows_in = spool.rows
        if spool.rows == 0:
            _record_file(con, result, load_id, run_id)
            return result
        spool.create_views(con, entity)
        # Raw rows carry their source row; the order they are stored in means nothing,
        # and letting DuckDB store them in any order halves the cost of the insert.
        con.execute("set preserve_insertion_order = false")
        try:
            con.execute("begin transaction")
            try:
                _settle(con, entity, suite, spool, result, path.name, load_id, now, mode, profile)
                result.new_extra_columns = _record_drift(con, entity, result, load_id)
                _record_file(con, result, load_id, run_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.execute("reset preserve_insertion_order")
            for view in ("_text", "_typed", "_spool"):
                con.execute(f"drop view if exists {view}")
            con.execute("drop table if exists _failures")
    return result


def _spool_parent(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse file's folder (its disk is checked for room before a run); else the
    system's temporary folder."""
    row = fetch_first(
        con, "select path from duckdb_databases() where database_name = current_database()"
    )
    return str(Path(row[0]).parent) if row and row[0] else None


def _key_sql(entity: Entity, alias: str = "") -> str:
    """SQL text of a record's key, from typed columns (same rendering on both sides)."""
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f"coalesce(cast({prefix}\"{k}\" as varchar), '')" for k in entity.key)


def _current_sql(entity: Entity) -> str:
    keys = ", ".join(f'"{k}"' for k in entity.key)
    return f"""select {_key_sql(entity)} as _version_key, {HASH} as _current_hash,
                      _load_id as _current_load, _deleted as _current_deleted
               from raw.{entity.name}
               qualify row_number() over (partition by {keys}
                                          order by _load_id desc, _source_row desc) = 1"""  # noqa: S608


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _entity_ever_loaded(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    n = fetch_first(
        con, "select count(*) from meta.load_files where entity = ? and status = 'loaded'", [name]
    )[0]
    return n > 0 or fetch_first(con, f"select count(*) from raw.{name}")[0] > 0  # noqa: S608


def reference_failures_sql(
    con: duckdb.DuckDBPyConnection, entity: Entity, relation: str
) -> str | None:
    """SQL selecting the failures (FAILURE_SCHEMA) of rows of ``relation`` whose reference
    names a record that exists in no load so far; None when there is nothing to check."""
    selects = []
    for i, ref in enumerate(entity.references):
        target = ENTITY_BY_NAME[ref.entity]
        col = f'r."{ref.column}"'
        if target.optional and not _entity_ever_loaded(con, target.name):
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
        message = (
            f"{_sql_text(ref.column + ' ')} || '''' || {col} || '''' || "
            f"{_sql_text(f' matches no {target.name} record loaded so far')}"
        )
        fix = (
            f"{_sql_text(f'export the {target.name} record ')} || '''' || {col} || '''' || "
            + _sql_text(
                f", or correct {ref.column}; the row is retried on every load and "
                "released once it exists"
            )
        )
        selects.append(
            f"""select r.{ROW_INDEX}::bigint as {ROW_INDEX}, {_ORD_REFERENCE + i}::integer as ord,
                       '{MISSING_REFERENCE}' as rule, 'quarantine' as severity,
                       '{ref.column}' as column_name, cast({col} as varchar) as value_seen,
                       {message} as message, {fix} as fix
                from {relation} r
                where {col} is not null and {unresolved}"""
        )
    return " union all ".join(selects) or None


def _unique_failures_sql(entity: Entity, checks: list[Expectation], relation: str) -> list[str]:
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
            rows = f"""from {relation} r where {_key_sql(entity, "r")} in
                       (select _version_key from _multi where _contents > 1)"""
            if e.type == "expect_column_values_to_be_unique":
                rows += f' and r."{cols[0]}" is not null'
        else:
            rows = f"""from {relation} r
                join (select {quoted} from {relation} where {not_null}
                      group by all having count(distinct {spool_hash}) > 1) d on {join}"""
        out.append(
            f"""select r.{ROW_INDEX}::bigint, {e.position}::integer, {_sql_text(e.rule)},
                       '{e.severity}', {_sql_text(e.shown_column or "")}, {value},
                       {_sql_text(e.message)}, {_sql_text(e.fix)}
                {rows}"""
        )
    return out


def _canonical_json_sql(entity: Entity, alias: str) -> str:
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


def _row_json_sql(entity: Entity, alias: str) -> str:
    """JSON of a row as exported (contract columns as text, unmapped cells under _extra)."""
    cols = ", ".join(f"'{c}', {alias}.\"{c}\"" for c in entity.column_names)
    return (
        f"case when {alias}.{EXTRA} is null then json_object({cols}) "
        f"else json_object({cols}, '{EXTRA}', json({alias}.{EXTRA})) end"
    )


def _settle(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    suite: CompiledSuite,
    spool: _Spool,
    result: FileResult,
    file_name: str,
    load_id: int,
    now: datetime,
    mode: str,
    profile: Profile,
) -> None:
    """Everything that needs the whole file, in SQL over the spooled batches."""
    key = _key_sql(entity)
    spool_hash = hash_sql(entity, prefix=TEXT_PREFIX)
    # Ids on more than one row of the file (usually none): duplicates or conflicts.
    con.execute(
        f"""create or replace temp table _multi as
            with repeated as (select {key} as _version_key from _typed
                              group by 1 having count(*) > 1)
            select {key} as _version_key, count(distinct {spool_hash}) as _contents
            from _typed where {key} in (select _version_key from repeated)
            group by 1"""  # noqa: S608
    )
    # --- file-wide checks: ids on rows with different content, unknown references
    extra = _unique_failures_sql(entity, suite.file, "_typed")
    refs = reference_failures_sql(con, entity, "_typed")
    for sql in [*extra, *([refs] if refs else [])]:
        con.execute(f"insert into _failures {sql}")  # noqa: S608
    file_counts = dict(
        con.execute(
            "select ord, count(*) from _failures where ord between 0 and 9999 group by 1"
        ).fetchall()
    )
    counts = {**spool.counts, **{e.position: file_counts.get(e.position, 0) for e in suite.file}}
    result.outcomes = [
        ExpectationOutcome(
            e.rule,
            e.type,
            ",".join(e.columns) or None,
            counts.get(e.position, 0) == 0,
            counts.get(e.position, 0),
        )
        for e in sorted([*suite.row, *suite.file, *suite.other], key=lambda e: e.position)
    ]

    # --- fates: quarantined, or loaded (exact repeats of a row share its version)
    con.execute(
        """create or replace temp table _quarantined as
           select _row_index from _failures where severity = 'quarantine' group by 1"""
    )
    con.execute(
        f"""create or replace temp table _repeats as
            select {ROW_INDEX} from _typed
            where {key} in (select _version_key from _multi)
            qualify row_number() over (partition by {spool_hash} order by {ROW_INDEX}) > 1"""  # noqa: S608
    )
    result.rows_quarantined = fetch_first(con, "select count(*) from _quarantined")[0]
    result.rows_loaded = spool.rows - result.rows_quarantined

    # --- quarantine
    _quarantine(con, entity, file_name, load_id)

    # --- new versions: loaded rows whose content differs from the record's current version
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    changed = changed_where = ""
    if fetch_first(con, f"select count(*) from (from raw.{entity.name} limit 1)")[0]:  # noqa: S608
        changed = f"""left join ({_current_sql(entity)}) c
                      on c._version_key = {_key_sql(entity, "s")}"""
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
    new_rows = fetch_first(con, "select count(*) from _new")[0]
    result.rows_unchanged = result.rows_loaded - new_rows

    # --- the warnings on the new versions
    con.execute(
        f"""insert into meta.row_findings (load_id, entity, source_file, source_row, record_id,
                                           owner_rep_id, rule, column_name, value_seen, message)
            select ?, ?, ?, f.{ROW_INDEX}, s.{RECORD_ID}, s.{OWNER}, f.rule, f.column_name,
                   f.value_seen, f.message
            from _failures f semi join _new using ({ROW_INDEX})
            join _typed s using ({ROW_INDEX})
            where f.severity = 'warn'
            order by f.{ROW_INDEX}, f.ord""",  # noqa: S608
        [load_id, entity.name, file_name],
    )
    result.rows_flagged = fetch_first(
        con,
        "select count(distinct source_row) from meta.row_findings where load_id = ? "
        "and entity = ? and source_file = ?",
        [load_id, entity.name, file_name],
    )[0]
    _tally(con, result)

    # --- earlier quarantined rows of records that now loaded cleanly are resolved
    open_rows = fetch_first(
        con,
        """select count(*) from meta.quarantine
           where entity = ? and load_id < ? and released_load_id is null
             and resolved_load_id is null""",
        [entity.name, load_id],
    )[0]
    if open_rows:
        _resolve_quarantined(con, entity, load_id)
    if mode == "full":
        max_share = profile.entities[entity.name].max_deleted_share
        gone = _gone_records(con, entity, max_share, result)
        _append_deletions(con, entity, gone, file_name, load_id, now)


def _resolve_quarantined(con: duckdb.DuckDBPyConnection, entity: Entity, load_id: int) -> None:
    """A clean row for a record closes that record's earlier quarantined rows."""
    con.execute(
        f"""update meta.quarantine set resolved_load_id = ?
            where entity = ? and load_id < ? and released_load_id is null
              and resolved_load_id is null
              and record_id in (select {RECORD_ID} from _typed
                                anti join _quarantined using ({ROW_INDEX}))""",  # noqa: S608
        [load_id, entity.name, load_id],
    )


def _quarantine(
    con: duckdb.DuckDBPyConnection, entity: Entity, file_name: str, load_id: int
) -> None:
    """Quarantine the rejected rows whole: as exported, with every reason, first one first."""
    if not fetch_first(con, "select count(*) from _quarantined")[0]:
        return
    reasons = (
        'to_json(list(struct_pack(rule := f.rule, "column" := f.column_name, '
        "value := f.value_seen, message := f.message, fix := f.fix) order by f.ord))"
    )
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
                   ?, ?, ?, q.{ROW_INDEX}, s.{RECORD_ID}, s.{OWNER}, q.rule, q.column_name,
                   q.value_seen, q.reason, q.reasons, {_row_json_sql(entity, "t")},
                   q.retryable,
                   case when q.retryable then {_canonical_json_sql(entity, "s")} end,
                   {hash_sql(entity, "t")}, null
            from q join _typed s using ({ROW_INDEX}) join _text t using ({ROW_INDEX})""",  # noqa: S608
        [load_id, entity.name, file_name, load_id, entity.name, file_name],
    )


def _tally(con: duckdb.DuckDBPyConnection, result: FileResult) -> None:
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
            from hits h join _typed s using ({ROW_INDEX})
            group by 1, 2 order by 1, 2"""  # noqa: S608
    ).fetchall()
    for kind, rule, n, ids in rows:
        target = result.quarantined_by_rule if kind == "q" else result.flagged_by_rule
        target[rule] = n
        result.failing_record_ids.setdefault(rule, []).extend(ids)


def _gone_records(
    con: duckdb.DuckDBPyConnection, entity: Entity, max_share: float, result: FileResult
) -> int:
    """Count (into temp table ``_gone``) the current records a full export no longer carries.

    Rows of the file that were quarantined still count as carried. When more
    than ``max_share`` of the current records would go, nothing is marked: a
    truncated export must not wipe the warehouse; the file's message says so.
    """
    con.execute(
        f"""create or replace temp table _gone as
            select c._version_key from ({_current_sql(entity)}) c
            where not c._current_deleted
              and c._version_key not in (select {_key_sql(entity)} from _typed)"""  # noqa: S608
    )
    gone = fetch_first(con, "select count(*) from _gone")[0]
    if gone == 0:
        return 0
    live = fetch_first(
        con,
        f"select count(*) from ({_current_sql(entity)}) where not _current_deleted",  # noqa: S608
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


def _append_deletions(
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
            where {_key_sql(entity)} in (select _version_key from _gone)
            qualify row_number() over (partition by {partition}
                                       order by _load_id desc, _source_row desc) = 1""",  # noqa: S608
        [load_id, file_name, now],
    )


def _record_drift(
    con: duckdb.DuckDBPyConnection, entity: Entity, result: FileResult, load_id: int
) -> list[str]:
    """Note the export's unmapped columns; return those never seen before for this entity."""
    new: list[str] = []
    for header in result.extra_columns:
        seen = fetch_first(
            con,
            "select first_load_id from meta.schema_drift "
            "where entity = ? and header = ? and profile = ?",
            [entity.name, header, result.profile],
        )
        if seen is None:
            new.append(header)
            con.execute(
                "insert into meta.schema_drift values (?, ?, ?, ?, ?, ?)",
                [entity.name, header, result.profile, load_id, result.file_name, load_id],
            )
        else:
            con.execute(
                "update meta.schema_drift set last_load_id = ? "
                "where entity = ? and header = ? and profile = ?",
                [load_id, entity.name, header, result.profile],
            )
    return new


def _read_notes(table, mapped) -> dict:
    return {
        "format": table.file_format,
        "compressed": table.compressed,
        "encoding": table.encoding,
        "encoding_detected": table.encoding_detected,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "notes": [*table.notes, *mapped.notes],
        "sources": mapped.sources,
        "unmapped_headers": mapped.unmapped_headers,
        "defaults_used": mapped.defaults_used,
        "translations": {
            column: [{"seen": seen, "used": used, "rows": n} for (seen, used), n in pairs.items()]
            for column, pairs in mapped.substitutions.items()
        },
    }


def _record_file(
    con: duckdb.DuckDBPyConnection, result: FileResult, load_id: int, run_id: str
) -> None:
    con.execute(
        """insert into meta.load_files (load_id, run_id, entity, file_name, file_sha256, status,
           rows_in, rows_loaded, rows_quarantined, rows_unchanged, rows_released, rows_deleted,
           profile, read_notes, message)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            load_id,
            run_id,
            result.entity,
            result.file_name,
            result.sha256,
            result.status,
            result.rows_in,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_unchanged,
            result.rows_released,
            result.rows_deleted,
            result.profile,
            json.dumps(result.read_notes, ensure_ascii=False) if result.read_notes else None,
            result.message,
        ],
    )


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
    text = text.with_columns(
        pl.coalesce("_stored_hash", _row_hashes(con, text, entity)).alias(HASH)
    )
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
            from (select *, {_key_sql(entity)} as _version_key from parked_rows
                  where {ROW_INDEX} not in ({missing})) p
            left join ({_current_sql(entity)}) c using (_version_key)"""  # noqa: S608
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
