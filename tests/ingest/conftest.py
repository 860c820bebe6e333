"""Fixtures of the ingest tests (builders: tests/ingest/support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.support import new_warehouse


@pytest.fixture
def con(tmp_path: Path):
    """An empty warehouse for one test."""
    c = new_warehouse(tmp_path / "w.duckdb")
    yield c
    c.close()
