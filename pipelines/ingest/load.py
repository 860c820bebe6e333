"""Load one entity's export into the warehouse, keeping every row accounted for.

For one file: fingerprint (a file loaded before is skipped), read, parse,
validate with the entity's GE suite, check references, then in one
transaction append the new record versions to ``raw.<entity>``, quarantine the
rejected rows whole with their reasons, record the row-level warnings and the
file's row accounting in ``meta``. Rows parked only for a missing reference
are retried on every load and released once the reference exists.

Invariant per file: rows_in = rows_loaded + rows_quarantined, where
rows_loaded counts rows whose content is now in the warehouse, including
``rows_unchanged`` (identical to the current version, nothing appended).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import ENTITY_BY_NAME, Entity
from pipelines.errors import FileRejected
from pipelines.ingest.formats import ValueFormats, currency_marks
from pipelines.ingest.parse import ROW_INDEX, parse_frame
from pipelines.profiles.apply import EXTRA, read_export
from pipelines.profiles.loader import load_profile
from pipelines.profiles.model import Profile
from pipelines.validation.run import ExpectationOutcome, RowFailure, validate_rows
from pipelines.validation.suites import ONE_OF_REQUIRED, one_of_column
from pipelines.warehouse.schema import fetch_first

HASH = "_row_hash"
MISSING_REFERENCE = "missing_reference"
UNPARSEABLE = "unparseable_value"
CURRENCY_MISMATCH = "currency_mismatch"
KEY_SEPARATOR = "|"
#: Deleted record ids listed in a file's read notes (the count is always exact).
MAX_KEYS_IN_NOTES = 20


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


def _key_expr(entity: Entity) -> pl.Expr:
    return pl.concat_str(
        [pl.col(k).fill_null("") for k in entity.key], separator=KEY_SEPARATOR
    ).alias("_record_id")


def _with_hash(con: duckdb.DuckDBPyConnection, text: pl.DataFrame, entity: Entity) -> pl.DataFrame:
    """Add ``_row_hash``: md5 of the record's trimmed text content."""
    parts = ", ".join(f'coalesce("{c}", chr(0))' for c in entity.column_names)
    hashed = con.sql(
        f"select {ROW_INDEX}, md5(concat_ws(chr(31), {parts})) as {HASH} from text"  # noqa: S608
    ).pl()
    return text.join(hashed, on=ROW_INDEX, how="left")


def _key_sql(entity: Entity) -> str:
    """SQL text of a record's key, from typed columns (same rendering on both sides)."""
    return " || '|' || ".join(f"coalesce(cast(\"{k}\" as varchar), '')" for k in entity.key)


def _typed_keys(
    con: duckdb.DuckDBPyConnection, typed: pl.DataFrame, entity: Entity
) -> pl.DataFrame:
    frame = typed.select([ROW_INDEX, *entity.key])  # noqa: F841 - read by DuckDB below
    return con.sql(
        f"select {ROW_INDEX}, {_key_sql(entity)} as _version_key from frame"  # noqa: S608
    ).pl()


def _current_versions(con: duckdb.DuckDBPyConnection, entity: Entity) -> pl.DataFrame:
    keys = ", ".join(f'"{k}"' for k in entity.key)
    return con.sql(
        f"""select {_key_sql(entity)} as _version_key, {HASH} as _current_hash,
                   _load_id as _current_load, _deleted as _current_deleted
            from raw.{entity.name}
            qualify row_number() over (partition by {keys}
                                       order by _load_id desc, _source_row desc) = 1"""  # noqa: S608
    ).pl()


def _unknown_values(con: duckdb.DuckDBPyConnection, values: pl.Series, target: Entity) -> list[str]:
    """The distinct non-null ``values`` that key no record of ``target`` in any load.

    An anti-join in DuckDB: the target's keys are never pulled into Python.
    """
    (key,) = target.key
    wanted = values.drop_nulls().unique().to_frame("v")  # noqa: F841 - read by DuckDB below
    rows = con.execute(
        f'select v from wanted anti join raw.{target.name} as t on t."{key}" = wanted.v'  # noqa: S608
    ).fetchall()
    return [r[0] for r in rows]


