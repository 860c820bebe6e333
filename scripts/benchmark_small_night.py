"""Benchmark: a small night end to end against DuckDB alone running that night's dbt SQL.

1. Writes the bundled demo drop (``salesops demo-data``, as scripts/demo.sh) and runs
   ``salesops run`` on it into a fresh home (night 1). By default the night measured is the
   home's next one, as every night after a home's first: the same drop run again on the same
   business date (its files are seen, nothing new is loaded, dbt builds every node and keeps
   night 1's parse). ``--first`` measures night 1 instead (a fresh home: dbt parses in full).
   Each night runs in a child process: its wall time, and the time per step from the run's
   summary.
2. Runs the measured night again on a copy of its home as it stood before (untimed), with
   dbt's log file at debug level (``DBT_LOG_LEVEL_FILE=debug``; a night's default, info,
   leaves the statements out), and takes every SQL statement its ``dbt build`` sent to
   DuckDB, in order, from dbt's JSON log of that invocation (``HOME/dbt/logs/dbt.log*``,
   events ``SQLQuery``; the invocation id from ``HOME/dbt/target/run_results.json``): models,
   incremental merges, data tests, dbt's catalog queries (BEGIN/COMMIT/ROLLBACK aside: each
   statement commits by itself).
3. Runs those statements on one DuckDB connection, timed, against a copy of the warehouse as
   it stood before that night's dbt: for night 1, the night's warehouse without what dbt
   built (schemas staging, intermediate, marts); for the next night, the warehouse night 1
   left (what the next night's ingest adds to ``meta`` aside: dbt's statements carry the load
   id as a literal).

Prints both figures and their ratio (target: the night at most 1.5 times DuckDB's time).

Usage:
    python scripts/benchmark_small_night.py [--first] [--workdir DIR] [--keep] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

SALESOPS = Path(sys.executable).with_name("salesops")
AS_OF = "2026-09-30"
DBT_SCHEMAS = ("staging", "intermediate", "marts")
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def write_drop(work: Path, scale: float) -> Path:
    inbox = work / "inbox"
    subprocess.run(
        [str(SALESOPS), "demo-data", str(inbox), "--end-date", AS_OF, "--scale", str(scale)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return inbox


def run_night(inbox: Path, home: Path, env: dict | None = None) -> tuple[Path, dict, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(SALESOPS), "run", "--inbox", str(inbox), "--home", str(home), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the night failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    summary_path = max((home / "runs").glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
    return home, json.loads(summary_path.read_text(encoding="utf-8")), wall


def night_statements(home: Path) -> tuple[str, list[str]]:
    """The database name dbt used and the SQL statements of the night's dbt build, in order."""
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text("utf-8"))
    invocation = results["metadata"]["invocation_id"]
    events = []
    for log in (home / "dbt" / "logs").glob("dbt.log*"):
        for line in log.read_text(encoding="utf-8").splitlines():
            if '"SQLQuery"' not in line or invocation not in line:
                continue
            event = json.loads(line)
            if event["info"]["name"] == "SQLQuery" and event["info"]["invocation_id"] == invocation:
                events.append((event["info"]["ts"], event["data"]["sql"]))
    events.sort(key=lambda e: e[0])  # one thread or two: the order the statements were sent
    database = Path(results["args"]["vars"]["warehouse_path"]).stem
    return database, [sql for _, sql in events]


def duckdb_seconds(
    warehouse: Path, database: str, statements: list[str], work: Path, drop_dbt: bool
) -> float:
    copy = work / "replay" / f"{database}.duckdb"  # dbt's SQL names the database by the file
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy))
    for schema in DBT_SCHEMAS if drop_dbt else ():
        con.execute(f"drop schema if exists {schema} cascade")
    con.execute("checkpoint")
    seconds = 0.0
    for sql in statements:
        if sql.strip().upper() in TRANSACTION_CONTROL:
            continue  # each statement commits on its own (dbt's threads interleave theirs)
        started = time.perf_counter()
        con.execute(sql).fetchall()  # a test's query counts its failures: read them all
        seconds += time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--scale", type=float, default=1.0, help="demo drop scale (default 1)")
    parser.add_argument("--first", action="store_true", help="measure a fresh home's first night")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="salesops-small-night-"))
    work.mkdir(parents=True, exist_ok=True)
    debug = {"DBT_LOG_LEVEL_FILE": "debug"}
    try:
        inbox = write_drop(work, args.scale)
        home, logged = work / "home", work / "home-sql"
        if args.first:
            home, summary, wall = run_night(inbox, home)
            run_night(inbox, logged, debug)
            before = logged / "warehouse.duckdb"
        else:
            run_night(inbox, home)
            shutil.copytree(home, logged)
            before = work / "before.duckdb"
            shutil.copyfile(home / "warehouse.duckdb", before)
            home, summary, wall = run_night(inbox, home)
            run_night(inbox, logged, debug)
        database, statements = night_statements(logged)
        alone = duckdb_seconds(before, database, statements, work, drop_dbt=args.first)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    night = "first night of a fresh home" if args.first else "next night of a home"
    print(f"demo drop (scale {args.scale}, business date {AS_OF}), {night}")
    for step, seconds in summary["step_seconds"].items():
        print(f"  {step:<24} {seconds:8.1f} s")
    print(f"  {'run (summary)':<24} {summary['seconds_total']:8.1f} s")
    print(f"  {'salesops run (wall)':<24} {wall:8.1f} s")
    print(f"DuckDB alone, the night's dbt SQL ({len(statements)} statements): {alone:.1f} s")
    print(
        f"ratio night / DuckDB: {wall / alone:.2f} (wall), "
        f"{summary['seconds_total'] / alone:.2f} (summary); target <= 1.5"
    )


if __name__ == "__main__":
    main()
