"""The nightly run keeps the lake (SALESOPS_LAKE_DIR) up to date after it publishes.

A copy of the small night's home, whose first night ran without a lake, runs the drop again
with the lake set: once published, the lake holds every load of the warehouse (the first
night's caught up by difference) with the warehouse's rows and types, and the run's log
records the sync.
"""

from __future__ import annotations

import json
import shutil

from pipelines.ops.runner import run_nightly
from tests.conftest import SMALL_NIGHT
from tests.warehouse.test_lake import assert_lake_equals_warehouse


def test_the_night_writes_its_published_loads_to_the_lake(small_night, tmp_path, monkeypatch):
    home, root = tmp_path / "home", tmp_path / "lake"
    shutil.copytree(small_night["home"], home)
    assert not root.exists()
    monkeypatch.setenv("SALESOPS_LAKE_DIR", str(root))
    summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
    assert summary["status"] == "success", summary.get("error")
    assert_lake_equals_warehouse(root, home / "warehouse.duckdb")
    assert list((root / "raw" / "opportunities").glob("load_id=*/*.parquet"))
    (log,) = (home / "logs").glob(f"*{summary['run_id']}.jsonl")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    synced = [e for e in events if e["event"] == "lake_synced"]
    assert len(synced) == 1 and synced[0]["fields"]["lake"] == str(root)
    published = next(i for i, e in enumerate(events) if e["event"] == "published")
    assert events.index(synced[0]) > published  # only a published load reaches the lake
