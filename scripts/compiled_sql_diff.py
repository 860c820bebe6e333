"""Compare the SQL dbt compiles for DuckDB at a git ref with the working tree's.

A change that ports a macro to another engine (adapter.dispatch with default__/spark__) must
leave DuckDB's SQL as it was: this compiles every node of dbt_project at REF (default HEAD)
and in the working tree against the same warehouse and prints each file whose compiled SQL
differs (with a unified diff), then `N/N compiled files identical`. Exit status 1 on any
difference.

    python scripts/compiled_sql_diff.py --warehouse /path/warehouse.duckdb [--ref main]
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_project(project: Path, target: Path, warehouse: Path) -> Path:
    from dbt.cli.main import dbtRunner

    dbt_vars = {"warehouse_path": str(warehouse), "as_of_date": "2026-09-30", "load_id": 1}
    result = dbtRunner().invoke(
        [
            "compile",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--vars",
            json.dumps(dbt_vars),
            "--quiet",
        ]
    )
    if not result.success:
        raise SystemExit(f"dbt compile failed in {project}: {result.exception}")
    return target / "compiled" / "salesops"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="git ref to compare with (default HEAD)")
    parser.add_argument("--warehouse", required=True, type=Path, help="a DuckDB warehouse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        archive = subprocess.run(
            ["git", "archive", args.ref, "dbt_project"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp / "ref", filter="data")
        before = compile_project(tmp / "ref" / "dbt_project", tmp / "before", args.warehouse)
        after = compile_project(ROOT / "dbt_project", tmp / "after", args.warehouse)
        names = sorted(
            {p.relative_to(before) for p in before.rglob("*.sql")}
            | {p.relative_to(after) for p in after.rglob("*.sql")}
        )
        same = 0
        for name in names:
            old = (before / name).read_text() if (before / name).exists() else ""
            new = (after / name).read_text() if (after / name).exists() else ""
            if old == new:
                same += 1
                continue
            print(f"--- differs: {name}")
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True), new.splitlines(keepends=True), "before", "after"
                )
            )
            print()
        print(f"{same}/{len(names)} compiled files identical ({args.ref} vs working tree)")
        return 0 if same == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
