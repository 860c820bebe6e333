"""Fixtures shared by several test modules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly
from tests.support import nights, oracle

#: Business date of the shared demo night: the last day of 2026Q3.
DEMO_AS_OF = date(2026, 9, 30)


def _demo_night(root: Path) -> dict:
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.5, end_date=DEMO_AS_OF)
    home = root / "home"
    summary = run_nightly(inbox=inbox, home=home, as_of=DEMO_AS_OF, echo=False)
    return {"inbox": inbox, "home": home, "summary": summary}


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """One real nightly run on a demo drop (read it or copy its home; never write to it).

    Built once per session: the test workers share it (tests/support/nights.py)."""
    night = nights.shared_once(tmp_path_factory, "demo-night", _demo_night)
    return {**night, "drop": oracle.load_drop(night["inbox"])}


#: Business date of the shared small night: a small demo drop, the first of a home's nights.
SMALL_NIGHT = date(2026, 9, 28)


def _small_night(root: Path) -> dict:
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.05, end_date=SMALL_NIGHT)
    (inbox / "_defects.json").unlink()
    home = root / "home"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)  # the default, Asia/Shanghai
        summary = run_nightly(inbox, home=home, as_of=SMALL_NIGHT, echo=False)
    return {"inbox": inbox, "home": home, "summary": summary}


@pytest.fixture(scope="session")
def small_night(tmp_path_factory):
    """One real nightly run of a small demo drop (scale 0.05, its defect manifest removed)
    on SMALL_NIGHT into an empty home, in the default business timezone: the first night of
    test_backfill's one-by-one nights and of test_fact_rebuild's two nights. Copy its home
    to add nights; never write to it. Built once per session, shared by the workers."""
    night = nights.shared_once(tmp_path_factory, "small-night", _small_night)
    assert night["summary"]["status"] == "success", night["summary"].get("error")
    return night


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


#: Seconds per test file (setup, call and teardown of its tests), printed at the end of the
#: session: the numbers to keep LONGEST_FIRST in order by.
_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FILE_SECONDS:
        return
    terminalreporter.write_sep("=", "slowest test files (seconds, all their tests)")
    ranked = sorted(_FILE_SECONDS.items(), key=lambda kv: kv[1], reverse=True)
    for path, seconds in ranked[:20]:
        terminalreporter.write_line(f"{seconds:8.1f}s {path}")
