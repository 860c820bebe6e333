"""Benchmark: the demo drop end to end (ingest -> validate -> dbt build -> report).

Prints rows, time per step and peak memory. Usage:
    python scripts/benchmark.py [--scale 1.0] [--seed 7] [--workdir DIR]
Target (issue: the spine): the demo drop at scale 1 in under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly

AS_OF = date(2026, 9, 30)
TARGET_SECONDS = 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="salesops-bench-"))
    inbox, home = work / "inbox", work / "home"
    shutil.rmtree(home, ignore_errors=True)

    started = time.perf_counter()
    generate_drop(inbox, seed=args.seed, scale=args.scale, end_date=AS_OF)
    generate_seconds = time.perf_counter() - started
    summary = run_nightly(inbox=inbox, home=home, as_of=AS_OF, echo=False)
    if summary["status"] != "success":
        raise SystemExit(f"run failed at {summary['failed_step']}: {summary['error']}")

    rows = sum(f["rows_in"] for f in summary["files"])
    peak_mib = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    print(
        f"demo drop: scale {args.scale}, seed {args.seed}, {rows:,} rows in "
        f"{len(summary['files'])} files (generated in {generate_seconds:.1f}s)"
    )
    for step, seconds in summary["step_seconds"].items():
        print(f"  {step:<20} {seconds:>7.1f}s")
    total = summary["seconds_total"]
    print(
        f"  {'end to end':<20} {total:>7.1f}s   (target < {TARGET_SECONDS}s: "
        f"{'met' if total < TARGET_SECONDS else 'MISSED'})"
    )
    print(f"  {'rows per second':<20} {rows / total:>7,.0f}")
    print(f"  {'peak RSS':<20} {peak_mib:>7.0f} MiB (largest of this process and dbt)")
    print(f"  warehouse: {home / 'warehouse.duckdb'}")


if __name__ == "__main__":
    main()
