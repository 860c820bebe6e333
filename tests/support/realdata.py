"""One real-data night: a published dataset, as it is, through the whole nightly run.

The real datasets live beside the project in ../shared/realdata (never copied into it). A
test module names its dataset folder, profile, business date and the company's settings;
`real_night` copies the folder to an inbox, runs the night and returns the warehouse opened
read-only. The figures each test checks are recomputed from the dataset's files, never read
from the output under test.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.ops.runner import run_nightly

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


def real_night(
    tmp_path_factory: pytest.TempPathFactory,
    folder: Path,
    *,
    profile: str,
    as_of: date,
    currency: str,
    timezone: str,
    partitions_start: str,
) -> duckdb.DuckDBPyConnection:
    """Run the night on a copy of ``folder`` with ``profile`` (a bundled name or a file) and
    return its warehouse, read-only; skip the test when the datasets are not present.
    ``partitions_start`` is the first business date of the company's partitions (datasets
    end years before the default first partition)."""
    if not folder.is_dir():
        pytest.skip(f"real datasets not present at {REALDATA} (see its README.md)")
    root = tmp_path_factory.mktemp(folder.name)
    inbox = root / "inbox"
    shutil.copytree(folder, inbox)
    mp = pytest.MonkeyPatch()
    mp.setenv("SALESOPS_REPORTING_CURRENCY", currency)
    mp.setenv("SALESOPS_BUSINESS_TIMEZONE", timezone)
    mp.setenv("SALESOPS_PARTITIONS_START", partitions_start)
    try:
        summary = run_nightly(
            inbox=inbox, home=root / "home", as_of=as_of, echo=False, profile=profile
        )
    finally:
        mp.undo()
    assert summary["status"] == "success", summary.get("error")
    return duckdb.connect(str(root / "home" / "warehouse.duckdb"), read_only=True)
