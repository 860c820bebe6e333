"""Benchmark: a small night end to end against DuckDB alone running that night's dbt SQL.

1. Writes the bundled demo drop (``salesops demo-data``, as scripts/demo.sh) and runs
   ``salesops run`` on it into a fresh home, in a child process: its wall time, and the time
   per step from the run's summary.
2. Runs the same night again into another fresh home, untimed, with dbt's log file at debug
   level (``DBT_LOG_LEVEL_FILE=debug``; a night's default, info, leaves the statements out),
   and takes every SQL statement its ``dbt build`` sent to DuckDB, in order, from dbt's JSON
   log of that invocation (``HOME/dbt/logs/dbt.log*``, events ``SQLQuery``; the invocation id
   from ``HOME/dbt/target/run_results.json``): models, incremental merges, data tests, dbt's
   catalog queries (BEGIN/COMMIT/ROLLBACK aside: each statement commits by itself).
3. Copies the night's warehouse, drops what dbt built (schemas staging, intermediate, marts)
   so it stands as before dbt, and runs the statements on one DuckDB connection, timed. (What
   later steps wrote to ``meta`` stays; dbt does not read it back for the facts it builds.)

Prints both figures and their ratio (target: the night at most 1.5 times DuckDB's time).

Usage:
    python scripts/benchmark_small_night.py [--workdir DIR] [--keep] [--scale 1.0]
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


def duckdb_seconds(home: Path, database: str, statements: list[str], work: Path) -> float:
    copy = work / "replay" / f"{database}.duckdb"  # dbt's SQL names the database by the file
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home / "warehouse.duckdb", copy)
    con = duckdb.connect(str(copy))
    for schema in DBT_SCHEMAS:
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
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="salesops-small-night-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        inbox = write_drop(work, args.scale)
        home, summary, wall = run_night(inbox, work / "home")
        logged, _, _ = run_night(inbox, work / "home-sql", {"DBT_LOG_LEVEL_FILE": "debug"})
        database, statements = night_statements(logged)
        alone = duckdb_seconds(logged, database, statements, work)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"demo night (scale {args.scale}, business date {AS_OF})")
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
