"""``salesops backfill``: load a series of past drops in date order, one load per date.

Drops are folders of the inbox root named by business date (``YYYY-MM-DD``), as the inbox
sensor reads them. Each date with a folder is loaded by the same nightly job as
``salesops run`` (the partition of that date); a date without a folder is skipped with a
notice. The first date that fails stops the backfill: the warehouse then holds every date
loaded before it (each load is published on its own) and nothing of the failed one, and the
message says how to resume from the failed date.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pipelines.core.errors import SalesOpsError
from pipelines.core.partitions import check_business_date
from pipelines.core.settings import Settings
from pipelines.ops.runner import run_nightly


@dataclass
class BackfillResult:
    loaded: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    failed: date | None = None
    not_attempted: list[date] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None


def business_dates(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def plan(root: Path, start: date, end: date) -> list[tuple[date, Path | None]]:
    """Each date from ``start`` to ``end`` with its drop folder (None: no drop)."""
    if end < start:
        raise SalesOpsError(
            f"--from {start} is after --to {end}", "give the earlier date with --from"
        )
    if not root.is_dir():
        raise SalesOpsError(
            f"the inbox root {root} does not exist",
            "point --inbox (or SALESOPS_INBOX_ROOT) at the folder holding one folder per "
            "business date, named YYYY-MM-DD",
        )
    dates = business_dates(start, end)
    return [(d, root / d.isoformat() if (root / d.isoformat()).is_dir() else None) for d in dates]


def _one_line(summary: dict[str, Any]) -> str:
    files = summary.get("files") or []
    rows_in = sum(f["rows_in"] for f in files)
    quarantined = sum(f["rows_quarantined"] for f in files)
    return (
        f"loaded (load {summary['load_id']}, {rows_in:,} rows in, {quarantined:,} quarantined, "
        f"{summary['seconds_total']:.0f}s)"
    )


def resume_command(start: date, end: date, root: Path, home: Path, profile: str | None) -> str:
    words = ["salesops", "backfill", "--from", start.isoformat(), "--to", end.isoformat()]
    words += ["--inbox", str(root), "--home", str(home)]
    if profile:
        words += ["--profile", profile]
    return shlex.join(words)


def run_backfill(
    root: Path,
    start: date,
    end: date,
    home: Path,
    profile: str | None = None,
    echo: Callable[[str], None] = print,
    settings: Settings | None = None,
) -> BackfillResult:
    settings = settings or Settings()
    check_business_date(start, settings)
    check_business_date(end, settings)
    dates = plan(root, start, end)
    drops = [d for d, folder in dates if folder is not None]
    echo(
        f"backfill {start} to {end} from {root} into {home}: {len(drops)} drop(s) to load, "
        f"{len(dates) - len(drops)} date(s) without a drop"
    )
    result = BackfillResult()
    total = len(dates)
    for index, (as_of, folder) in enumerate(dates, start=1):
        tag = f"[{index}/{total}] {as_of}"
        if folder is None:
            echo(f"{tag}: no drop folder {root / as_of.isoformat()}; skipped")
            result.skipped.append(as_of)
            continue
        echo(f"{tag}: loading {folder}")
        summary = run_nightly(
            inbox=folder, home=home, as_of=as_of, echo=False, profile=profile, settings=settings
        )
        result.summaries.append(summary)
        if summary["status"] == "success":
            result.loaded.append(as_of)
            echo(f"{tag}: {_one_line(summary)}")
            continue
        result.failed = as_of
        result.not_attempted = [d for d, f in dates[index:] if f is not None]
        error = str(summary.get("error", "")).replace("\n", "\n    ")
        echo(f"{tag}: FAILED at {summary.get('failed_step')}:\n    {error}")
        loaded = ", ".join(map(str, result.loaded)) or "none"
        waiting = ", ".join(map(str, result.not_attempted)) or "none"
        echo(
            f"backfill stopped at {as_of}. Loaded: {loaded}. Not attempted: {waiting}.\n"
            f"  The warehouse holds every date loaded before {as_of} and nothing of it.\n"
            f"  Run summary: {summary.get('summary_path')}\n"
            "  Fix the cause above, then resume with:\n"
            f"    {resume_command(as_of, end, root, home, profile)}"
        )
        return result
    echo(
        f"backfill done: {len(result.loaded)} date(s) loaded"
        + (f", {len(result.skipped)} without a drop skipped" if result.skipped else "")
    )
    return result
