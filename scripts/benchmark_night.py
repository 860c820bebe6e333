"""Benchmark: the whole nightly run at scale, the night a user waits for.

Generates the canonical drop of ``scripts/benchmark_ingest.py`` (``--orders N``: N orders and
N payments, N/100 accounts, N/50,000 reps, 200 products, 0.1% bad rows) and runs the real
nightly job on it (``pipelines.ops.runner.run_nightly``: copy of the warehouse, ingest,
validation, ``dbt build`` of every model and data test, alerts, review packs, publish) in a
child process, under the nightly run's own memory limit for DuckDB
(``SALESOPS_DUCKDB_MEMORY_LIMIT``; ``--memory-limit``, default the environment's, else 1GB).

Prints the time of each step, the peak RSS of the run (the child and every process it waited
for: dbt runs in its own process), the disk the home uses, and the rows of every mart. The
first target of the issue "complete and fast at every size" is judged and printed PASS/FAIL:

- every mart of the dbt project completes (the run succeeds and each mart table exists);
- peak RSS within 2 GiB.

``--second-night`` then runs a following night whose drop changes 1% of the orders and
payments (every 100th row: amount + 1) and prints its figures and its time as a share of the
first night's (target: at most 10%). A benchmark, not a test: the exit code is 1 only when a
night fails.

Usage:
    python scripts/benchmark_night.py [--orders 2000000] [--workdir DIR] [--keep]
        [--memory-limit 1GB] [--second-night] [--json PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import duckdb  # noqa: E402
from benchmark_ingest import ENTITY_ORDER, generate  # noqa: E402

#: The business date of the first night: the generated rows are dated 2024-2025, so the
#: review packs of its quarter have data to show.
AS_OF = date(2025, 12, 31)

TARGET_RSS_MIB = 2048
TARGET_DELTA_SHARE = 0.10
#: The child: one nightly run, its summary as JSON on the last line of stdout.
CHILD = """
import json, sys
from datetime import date
from pathlib import Path
from pipelines.ops.runner import run_nightly
summary = run_nightly(Path(sys.argv[1]), home=Path(sys.argv[2]),
                      as_of=date.fromisoformat(sys.argv[3]), echo=True)
print(json.dumps(summary, default=str))
"""


def du_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_night(inbox: Path, home: Path, as_of: date, env: dict[str, str]) -> dict:
    """One nightly run in a child process: its summary, wall time and peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(inbox), str(home), as_of.isoformat()],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    last = ""
    for line in proc.stdout:  # the run's progress, as it goes
        if line.startswith("{"):
            last = line
        else:
            print(f"   | {line.rstrip()}", flush=True)
    proc.wait()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        summary = json.loads(last)
    except json.JSONDecodeError:
        summary = {"status": "crashed", "error": f"exit code {proc.returncode}"}
    return {
        "summary": summary,
        "seconds": seconds,
        # ru_maxrss of children: the largest of any waited-for descendant (KiB); a later
        # night only shows when it went above the earlier ones
        "peak_rss_mib": peak / 1024 if peak > before else None,
        "home_mib": du_mib(home),
        "warehouse_mib": (home / "warehouse.duckdb").stat().st_size / 2**20
        if (home / "warehouse.duckdb").exists()
        else None,
    }


def mart_rows(home: Path) -> dict[str, int]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        names = [
            n
            for (n,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def dbt_marts() -> list[str]:
    """Every mart the dbt project defines (from its models folder)."""
    return sorted(p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql"))


def touch_one_percent(inbox: Path, target: Path) -> int:
    """The next night's drop: orders and payments with every 100th row's amount + 1."""
    target.mkdir(parents=True, exist_ok=True)
    changed = 0
    for name, column in (("orders", "total_amount"), ("payments", "amount")):
        with (inbox / f"{name}.csv").open(newline="") as src:
            reader = csv.reader(src)
            header = next(reader)
            at = header.index(column)
            with (target / f"{name}.csv").open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                for i, row in enumerate(reader):
                    if i % 100 == 0 and row[at]:
                        try:
                            row[at] = f"{float(row[at]) + 1:.2f}"
                            changed += 1
                        except ValueError:
                            pass  # a generated bad value stays bad
                    writer.writerow(row)
    return changed


def report(title: str, night: dict, first_seconds: float | None = None) -> None:
    s = night["summary"]
    print(f"\n== {title}: {s.get('status')} in {night['seconds']:.1f} s")
    if s.get("status") != "success":
        print(f"   failed at {s.get('failed_step')}: {s.get('error')}")
    for step, seconds in (s.get("step_seconds") or {}).items():
        print(f"   {step:<28} {float(seconds):8.1f} s")
    peak = night["peak_rss_mib"]
    if peak is None:
        print("   peak RSS not above the earlier night's")
    else:
        verdict = "PASS" if peak <= TARGET_RSS_MIB else "FAIL"
        print(f"   peak RSS {peak:,.0f} MiB (target <= {TARGET_RSS_MIB:,}) {verdict}")
    wh = night["warehouse_mib"]
    print(f"   home {night['home_mib']:,.0f} MiB, warehouse {wh or 0:,.0f} MiB")
    if first_seconds:
        share = night["seconds"] / first_seconds
        ok = "PASS" if share <= TARGET_DELTA_SHARE else "FAIL"
        print(f"   {share:.1%} of the first night (target <= {TARGET_DELTA_SHARE:.0%}) {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--second-night", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="salesops-night-"))
    inbox, home = work / "inbox" / AS_OF.isoformat(), work / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, SALESOPS_HOME=str(home))
    if args.memory_limit:
        env["SALESOPS_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    limit = env.get("SALESOPS_DUCKDB_MEMORY_LIMIT", "1GB (default)")
    try:
        if not (inbox / "orders.csv").exists():
            generate(inbox, args.orders, list(ENTITY_ORDER))
        print(f"\nnightly run on {args.orders:,} orders, DuckDB memory limit {limit}")
        first = run_night(inbox, home, AS_OF, env)
        report("first night", first)
        results = {"orders": args.orders, "first": first}
        if first["summary"].get("status") == "success":
            rows = mart_rows(home)
            missing = [m for m in dbt_marts() if m not in rows]
            print(f"   marts: {len(rows)} built, {sum(rows.values()):,} rows")
            for name, count in rows.items():
                print(f"     {name:<34} {count:>14,}")
            verdict = "PASS" if not missing else f"FAIL (missing: {', '.join(missing)})"
            print(f"   every mart completes: {verdict}")
            results["marts"] = rows
        if args.second_night and first["summary"].get("status") == "success":
            nxt = date.fromordinal(AS_OF.toordinal() + 1)
            changed = touch_one_percent(inbox, work / "inbox" / nxt.isoformat())
            print(f"\nsecond night: {changed:,} rows changed (1% of orders and payments)")
            second = run_night(work / "inbox" / nxt.isoformat(), home, nxt, env)
            report("second night", second, first["seconds"])
            results["second"] = second
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        failed = first["summary"].get("status") != "success"
        raise SystemExit(1 if failed else 0)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
