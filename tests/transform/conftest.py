"""Fixtures shared by transform test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import nights


@pytest.fixture(scope="session")
def fact_loads(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The six loads of test_incremental_facts, each run incrementally and checked against a
    full rebuild of every intermediate and mart relation (`build_loads`): {load id: the
    warehouse after it}. Read them, or copy one to change it (`_copy`). Built once per session
    and shared by the test workers (tests/support/nights.py): test_incremental_period_marts
    continues from the sixth."""
    from tests.transform.test_incremental_facts import build_loads

    return nights.shared_once(tmp_path_factory, "incremental-fact-loads", build_loads)
