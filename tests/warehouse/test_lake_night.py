"""The nightly run keeps the lake (SALESOPS_LAKE_DIR) up to date after it publishes.

A copy of the small night's home, whose first night ran without a lake, runs the drop again
with the lake set (the shared `small_rerun` of tests/conftest.py): once published, the lake
holds every load of the warehouse (the first night's caught up by difference) with the
warehouse's rows and types, and the run's log records the sync.
"""

from __future__ import annotations

import json

from tests.warehouse.test_lake import assert_lake_equals_warehouse


def test_the_night_writes_its_published_loads_to_the_lake(small_rerun):
    home, root, summary = small_rerun["home"], small_rerun["lake"], small_rerun["summary"]
    assert not small_rerun["lake_existed"]
    assert summary["status"] == "success", summary.get("error")
    assert_lake_equals_warehouse(root, home / "warehouse.duckdb")
    assert list((root / "raw" / "opportunities").glob("load_id=*/*.parquet"))
    (log,) = (home / "logs").glob(f"*{summary['run_id']}.jsonl")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    synced = [e for e in events if e["event"] == "lake_synced"]
    assert len(synced) == 1 and synced[0]["fields"]["lake"] == str(root)
    published = next(i for i, e in enumerate(events) if e["event"] == "published")
    assert events.index(synced[0]) > published  # only a published load reaches the lake
