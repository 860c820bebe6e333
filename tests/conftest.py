"""Fixtures shared by several test modules."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly
from tests.support import oracle

#: Business date of the shared demo night: the last day of 2026Q3.
DEMO_AS_OF = date(2026, 9, 30)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """One real nightly run on a demo drop (read it or copy its home; never write to it)."""
    root = tmp_path_factory.mktemp("e2e")
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.5, end_date=DEMO_AS_OF)
    home = root / "home"
    summary = run_nightly(inbox=inbox, home=home, as_of=DEMO_AS_OF, echo=False)
    return {"inbox": inbox, "home": home, "summary": summary, "drop": oracle.load_drop(inbox)}


#: Test files that run whole nightly runs or dbt builds, longest first (measured on the CI
#: machine). The test workers take whole files in collection order (`--dist loadfile` in
#: scripts/test.sh), so starting with the longest keeps one worker from running a long file
#: alone at the end while the other idles; the other files follow in their usual order.
LONGEST_FIRST = (
    "test_as_of_rebuild.py",
    "test_fact_rebuild.py",
    "test_backfill.py",
    "test_incremental_facts.py",
    "test_end_to_end.py",
    "test_metric_params.py",
    "test_realdata_maven.py",
    "test_dbt_project.py",
    "test_faults.py",
    "test_alerts.py",
    "test_marts_performance.py",
    "test_marts_funnel_pipeline.py",
    "test_marts_customers_receivables.py",
    "test_report_sections.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable within a file
