"""Fixtures shared by several test modules."""

from __future__ import annotations

import os

from pipelines.transform.dbt_child import SINGLE_THREADED_MATH

# As in the dbt a run starts: dbt builds run in the test workers too (tests/support), and numpy
# reads these when it loads, which the imports below do.
for _name, _value in SINGLE_THREADED_MATH.items():
    os.environ.setdefault(_name, _value)

import threading
from datetime import date
from pathlib import Path

import pytest

from pipelines.core.errors import WarehouseBusy
from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly
from pipelines.warehouse import lock
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
    """The small night, which first finds its warehouse locked by "another run".

    The builder holds the real lock (pipelines.warehouse.lock) of the empty home; when the
    run's first attempt at ``raw__drop`` is refused, a timer thread releases it, and Dagster's
    RetryPolicy retries the step, which succeeds. The run's events stay in a persistent
    Dagster instance (DAGSTER_HOME = root/dagster) for test_faults to read.
    """
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.05, end_date=SMALL_NIGHT)
    (inbox / "_defects.json").unlink()
    home, dagster_home = root / "home", root / "dagster"
    home.mkdir()
    dagster_home.mkdir()
    refusals: list[float] = []
    real_acquire = lock.acquire
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)  # the default, Asia/Shanghai
        mp.setenv("DAGSTER_HOME", str(dagster_home))
        mp.setenv("SALESOPS_RETRY_MAX", "3")
        mp.setenv("SALESOPS_RETRY_DELAY_SECONDS", "0.2")
        held = real_acquire(home)  # "another run" writing
        timer = threading.Timer(0.3, lock.release, [held])

        def watched_acquire(path: Path):
            try:
                return real_acquire(path)
            except WarehouseBusy:
                if not refusals:
                    timer.start()  # the other run finishes a moment later
                refusals.append(1)
                raise

        mp.setattr(lock, "acquire", watched_acquire)
        summary = run_nightly(inbox, home=home, as_of=SMALL_NIGHT, echo=False)
        timer.join()
    return {
        "inbox": inbox,
        "home": home,
        "dagster_home": dagster_home,
        "summary": summary,
        "refusals": refusals,
    }


@pytest.fixture(scope="session")
def small_night(tmp_path_factory):
    """One real nightly run of a small demo drop (scale 0.05, its defect manifest removed)
    on SMALL_NIGHT into an empty home, in the default business timezone, that first found
    the warehouse locked and retried (`_small_night`): test_faults' busy night, and the
    first night of test_backfill's one-by-one nights and of test_fact_rebuild's two nights.
    Copy its home to add nights; never write to it. Built once per session, shared by the
    workers."""
    return nights.shared_once(tmp_path_factory, "small-night", _small_night)


#: Test files that run whole nightly runs or dbt builds, longest first (the slowest test
#: files that a session prints at its end). The test workers take whole files in collection
#: order (`--dist loadfile` in scripts/test.sh; pytest_configure turns off xdist's own
#: reordering of files by their number of tests), so starting with the longest keeps one
#: worker from running a long file alone at the end while the other idles; the other files
#: follow in their usual order. The first two start the two shared nights
#: (tests/support/nights.py) at once, one on each worker: test_end_to_end the demo night,
#: test_backfill the small night; the other files that read them come later, as does
#: test_incremental_period_marts after test_incremental_facts, whose loads it continues.
LONGEST_FIRST = (
    "test_spark_thrift.py",
    "test_spark_night.py",
    "test_end_to_end.py",
    "test_backfill.py",
    "test_incremental_facts.py",
    "test_as_of_rebuild.py",
    "test_dbt_project.py",
    "test_faults.py",
    "test_postgres_storage.py",
    "test_dbt_process.py",
    "test_hostile_nights.py",
    "test_incremental_receivables.py",
    "test_plausible_dates.py",
    "test_render.py",
    "test_render_set.py",
    "test_masking_rendered.py",
    "test_fact_rebuild.py",
    # continues from test_incremental_facts' six loads (tests/transform/conftest.py): late
    # enough that the other worker has built them by the time it starts
    "test_incremental_period_marts.py",
    "test_formats.py",
    "test_alerts.py",
    "test_marts_performance.py",
    "test_realdata_maven.py",
    "test_realdata_olist_funnel.py",
    "test_realdata_ibm_receivables.py",
    "test_realdata_northwind.py",
    "test_realdata_kaggle_sales.py",
    "test_marts_funnel_pipeline.py",
    "test_metric_params.py",
    "test_receivables.py",
    "test_dagster_ui.py",
    "test_definitions.py",
    "test_marts_team_history.py",
    "test_marts_customers_receivables.py",
    "test_dq_rules.py",
)


def pytest_configure(config: pytest.Config) -> None:
    on_disk = {path.name for path in Path(__file__).parent.rglob("test_*.py")}
    if unknown := sorted(set(LONGEST_FIRST) - on_disk):
        raise pytest.UsageError(f"LONGEST_FIRST (tests/conftest.py) names no test file: {unknown}")
    # pytest-xdist hands out the files with the most tests first unless told otherwise
    # (--no-loadscope-reorder): that would put the long files of few tests last.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable within a file


#: Seconds per test file (setup, call and teardown of its tests) and the workers that ran it,
#: printed at the end of the session: the numbers to keep LONGEST_FIRST in order by.
_FILE_SECONDS: dict[str, float] = {}
_FILE_WORKERS: dict[str, set[str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration
    node = getattr(report, "node", None)  # under xdist, on the controller: the worker
    if node is not None:
        _FILE_WORKERS.setdefault(path, set()).add(node.gateway.id)


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FILE_SECONDS:
        return
    terminalreporter.write_sep("=", "slowest test files (seconds, all their tests)")
    ranked = sorted(_FILE_SECONDS.items(), key=lambda kv: kv[1], reverse=True)
    for path, seconds in ranked[:20]:
        workers = ",".join(sorted(_FILE_WORKERS.get(path, ())))
        terminalreporter.write_line(f"{seconds:8.1f}s {workers:4} {path}")