def _entity_ever_loaded(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    n = fetch_first(
        con, "select count(*) from meta.load_files where entity = ? and status = 'loaded'", [name]
    )[0]
    return n > 0 or fetch_first(con, f"select count(*) from raw.{name}")[0] > 0  # noqa: S608


def reference_failures(
    con: duckdb.DuckDBPyConnection, entity: Entity, typed: pl.DataFrame, text: pl.DataFrame
) -> list[RowFailure]:
    """Rows pointing at a record that exists in no load so far."""
    failures: list[RowFailure] = []
    for ref in entity.references:
        target = ENTITY_BY_NAME[ref.entity]
        unresolved = pl.col(ref.column).is_not_null()
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
            unresolved = unresolved & pl.all_horizontal(pl.col(c).is_null() for c in alternatives)
        else:
            unknown = _unknown_values(con, typed[ref.column], target)
            unresolved = unresolved & pl.col(ref.column).is_in(unknown)
        bad = typed.filter(unresolved).select(ROW_INDEX, ref.column)
        for row_index, value in bad.iter_rows():
            failures.append(
                RowFailure(
                    row_index=row_index,
                    rule=MISSING_REFERENCE,
                    severity="quarantine",
                    column=ref.column,
                    value=value,
                    message=f"{ref.column} {value!r} matches no {target.name} record loaded so far",
                    fix=(
                        f"export the {target.name} record {value!r}, or correct {ref.column}; "
                        "the row is retried on every load and released once it exists"
                    ),
                )
            )
    return failures


def currency_failures(
    entity: Entity, text: pl.DataFrame, typed: pl.DataFrame, formats: ValueFormats
) -> list[RowFailure]:
    """Amounts written with a currency mark that contradicts the row's currency.

    ``EUR 1,000.00`` in a row whose currency is USD would otherwise load as
    1000 USD: the number parses, the mark would be lost.
    """
    if "currency" not in entity.column_names:
        return []
    rows = typed.select(ROW_INDEX, "currency")
    failures = []
    for column in (c.name for c in entity.columns if c.type == "decimal"):
        cells = rows.join(text.select(ROW_INDEX, column), on=ROW_INDEX, how="left")
        marks = currency_marks(cells[column], formats)
        bad = cells.with_columns(marks.alias("_codes")).filter(
            pl.col("_codes").is_not_null()
            & pl.col("currency").is_not_null()
            & ~pl.col("_codes").list.contains(pl.col("currency").str.to_uppercase())
        )
        for row_index, currency, value, codes in bad.select(
            ROW_INDEX, "currency", column, "_codes"
        ).iter_rows():
            failures.append(
                RowFailure(
                    row_index=row_index,
                    rule=CURRENCY_MISMATCH,
                    severity="quarantine",
                    column=column,
                    value=value,
                    message=(
                        f"{column} {value!r} is written in {'/'.join(codes)} "
                        f"but the row's currency is {currency}"
                    ),
                    fix=(
                        "export the amount without a currency mark, or correct the row's "
                        "currency (or the profile's currency default)"
                    ),
                )
            )
    return failures


def _derive_one_of(typed: pl.DataFrame, entity: Entity) -> pl.DataFrame:
    for group in ONE_OF_REQUIRED.get(entity.name, ()):
        typed = typed.with_columns(
            pl.coalesce([pl.col(c).cast(pl.String) for c in group]).alias(one_of_column(group))
        )
    return typed


def _row_data(text: pl.DataFrame) -> dict[int, str]:
    """The row as mapped (contract columns as text), plus unmapped cells under ``_extra``."""
    cols = [c for c in text.columns if c not in (ROW_INDEX, HASH, EXTRA)]
    out = {}
    for row in text.iter_rows(named=True):
        data = {c: row[c] for c in cols}
        if row.get(EXTRA):
            data[EXTRA] = json.loads(row[EXTRA])
        out[row[ROW_INDEX]] = json.dumps(data, ensure_ascii=False)
    return out


QUARANTINE_COLUMNS = (
    "quarantine_id",
    "load_id",
    "entity",
    "source_file",
    "source_row",
    "record_id",
    "owner_rep_id",
    "rule",
    "column_name",
    "value_seen",
    "reason",
    "reasons",
    "row_data",
    "retryable",
    "canonical_data",
    "row_hash",
)


def _record_quarantine(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    rows: list[dict],
) -> None:
    """Insert quarantined rows in one statement (row-by-row inserts are slow at scale)."""
    if not rows:
        return
    frame = pl.DataFrame(  # noqa: F841 - read by DuckDB below
        [
            {
                **{k: r[k] for k in QUARANTINE_COLUMNS if k in r},
                "entity": entity.name,
                "column_name": r["column"],
                "value_seen": r["value"],
            }
            for r in rows
        ],
        schema={
            **{c: pl.String for c in QUARANTINE_COLUMNS},
            "load_id": pl.Int64,
            "source_row": pl.Int64,
            "retryable": pl.Boolean,
        },
    )
    cols = ", ".join(QUARANTINE_COLUMNS)
    con.execute(
        f"insert or ignore into meta.quarantine ({cols}, released_load_id) "  # noqa: S608
        f"select {cols}, null from frame"
    )


def _canonical_text(typed: pl.DataFrame, entity: Entity) -> dict[int, str]:
    """Typed values rendered in the canonical form (ISO dates, UTC offsets, plain decimals).

    Kept for rows parked for a missing reference, so releasing them later does
    not depend on the profile or formats the export was read with.
    """
    out = {}
    for row in typed.select([ROW_INDEX, *entity.column_names]).iter_rows(named=True):
        data = {}
        for c in entity.columns:
            v = row[c.name]
            if v is None:
                data[c.name] = None
            elif c.type == "bool":
                data[c.name] = "true" if v else "false"
            else:
                data[c.name] = v.isoformat(sep=" ") if c.type == "timestamp" else str(v)
        out[row[ROW_INDEX]] = json.dumps(data, ensure_ascii=False)
    return out


def _record_warnings(con: duckdb.DuckDBPyConnection, warn_rows: list[list]) -> None:
    if not warn_rows:
        return
    names = (
        "load_id",
        "entity",
        "source_file",
        "source_row",
        "record_id",
        "owner_rep_id",
        "rule",
        "column_name",
        "value_seen",
        "message",
    )
    frame = pl.DataFrame(  # noqa: F841 - read by DuckDB below
        warn_rows,
        schema={n: pl.Int64 if n in ("load_id", "source_row") else pl.String for n in names},
        orient="row",
    )
    cols = ", ".join(names)
    con.execute(f"insert into meta.row_findings ({cols}) select {cols} from frame")  # noqa: S608


def _resolve_quarantine(
    con: duckdb.DuckDBPyConnection, entity: Entity, record_ids: list[str], load_id: int
) -> None:
    """A clean row for a record closes that record's earlier quarantined rows."""
    open_rows = fetch_first(
        con,
        """select count(*) from meta.quarantine
           where entity = ? and load_id < ? and released_load_id is null
             and resolved_load_id is null""",
        [entity.name, load_id],
    )[0]
    if not record_ids or not open_rows:
        return
    ids = pl.DataFrame({"record_id": record_ids}, schema={"record_id": pl.String})  # noqa: F841
    con.execute(
        """update meta.quarantine set resolved_load_id = ?
           where entity = ? and load_id < ? and released_load_id is null
             and resolved_load_id is null
             and record_id in (select record_id from ids)""",
        [load_id, entity.name, load_id],
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


def _failure_dict(f: RowFailure) -> dict:
    return {
        "rule": f.rule,
        "column": f.column,
        "value": f.value,
        "message": f.message,
        "fix": f.fix,
    }


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

    try:
        export = read_export(path, entity, profile, timezone)
    except FileRejected as exc:
        result.status = "rejected"
        result.message = str(exc)
        _record_file(con, result, load_id, run_id)
        return result
    text = export.mapped.frame
    result.extra_columns = export.mapped.unmapped_headers
    result.read_notes = _read_notes(export.table, export.mapped)
    result.rows_in = text.height
    if text.height == 0:
        _record_file(con, result, load_id, run_id)
        return result
    formats = export.formats

    text = _with_hash(con, text, entity)
    typed, parse_failures = parse_frame(
        text.select([ROW_INDEX, *entity.column_names]), entity, formats, export.column_formats
    )
    typed = _derive_one_of(typed, entity).join(text.select(ROW_INDEX, HASH, EXTRA), on=ROW_INDEX)

    # Exact duplicate rows share their first occurrence's fate.
    first_of_hash = typed.group_by(HASH, maintain_order=True).agg(
        pl.col(ROW_INDEX).first().alias("_first_row")
    )
    typed = typed.join(first_of_hash, on=HASH, how="left")
    unique_rows = typed.filter(pl.col(ROW_INDEX) == pl.col("_first_row"))

    shown = text.filter(pl.col(ROW_INDEX).is_in(unique_rows[ROW_INDEX].implode()))
    suite_failures, result.outcomes = validate_rows(
        entity.name, unique_rows.drop("_first_row", HASH, EXTRA), shown=shown
    )
    unparseable_cells = {(f.row_index, f.column) for f in parse_failures}
    validated_rows = set(unique_rows[ROW_INDEX].to_list())
    failures: list[RowFailure] = [
        RowFailure(
            f.row_index,
            UNPARSEABLE,
            "quarantine",
            f.column,
            f.value,
            f.message,
            f"correct the value so it is {f.expected}",
        )
        for f in parse_failures
        if f.row_index in validated_rows
    ]
    failures += [
        f
        for f in suite_failures
        if not (f.rule == "missing_required" and (f.row_index, f.column) in unparseable_cells)
    ]
    failures += reference_failures(con, entity, unique_rows, text)
    failures += currency_failures(entity, text, unique_rows, formats)

    by_row: dict[int, list[RowFailure]] = defaultdict(list)
    for f in failures:
        by_row[f.row_index].append(f)

    rejected_first_rows = [
        row for row, fs in by_row.items() if any(f.severity == "quarantine" for f in fs)
    ]
    typed = typed.with_columns(
        pl.when(
            pl.col("_first_row").is_in(
                pl.lit(rejected_first_rows, dtype=pl.List(pl.Int64)).explode()
            )
        )
        .then(pl.lit("quarantine"))
        .otherwise(pl.lit("load"))
        .alias("_fate")
    )
    record_ids = dict(text.select(ROW_INDEX, _key_expr(entity)).iter_rows())
    owner_col = entity.owner_column
    owners = dict(text.select(ROW_INDEX, owner_col).iter_rows()) if owner_col else {}

    # --- quarantine -----------------------------------------------------
    quarantined = typed.filter(pl.col("_fate") == "quarantine")
    row_data = _row_data(text.filter(pl.col(ROW_INDEX).is_in(quarantined[ROW_INDEX].implode())))
    canonical = _canonical_text(quarantined, entity)
    q_rows = []
    for row_index, first_row, row_hash in quarantined.select(
        ROW_INDEX, "_first_row", HASH
    ).iter_rows():
        reasons = [f for f in by_row[first_row] if f.severity == "quarantine"]
        primary = reasons[0]
        retryable = all(f.rule == MISSING_REFERENCE for f in reasons)
        q_rows.append(
            {
                "quarantine_id": hashlib.md5(
                    f"{load_id}|{entity.name}|{path.name}|{row_index}".encode()
                ).hexdigest(),
                "load_id": load_id,
                "source_file": path.name,
                "source_row": row_index,
                "record_id": record_ids.get(row_index),
                "owner_rep_id": owners.get(row_index),
                "rule": primary.rule,
                "column": primary.column,
                "value": primary.value,
                "reason": "; ".join(f.message for f in reasons),
                "reasons": json.dumps([_failure_dict(f) for f in reasons], ensure_ascii=False),
                "row_data": row_data[row_index],
                "retryable": retryable,
                "canonical_data": canonical[row_index] if retryable else None,
                "row_hash": row_hash,
            }
        )
        result.quarantined_by_rule[primary.rule] = (
            result.quarantined_by_rule.get(primary.rule, 0) + 1
        )
        result.failing_record_ids.setdefault(primary.rule, []).append(
            record_ids.get(row_index) or f"row {row_index}"
        )

    # --- versions -------------------------------------------------------
    accepted = typed.filter(pl.col("_fate") == "load")
    current = _current_versions(con, entity)
    accepted = accepted.join(_typed_keys(con, accepted, entity), on=ROW_INDEX, how="left").join(
        current, on="_version_key", how="left"
    )
    is_new = (pl.col(ROW_INDEX) == pl.col("_first_row")) & (
        pl.col("_current_hash").is_null() | (pl.col("_current_hash") != pl.col(HASH))
    )
    new_versions = accepted.filter(is_new)
    accepted_ids = sorted({record_ids[r] for r in accepted[ROW_INDEX].to_list()})
    result.rows_unchanged = accepted.height - new_versions.height
    result.rows_loaded = accepted.height
    result.rows_quarantined = quarantined.height

    # --- row-level warnings on the versions we append ---------------------
    flagged_rows = set(new_versions[ROW_INDEX].to_list())
    warn_rows = []
    for row_index in sorted(flagged_rows):
        for f in by_row.get(row_index, []):
            if f.severity != "warn":
                continue
            warn_rows.append(
                [
                    load_id,
                    entity.name,
                    path.name,
                    row_index,
                    record_ids.get(row_index),
                    owners.get(row_index),
                    f.rule,
                    f.column,
                    f.value,
                    f.message,
                ]
            )
            result.flagged_by_rule[f.rule] = result.flagged_by_rule.get(f.rule, 0) + 1
            result.failing_record_ids.setdefault(f.rule, []).append(
                record_ids.get(row_index) or f"row {row_index}"
            )
    result.rows_flagged = len({r[3] for r in warn_rows})

    con.execute("begin transaction")
    try:
        _append_versions(
            con,
            entity,
            new_versions.select([ROW_INDEX, *entity.column_names, HASH, EXTRA]).with_columns(
                pl.lit(path.name).alias("_source_file")
            ),
            load_id,
            now,
        )
        _record_quarantine(con, entity, q_rows)
        _record_warnings(con, warn_rows)
        _resolve_quarantine(con, entity, accepted_ids, load_id)
        if (export.settings.mode or "delta") == "full":
            file_keys = _typed_keys(con, typed, entity)["_version_key"]
            max_share = profile.entities[entity.name].max_deleted_share
            gone = _gone_records(file_keys, current, max_share, result)
            _append_deletions(con, entity, gone, path.name, load_id, now)
        result.new_extra_columns = _record_drift(con, entity, result, load_id)
        _record_file(con, result, load_id, run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _append_versions(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    frame: pl.DataFrame,
    load_id: int,
    now: datetime,
) -> None:
    """Append ``frame`` (contract columns, row index, hash, source file) to raw."""
    if frame.height == 0:
        return
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    extra = EXTRA if EXTRA in frame.columns else "null"
    con.execute(
        f"""insert into raw.{entity.name} ({cols}, _load_id, _source_file, _source_row,
                                             _row_hash, _loaded_at, _extra, _deleted)
            select {cols}, ?, _source_file, {ROW_INDEX}, {HASH}, ?, {extra}, false
            from frame""",  # noqa: S608
        [load_id, now],
    )


def _gone_records(
    file_keys: pl.Series, current: pl.DataFrame, max_share: float, result: FileResult
) -> list[str]:
    """Keys of the current records a full export no longer carries.

    Rows of the file that were quarantined still count as carried. When more
    than ``max_share`` of the current records would go, nothing is marked: a
    truncated export must not wipe the warehouse; the file's message says so.
    """
    live = current.filter(~pl.col("_current_deleted"))
    gone = live.filter(~pl.col("_version_key").is_in(file_keys.drop_nulls().implode()))
    if gone.height == 0:
        return []
    if live.height and gone.height / live.height > max_share:
        result.message = (
            f"full export lacks {gone.height:,} of {live.height:,} current records "
            f"(more than {max_share:.0%}); no deletions applied. If they really were "
            "deleted, raise max_deleted_share for this entity in the profile"
        )
        return []
    keys = gone["_version_key"].sort().to_list()
    result.rows_deleted = len(keys)
    result.read_notes["deleted_sample"] = keys[:MAX_KEYS_IN_NOTES]
    return keys


def _append_deletions(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    keys: list[str],
    file_name: str,
    load_id: int,
    now: datetime,
) -> None:
    """Append a deletion marker (a copy of the current version, ``_deleted``) per gone record."""
    if not keys:
        return
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    partition = ", ".join(f'"{k}"' for k in entity.key)
    con.execute(
        f"""insert into raw.{entity.name} ({cols}, _load_id, _source_file, _source_row,
                                             _row_hash, _loaded_at, _extra, _deleted)
            select {cols}, ?, ?, 0, 'deleted', ?, _extra, true
            from raw.{entity.name}
            where {_key_sql(entity)} in (select unnest(?::varchar[]))
            qualify row_number() over (partition by {partition}
                                       order by _load_id desc, _source_row desc) = 1""",  # noqa: S608
        [load_id, file_name, now, keys],
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
    text = pl.DataFrame(
        [json.loads(r[4]) for r in parked],
        schema={c: pl.String for c in entity.column_names},
        strict=False,
    ).select(entity.column_names)
    text = text.with_columns(
        pl.Series(ROW_INDEX, [r[3] for r in parked], dtype=pl.Int64),
        pl.Series("_quarantine_id", [r[0] for r in parked]),
        pl.Series("_parked_load", [r[1] for r in parked], dtype=pl.Int64),
        pl.Series("_source_file", [r[2] for r in parked]),
        pl.Series("_stored_hash", [r[5] for r in parked], dtype=pl.String),
        pl.Series(EXTRA, [r[6] for r in parked], dtype=pl.String),
    )
    # Parked rows from different files may share a row number: key them by position.
    work = text.with_row_index("_pos").with_columns(
        pl.col(ROW_INDEX).alias("_orig_row"), pl.col("_pos").cast(pl.Int64).alias(ROW_INDEX)
    )
    # The version keeps the hash of the row as exported, so the same row arriving
    # again later is recognised as unchanged.
    work = _with_hash(con, work.drop("_pos"), entity).with_columns(
        pl.coalesce("_stored_hash", HASH).alias(HASH)
    )
    typed, _ = parse_frame(work.select([ROW_INDEX, *entity.column_names]), entity, timezone)
    still_missing = {f.row_index for f in reference_failures(con, entity, typed, work)}
    current = _current_versions(con, entity)
    ready = (
        work.filter(~pl.col(ROW_INDEX).is_in(list(still_missing)))
        .join(_typed_keys(con, typed, entity), on=ROW_INDEX, how="left")
        .join(current, on="_version_key", how="left")
    )
    if ready.height == 0:
        return 0
    # Only the latest parked version of a record is inserted, and only if no later version
    # arrived meanwhile; every ready row is closed as released.
    newest_parked = (
        pl.struct("_parked_load", "_orig_row").rank("ordinal", descending=True).over("_version_key")
        == 1
    )
    to_insert = ready.filter(
        newest_parked
        & (pl.col("_current_load").is_null() | (pl.col("_current_load") <= pl.col("_parked_load")))
    )
    inserted_positions = to_insert[ROW_INDEX].implode()
    insert_typed = (
        typed.join(
            to_insert.select(ROW_INDEX, HASH, EXTRA, "_orig_row", "_source_file"), on=ROW_INDEX
        )
        .drop(ROW_INDEX)
        .rename({"_orig_row": ROW_INDEX})
    )
    # Released rows get the same warn-level checks as rows loaded directly.
    warn_rows = []
    if to_insert.height:
        failures, _ = validate_rows(
            entity.name,
            _derive_one_of(typed, entity).filter(pl.col(ROW_INDEX).is_in(inserted_positions)),
            shown=work.select([ROW_INDEX, *entity.column_names]).filter(
                pl.col(ROW_INDEX).is_in(inserted_positions)
            ),
        )
        info = {
            r[ROW_INDEX]: r for r in to_insert.with_columns(_key_expr(entity)).iter_rows(named=True)
        }
        owner_col = entity.owner_column
        for f in failures:
            if f.severity != "warn" or f.rule == "duplicate_id_conflict":
                continue
            r = info[f.row_index]
            warn_rows.append(
                [
                    load_id,
                    entity.name,
                    r["_source_file"],
                    r["_orig_row"],
                    r["_record_id"],
                    r[owner_col] if owner_col else None,
                    f.rule,
                    f.column,
                    f.value,
                    f.message,
                ]
            )
    con.execute("begin transaction")
    try:
        _append_versions(con, entity, insert_typed, load_id, now)
        _record_warnings(con, warn_rows)
        con.executemany(
            "update meta.quarantine set released_load_id = ? where quarantine_id = ?",
            [[load_id, q] for q in ready["_quarantine_id"].to_list()],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ready.height
