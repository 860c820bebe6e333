"""Scaffolding for tests that hand-build a warehouse and run the real dbt project on it.

A test writes raw rows (with the lineage columns the loader adds) and meta.loads rows into a
fresh DuckDB file, then runs dbt in-process against it with `run_dbt`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from pipelines.warehouse.schema import ensure_schema

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

LoadedAt = dt.datetime | Callable[[int], dt.datetime]
RowHash = Callable[[int, int], str]


def ts(local: str) -> str:
    """A Shanghai local time as an ISO instant."""
    return f"{local}+08:00"


def _hash_by_row(load_id: int, n: int) -> str:
    return f"h{n}"


def hash_by_load_and_row(load_id: int, n: int) -> str:
    """A `row_hash` that tells apart versions of the same source row in different loads."""
    return f"h{load_id}-{n}"


def insert_row(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    """Insert one row given as {column: value} (parameterised)."""
    cols = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"insert into {table} ({cols}) values ({marks})", list(row.values()))


def add_load(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    business_date: str,
    *,
    run_id: str | None = None,
    status: str = "success",
    if_missing: bool = False,
) -> None:
    """A meta.loads row: run `run_id` (default run<load_id>) loaded `business_date`."""
    verb = "insert or ignore" if if_missing else "insert"
    con.execute(
        f"{verb} into meta.loads values (?, ?, ?, 'inbox', now(), now(), ?)",
        [load_id, f"run{load_id}" if run_id is None else run_id, business_date, status],
    )


def add_version(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load_id: int,
    row: dict,
    n: int,
    *,
    loaded_at: LoadedAt,
    row_hash: RowHash = _hash_by_row,
) -> None:
    """One version of a raw record: `row` plus lineage, as source row `n` of <table>.csv."""
    lineage = dict(
        _load_id=load_id,
        _source_file=f"{table}.csv",
        _source_row=n,
        _row_hash=row_hash(load_id, n),
        _loaded_at=loaded_at(load_id) if callable(loaded_at) else loaded_at,
    )
    insert_row(con, f"raw.{table}", {**row, **lineage})


def insert_raw_versions(
    con: duckdb.DuckDBPyConnection,
    raw: Mapping[str, Iterable[tuple[int, dict]]],
    *,
    loaded_at: LoadedAt,
    row_hash: RowHash = _hash_by_row,
) -> None:
    """raw: {raw table: [(load_id, row), ...]}; source rows are numbered from 2 (after the
    header). loaded_at: a time, or load_id -> time. row_hash: (load_id, n) -> hash."""
    for table, versions in raw.items():
        for n, (load_id, row) in enumerate(versions, start=2):
            add_version(con, table, load_id, row, n, loaded_at=loaded_at, row_hash=row_hash)


def build_warehouse(
    path: Path,
    raw: Mapping[str, Iterable[tuple[int, dict]]],
    *,
    loads: Mapping[int, str] | None = None,
    loaded_at: LoadedAt,
    row_hash: RowHash = _hash_by_row,
    run_id: str | None = None,
    status: str = "success",
) -> None:
    """Create (or extend) the warehouse at `path`: the schema, the loads {load_id: business
    date} and the raw versions."""
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        for load_id, day in (loads or {}).items():
            add_load(con, load_id, day, run_id=run_id, status=status)
        insert_raw_versions(con, raw, loaded_at=loaded_at, row_hash=row_hash)
    finally:
        con.close()


#: The bookkeeping columns of the incremental models, which differ between an incremental run
#: and a full rebuild of the same state (`relation_rows` leaves them out).
BOOKKEEPING = ("processed_load_id", "processed_as_of_date", "processed_spine_from")


def relation_rows(db: Path, relation: str) -> list[tuple]:
    """The rows of `relation` ("schema.name") in the warehouse `db`, sorted, without the
    BOOKKEEPING columns: what an incremental run and a full rebuild must agree on."""
    con = duckdb.connect(str(db))  # default config: dbt-duckdb may hold the file open in-process
    try:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema || '.' || table_name = ? order by ordinal_position",
                [relation],
            ).fetchall()
            if c not in BOOKKEEPING
        ]
        rows = con.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    finally:
        con.close()
    return sorted(rows, key=repr)


#: The project parsed once per test process, per set of parse-relevant vars (`_parsed`): the
#: manifest and the database its relations point at now; the latest _KEPT_PARSES sets.
_PARSES: dict[str, list] = {}
_KEPT_PARSES = 4


def _parsed(run_vars: Mapping[str, object], tmp: Path) -> object | None:
    """The project's manifest for a running command with `run_vars`, parsed once per process
    the way a night's dbt parses (pipelines/transform/dbt_child.py): the run context vars
    (warehouse_path, as_of_date, load_id) replaced by the night's fixed stand-ins, every other
    var as given (they key the cache); its relations pointed at the run's database. As in a
    night, dbt compiles each node's SQL with the run's own vars. None when the parse fails
    (the caller then runs plain dbt, which reports the parse error)."""
    from dbt.cli.main import dbtRunner

    from pipelines.transform import dbt_child

    key = json.dumps(
        {k: v for k, v in run_vars.items() if k not in dbt_child.PARSE_STAND_INS},
        sort_keys=True,
        default=str,
    )
    if key not in _PARSES:
        parse = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
        parse += ["--target-path", str(tmp / "parse"), "--log-path", str(tmp / "logs")]
        result = dbtRunner().invoke(dbt_child.parse_args(parse, dict(run_vars)))
        if not result.success:
            return None
        stand_in = dbt_child.database_name(str(dbt_child.PARSE_STAND_INS["warehouse_path"]))
        while len(_PARSES) >= _KEPT_PARSES:
            del _PARSES[next(iter(_PARSES))]
        _PARSES[key] = [result.result, stand_in]
    manifest, database = _PARSES[key]
    wanted = dbt_child.database_name(str(run_vars["warehouse_path"]))
    if wanted != database:
        dbt_child.retarget(manifest, database, wanted)
        _PARSES[key][1] = wanted
    return manifest


def add_night(
    path: Path, load_id: int, day: str, tables: Mapping[str, Iterable[dict]], month: int
) -> None:
    """One night of a sequence of loads: load `load_id` of business date `day`, complete, with
    `tables` ({table: rows}) as its raw versions, loaded on day `load_id` of `month` 2026."""
    build_warehouse(
        path,
        {table: [(load_id, row) for row in rows] for table, rows in tables.items()},
        loads={load_id: day},
        loaded_at=dt.datetime(2026, month, load_id, tzinfo=dt.UTC),
        row_hash=hash_by_load_and_row,
        status="complete",
    )


def run_dbt(
    args: Sequence[str],
    *,
    db: Path,
    tmp: Path,
    as_of: str,
    load_id: int,
    vars: Mapping[str, object] | None = None,
    allowed: Sequence[str] = ("success", "pass"),
    ok: bool = True,
    manifest: object | None = None,
):
    """Run dbt in-process (`args`: the command and its flags) on the warehouse `db`, with
    target and logs under `tmp`. vars override warehouse_path, as_of_date and load_id. With
    ok, assert success and list the nodes whose status is not in `allowed`. A running command
    (build, run, test ...) runs on a parse of the project shared by the process (`_parsed`)
    unless a parsed `manifest` is given. Returns the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    from pipelines.transform.dbt_child import RUNNING_COMMANDS

    all_vars = {"warehouse_path": str(db), "as_of_date": as_of, "load_id": load_id, **(vars or {})}
    if manifest is None and args and args[0] in RUNNING_COMMANDS:
        manifest = _parsed(all_vars, tmp)
    runner = dbtRunner() if manifest is None else dbtRunner(manifest=manifest)
    result = runner.invoke(
        [
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
            "--vars",
            json.dumps(all_vars),
            "--quiet",
        ]
    )
    if ok:
        assert result.success, result.exception or [
            (r.node.name, r.status, r.message)
            for r in (result.result or [])
            if r.status not in allowed
        ]
    return result
