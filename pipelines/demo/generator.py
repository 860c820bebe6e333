"""Write one deterministic demo drop: the CSV files and ``_defects.json``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.core.contract import ENTITIES

from .render import SKIPPED_ENTITIES, manifest, render
from .world import World

DEFECTS_FILE = "_defects.json"


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 (no BOM), ``\\n`` line endings, minimal quoting."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def generate_drop(
    out_dir: Path,
    seed: int = 7,
    scale: float = 1.0,
    end_date: date = date(2026, 9, 30),
) -> dict[str, Any]:
    """Write one nightly demo drop into ``out_dir`` and return its defect manifest.

    Writes ``<entity>.csv`` for every contract entity except invoices (the
    warehouse derives those from orders), in contract column order, plus
    ``_defects.json`` holding the returned manifest. The history covers the two
    years ending on ``end_date``; ``scale`` multiplies the row counts (small
    scales keep a minimum of every entity). Same arguments, same bytes.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(int(seed), float(scale), end_date)
    world.build()
    rows = render(world)
    for e in ENTITIES:
        if e.name in SKIPPED_ENTITIES:
            continue
        data = csv_bytes(e.column_names, [values for _, values in rows[e.name]])
        (out_dir / e.file_name).write_bytes(data)
    result = manifest(world, rows)
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    (out_dir / DEFECTS_FILE).write_bytes(text.encode("utf-8"))
    return result
