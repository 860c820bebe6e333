"""`salesops status`: the last runs, open findings and whether a run is writing now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from pipelines.errors import WarehouseBusy
from pipelines.warehouse import lock
from pipelines.warehouse.resource import WAREHOUSE_FILE


def recent_runs(home: Path, limit: int = 10) -> list[dict[str, Any]]:
    """Summaries of the latest runs (newest first), from HOME/runs/<run_id>/summary.json."""
    paths = sorted(
        (home / "runs").glob("*/summary.json"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    runs = []
    for path in paths[:limit]:
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            runs.append({"run_id": path.parent.name, "status": "unreadable summary"})
    return runs


def open_findings(home: Path) -> list[tuple[str, str, int]]:
    warehouse = home / WAREHOUSE_FILE
    if not warehouse.exists():
        return []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            """select severity, rule, count(*) from marts.dq_findings where is_open
               group by all order by severity, count(*) desc, rule"""
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def is_writing(home: Path) -> bool:
    if not home.exists():
        return False
    try:
        handle = lock.acquire(home)
    except WarehouseBusy:
        return True
    lock.release(handle)
    return False


def format_status(home: Path, limit: int = 10) -> str:
    lines = [f"warehouse home {home}"]
    warehouse = home / WAREHOUSE_FILE
    lines.append(
        f"  warehouse: {warehouse} ({warehouse.stat().st_size / 2**20:.1f} MiB)"
        if warehouse.exists()
        else "  warehouse: none yet (run `salesops run` first)"
    )
    lines.append(f"  a run is writing now: {'yes' if is_writing(home) else 'no'}")
    lines.append("")
    runs = recent_runs(home, limit)
    lines.append(f"last {len(runs)} run(s), newest first:")
    for r in runs:
        files = r.get("files") or []
        rows_in = sum(f.get("rows_in", 0) for f in files)
        quarantined = sum(f.get("rows_quarantined", 0) for f in files)
        detail = (
            f"load {r.get('load_id')}, {rows_in:,} rows in, {quarantined:,} quarantined"
            if r.get("status") == "success"
            else f"failed at {r.get('failed_step')}: {str(r.get('error', '')).splitlines()[0]}"
        )
        lines.append(
            f"  {r.get('run_id')}  {r.get('status'):<8} business date {r.get('as_of_date')}  "
            f"{detail}  ({r.get('seconds_total', 0):.0f}s)"
        )
    findings = open_findings(home)
    lines.append("")
    lines.append(f"open data-quality findings: {sum(n for _, _, n in findings):,}")
    for severity, rule, n in findings:
        lines.append(f"  {severity:<11} {rule:<28} {n:>6,}")
    return "\n".join(lines)
