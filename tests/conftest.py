"""Fixtures shared by several test modules."""

from __future__ import annotations

import os

from pipelines.transform.dbt_child import SINGLE_THREADED_MATH

# As in the dbt a run starts: dbt builds run in the test workers too (tests/support), and numpy
# reads these when it loads, which the imports below do.
for _name, _value in SINGLE_THREADED_MATH.items():
    os.environ.setdefault(_name, _value)

import csv
import hashlib
import io
import shutil
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.core.errors import WarehouseBusy
from pipelines.core.paths import DBT_PROJECT_DIR
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


#: Business date of the shared demo night's next night (`demo_next_night`).
DEMO_NEXT_NIGHT = date(2026, 10, 1)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_csv(path: Path, records: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _demo_next_drop(first: Path, inbox: Path) -> dict:
    """The next night's drop, made of the demo drop's rows (`first`): the first account
    renamed; a 2026Q3 CNY order corrected to ten times its amount and a new order of
    DEMO_NEXT_NIGHT (orders.csv); a USD rate back-dated into Q3 (2026-09-15, 9.5); a rep moved
    to another team; a payment for a Q3 order on DEMO_NEXT_NIGHT. What it changed, returned."""
    accounts = _csv_rows(first / "accounts.csv")
    renamed = {**accounts[0], "account_name": "Renamed Co."}
    orders = _csv_rows(first / "orders.csv")
    q3 = [
        o
        for o in orders
        if o["ordered_at"][:7] in ("2026-07", "2026-08", "2026-09")
        and o["status"] != "cancelled"
        and o["currency"] == "CNY"
    ]
    corrected = {**q3[0], "total_amount": str(Decimal(q3[0]["total_amount"]) * 10)}
    new_order = {**q3[1], "order_id": "ORD-NEXT-NEW", "ordered_at": "2026-10-01 10:00:00"}
    reps = _csv_rows(first / "sales_reps.csv")
    teams = sorted({r["team"] for r in reps})
    mover = next(r for r in reps if r["team"] == teams[0])
    usd = [r for r in _csv_rows(first / "fx_rates.csv") if r["currency"] == "USD"]
    payment = {
        **_csv_rows(first / "payments.csv")[0],
        "payment_id": "PAY-NEXT-NEW",
        "order_id": q3[2]["order_id"],
        "invoice_id": "",
        "paid_at": "2026-10-01 09:00:00",
        "amount": "1.00",
        "currency": q3[2]["currency"],
    }
    _write_csv(inbox / "accounts.csv", [renamed])
    _write_csv(inbox / "orders.csv", [corrected, new_order])
    _write_csv(
        inbox / "fx_rates.csv", [{**usd[-1], "rate_date": "2026-09-15", "rate_to_reporting": "9.5"}]
    )
    _write_csv(inbox / "sales_reps.csv", [{**mover, "team": teams[1]}])
    _write_csv(inbox / "payments.csv", [payment])
    return {"account_id": renamed["account_id"], "original": q3[0], "corrected": corrected}


@pytest.fixture(scope="session")
def demo_next_night(demo, tmp_path_factory):
    """The night after the shared demo night, on a copy of its home, uninterrupted: a drop of
    changes that reach back into 2026Q3 (`_demo_next_drop`) on DEMO_NEXT_NIGHT. test_end_to_end
    kills runs of the same drop; test_as_of_rebuild rebuilds Q3 from the load history. Copy
    its home to change it; never write to it. Built once per session, shared by the workers.
    """

    def build(root: Path) -> dict:
        inbox = root / "inbox"
        changed = _demo_next_drop(demo["inbox"], inbox)
        home = nights.copy_home(demo["home"], root / "home")
        summary = run_nightly(inbox=inbox, home=home, as_of=DEMO_NEXT_NIGHT, echo=False)
        return {"inbox": inbox, "home": home, "summary": summary, **changed}

    return nights.shared_once(tmp_path_factory, "demo-next-night", build)


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


@pytest.fixture(scope="session")
def small_rerun(small_night, tmp_path_factory):
    """The shared small night's drop run again on SMALL_NIGHT, on a copy of its home, with
    the lake on (SALESOPS_LAKE_DIR, a folder that did not exist): every file is one the home
    has loaded. test_end_to_end: the run changes nothing; test_lake_night: the lake catches up
    with the first night's load. Read it; never write to it. Built once per session, shared
    by the workers."""

    def build(root: Path) -> dict:
        home = nights.copy_home(small_night["home"], root / "home")
        lake = root / "lake"
        lake_existed = lake.exists()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SALESOPS_LAKE_DIR", str(lake))
            summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
        return {"home": home, "lake": lake, "lake_existed": lake_existed, "summary": summary}

    return nights.shared_once(tmp_path_factory, "small-rerun", build)


def dbt_project_files() -> dict[str, tuple[int, int]]:
    """Every file and folder of the dbt project with its mtime and size."""
    return {
        str(p.relative_to(DBT_PROJECT_DIR)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in [DBT_PROJECT_DIR, *DBT_PROJECT_DIR.rglob("*")]
    }


def renamed_account_drop(small_inbox: Path, inbox: Path) -> Path:
    """A drop of one file: the first account of the small drop renamed "Renamed Co."."""
    header, row = (small_inbox / "accounts.csv").read_text(encoding="utf-8").splitlines()[:2]
    inbox.mkdir(parents=True)
    (inbox / "accounts.csv").write_text(
        f"{header}\n{row.replace(row.split(',')[1], 'Renamed Co.', 1)}\n", encoding="utf-8"
    )
    return inbox


#: Business dates after the shared small night: of its next drop, one account renamed
#: (`small_next_night`, `small_nights_one_by_one`), and of an empty drop folder, on which the
#: run fails (`small_nights_one_by_one`).
SMALL_NEXT_NIGHT = date(2026, 9, 30)
SMALL_FAILED_NIGHT = date(2026, 10, 1)


@pytest.fixture(scope="session")
def small_next_night(small_night, tmp_path_factory):
    """The next drop, the small drop's first account renamed (`renamed_account_drop`), on
    SMALL_NEXT_NIGHT, run on a copy of the shared small night's home (H1) without its dbt
    folder, so dbt parses the project in full; dbt's file log at debug level
    (DBT_LOG_LEVEL_FILE). With the dbt project folder's files before and after the run and
    H1's run_results.json before it. test_dbt_process (a run writes under its home only) and
    test_dbt_keeps_parse (the night that parses in full). Copy its home to change it; never
    write to it. Built once per session, shared by the workers."""

    def build(root: Path) -> dict:
        inbox = renamed_account_drop(small_night["inbox"], root / "inbox")
        h1 = small_night["home"]
        h1_results = (h1 / "dbt" / "target" / "run_results.json").read_bytes()
        home = root / "home"
        shutil.copytree(h1, home, ignore=shutil.ignore_patterns("dbt"))
        before = dbt_project_files()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DBT_LOG_LEVEL_FILE", "debug")
            summary = run_nightly(inbox, home=home, as_of=SMALL_NEXT_NIGHT, echo=False)
        return {
            "inbox": inbox,
            "home": home,
            "summary": summary,
            "h1_results": h1_results,
            "project_before": before,
            "project_after": dbt_project_files(),
        }

    return nights.shared_once(tmp_path_factory, "small-next-night", build)


@pytest.fixture(scope="session")
def small_nights_one_by_one(small_night, tmp_path_factory):
    """Two more nights on a copy of the shared small night's home (H1; its dbt logs left out,
    so they are the later nights'), each a run of its own, dbt's file log at debug level
    (DBT_LOG_LEVEL_FILE): SMALL_FAILED_NIGHT, an empty drop folder (the run fails at
    raw__drop and leaves the warehouse as it was), then SMALL_NEXT_NIGHT, the renamed account
    (`renamed_account_drop`) on the parse H1's dbt folder saved. test_backfill (the nights run
    one by one; meta.runs; the run logs) and test_dbt_keeps_parse (the parse is kept). Copy
    its home to change it; never write to it. Built once per session, shared by the workers.
    """
    h1 = small_night["home"]

    def without_dbt_logs(folder: str, names: list[str]) -> list[str]:
        return ["logs"] if Path(folder) == h1 / "dbt" else []

    def build(root: Path) -> dict:
        first = small_night["summary"]
        assert first["status"] == "success", first.get("error")
        home = root / "home"
        shutil.copytree(h1, home, ignore=without_dbt_logs)
        saved_parse = home / "dbt" / "target" / "partial_parse.msgpack"
        saved_mtime = saved_parse.stat().st_mtime_ns
        live = home / "warehouse.duckdb"
        with duckdb.connect(str(live), read_only=True) as con:
            findings = {
                r[0] for r in con.sql("select finding_id from marts.dq_findings").fetchall()
            }
        digest = hashlib.sha256(live.read_bytes()).hexdigest()
        empty = root / "drops" / SMALL_FAILED_NIGHT.isoformat()
        empty.mkdir(parents=True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DBT_LOG_LEVEL_FILE", "debug")
            failed = run_nightly(empty, home=home, as_of=SMALL_FAILED_NIGHT, echo=False)
            assert failed["status"] == "failed"
            unchanged = hashlib.sha256(live.read_bytes()).hexdigest() == digest
            pending = (home / "runs" / failed["run_id"] / "run_record.json").exists()
            inbox = renamed_account_drop(
                small_night["inbox"], root / "drops" / SMALL_NEXT_NIGHT.isoformat()
            )
            third = run_nightly(inbox, home=home, as_of=SMALL_NEXT_NIGHT, echo=False)
            assert third["status"] == "success", third.get("error")
        return {
            "home": home,
            "runs": [first, failed, third],
            "findings_after_first": findings,
            "unchanged_after_failure": unchanged,
            "pending_after_failure": pending,
            "saved_parse": saved_parse,
            "saved_mtime": saved_mtime,
        }

    return nights.shared_once(tmp_path_factory, "small-nights-one-by-one", build)


#: Test files that run whole nightly runs or dbt builds, longest first (the slowest test
#: files that a session prints at its end). The test workers take whole files in collection
#: order (`--dist loadfile` in scripts/test.sh; pytest_configure turns off xdist's own
#: reordering of files by their number of tests), so starting with the longest keeps one
#: worker from running a long file alone at the end while the other idles; the other files
#: follow in their usual order. The first two start the two shared nights
#: (tests/support/nights.py) at once, one on each worker: test_end_to_end the demo night,
#: test_backfill the small night; the other files that read them come later, as do the files
#: that read a shared night another file also reads, after the first of them (which builds
#: it): test_as_of_rebuild after test_end_to_end (`demo_next_night`), test_dbt_keeps_parse
#: after test_dbt_process (`small_next_night`) and test_backfill (`small_nights_one_by_one`),
#: test_lake_night (not listed: it follows) after test_end_to_end (`small_rerun`),
#: test_incremental_period_marts after test_incremental_facts, whose loads it continues.
LONGEST_FIRST = (
    "test_spark_thrift.py",
    "test_spark_night.py",
    "test_end_to_end.py",
    "test_backfill.py",
    "test_incremental_facts.py",
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
    # reads test_end_to_end's next night (`demo_next_night`)
    "test_as_of_rebuild.py",
    # continues from test_incremental_facts' six loads (tests/transform/conftest.py): late
    # enough that the other worker has built them by the time it starts
    "test_incremental_period_marts.py",
    # reads the next nights of test_dbt_process and test_backfill
    "test_dbt_keeps_parse.py",
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
