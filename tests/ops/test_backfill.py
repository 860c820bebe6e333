"""`salesops backfill`, meta.runs and the structured run logs, on demo nights.

Nights (business dates): 09-28 a full small demo drop (that of the shared small night,
tests/conftest.py); 09-29 no drop; 09-30 one account renamed;
10-01 an empty folder (the export job made the folder but wrote nothing: the run fails);
10-02 a drop never reached because the backfill stopped. The same nights are also run one
by one with `salesops run`'s function, with the failing night in between (the shared
`small_nights_one_by_one` of tests/conftest.py, which test_dbt_keeps_parse also reads).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract import ENTITIES
from tests.conftest import SMALL_FAILED_NIGHT, SMALL_NEXT_NIGHT, SMALL_NIGHT
from tests.support import oracle

pytestmark = pytest.mark.e2e

D1, NO_DROP, D3, EMPTY, NEVER = (SMALL_NIGHT + timedelta(days=n) for n in range(5))
assert (D3, EMPTY) == (SMALL_NEXT_NIGHT, SMALL_FAILED_NIGHT)  # the shared nights' dates


@pytest.fixture(scope="module")
def drops(small_night, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("drops")
    first = root / D1.isoformat()
    shutil.copytree(small_night["inbox"], first)  # the shared small night's drop
    renamed = root / D3.isoformat()
    renamed.mkdir()
    header, row = (first / "accounts.csv").read_text(encoding="utf-8").splitlines()[:2]
    account_id, old_name = row.split(",")[:2]
    (renamed / "accounts.csv").write_text(
        f"{header}\n{row.replace(old_name, 'Renamed Co.', 1)}\n", encoding="utf-8"
    )
    (root / EMPTY.isoformat()).mkdir()
    shutil.copytree(renamed, root / NEVER.isoformat())
    return root


@pytest.fixture(scope="module")
def backfilled(drops, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("backfill") / "home"
    args = ["backfill", "--from", str(D1), "--to", str(NEVER), "--inbox", str(drops)]
    result = CliRunner().invoke(main, [*args, "--home", str(home)])
    return {"home": home, "exit_code": result.exit_code, "output": result.output}


@pytest.fixture(scope="module")
def one_by_one(small_nights_one_by_one) -> dict:
    """09-28, then the failing 10-01, then 09-30, each a run of its own: the shared small
    night (tests/conftest.py) of the same drop into an empty home, and the two nights of
    `small_nights_one_by_one` on a copy of its home."""
    return small_nights_one_by_one


def marts(home: Path) -> dict[str, list]:
    """Every marts.* table, all rows, in a fixed order."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
        return {t: con.sql(f"select * from marts.{t} order by all").fetchall() for t in tables}
    finally:
        con.close()


def test_backfill_loads_in_date_order_skips_missing_and_stops_at_the_failure(backfilled, drops):
    out = backfilled["output"]
    assert backfilled["exit_code"] == 1, out
    assert "4 drop(s) to load, 1 date(s) without a drop" in out
    assert f"[1/5] {D1}: loading {drops / D1.isoformat()}" in out
    assert f"[2/5] {NO_DROP}: no drop folder {drops / NO_DROP.isoformat()}; skipped" in out
    assert f"[4/5] {EMPTY}: FAILED at raw__drop" in out
    assert "no export files found" in out
    assert f"[5/5] {NEVER}" not in out
    assert f"backfill stopped at {EMPTY}. Loaded: {D1}, {D3}. Not attempted: {NEVER}." in out
    home = backfilled["home"]
    assert f"salesops backfill --from {EMPTY} --to {NEVER} --inbox {drops} --home {home}" in out
    # one load per loaded date, in date order
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    loads = con.sql("select as_of_date from meta.loads order by load_id").fetchall()
    assert [d for (d,) in loads] == [D1, D3]


def test_marts_after_a_backfill_equal_the_nights_run_one_by_one(backfilled, one_by_one):
    after_backfill, after_nights = marts(backfilled["home"]), marts(one_by_one["home"])
    assert {"dq_findings", "fct_sales_performance", "dim_accounts"} <= set(after_nights)
    assert all(after_nights.values()), "every mart holds rows"
    assert after_backfill.keys() == after_nights.keys()
    for table, rows in after_nights.items():
        assert after_backfill[table] == rows, table


def test_a_backfill_refuses_reversed_or_unfinished_dates(tmp_path):
    runner = CliRunner()
    (tmp_path / "drops").mkdir()
    common = ["--inbox", str(tmp_path / "drops"), "--home", str(tmp_path / "home")]
    reversed_ = runner.invoke(
        main, ["backfill", "--from", "2026-10-02", "--to", "2026-10-01", *common]
    )
    assert reversed_.exit_code == 1 and "is after --to" in str(reversed_.exception)
    future = runner.invoke(
        main, ["backfill", "--from", "2026-10-01", "--to", "2099-01-01", *common]
    )
    assert future.exit_code == 1 and "2099-01-01 is not over yet" in str(future.exception)


def runs_table(home: Path) -> list[dict]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    cur = con.execute("select * from meta.runs order by started_at")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    con.close()
    return rows


def test_the_runs_table_records_succeeded_and_failed_runs(one_by_one, drops):
    first, failed, third = one_by_one["runs"]
    # a failed run leaves the warehouse as it was; its row waits beside it
    assert one_by_one["unchanged_after_failure"] and one_by_one["pending_after_failure"]
    rows = runs_table(one_by_one["home"])
    assert [(r["run_id"], r["status"], r["business_date"]) for r in rows] == [
        (first["run_id"], "succeeded", D1),
        (failed["run_id"], "failed", EMPTY),
        (third["run_id"], "succeeded", D3),
    ]
    for r in rows:
        assert r["started_at"].tzinfo is not None and r["finished_at"] >= r["started_at"]
        steps = json.loads(r["step_seconds"])
        assert "raw__drop" in steps and all(s >= 0 for s in steps.values())

    ok = rows[0]
    entities = {e["entity"]: e for e in json.loads(ok["entities"])}
    folder = drops / D1.isoformat()
    csvs = {p.stem: p for p in folder.glob("*.csv")}
    assert set(entities) == set(csvs)
    con = duckdb.connect(str(one_by_one["home"] / "warehouse.duckdb"), read_only=True)
    for name, path in csvs.items():
        quarantined = con.execute(
            "select count(distinct source_row) from meta.quarantine "
            "where load_id = 1 and entity = ?",
            [name],
        ).fetchall()[0][0]
        assert entities[name]["rows_in"] == oracle.csv_row_count(path), name
        assert entities[name]["rows_quarantined"] == quarantined, name
        assert entities[name]["rows_loaded"] == entities[name]["rows_in"] - quarantined, name
    assert {"salesops_dbt_assets", *(f"raw__{e.name}" for e in ENTITIES)} <= set(
        json.loads(ok["step_seconds"])
    )
    # every finding of the first night is new; the third night's new ones were not there before
    open_now = {
        r[0] for r in con.sql("select finding_id from marts.dq_findings where is_open").fetchall()
    }
    con.close()
    assert ok["findings_open"] == ok["findings_new"] > 0
    last = rows[2]
    assert last["findings_open"] == len(open_now)
    assert last["findings_new"] == len(open_now - one_by_one["findings_after_first"])
    assert last["load_id"] == 2 and ok["load_id"] == 1
    assert {e["entity"]: e["rows_in"] for e in json.loads(last["entities"])} == {"accounts": 1}

    bad = rows[1]
    assert bad["failed_step"] == "raw__drop" and "no export files found" in bad["error"]
    assert bad["load_id"] is None and bad["findings_open"] is None
    assert json.loads(bad["entities"]) == []


def test_status_lists_the_runs_from_the_runs_table(one_by_one, backfilled):
    out = CliRunner().invoke(main, ["status", "--home", str(one_by_one["home"])]).output
    first, failed, third = one_by_one["runs"]
    lines = out.splitlines()
    at = lines.index("last 3 run(s), newest first (meta.runs):")
    assert third["run_id"] in lines[at + 1] and "succeeded" in lines[at + 1]
    assert f"business date {D3}" in lines[at + 1] and "1 rows in" in lines[at + 1]
    assert (
        failed["run_id"] in lines[at + 2]
        and "failed at raw__drop: no export files" in lines[at + 2]
    )
    assert first["run_id"] in lines[at + 3]
    # the backfill's failed night is not in its meta.runs yet, and status says so
    out = CliRunner().invoke(main, ["status", "--home", str(backfilled["home"])]).output
    assert "not in meta.runs yet" in out


def read_log(home: Path, as_of: date, run_id: str) -> list[dict]:
    path = home / "logs" / f"{as_of.isoformat()}_{run_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_run_writes_a_json_lines_log_with_its_steps(one_by_one, drops):
    first, failed, _ = one_by_one["runs"]
    records = read_log(one_by_one["home"], D1, first["run_id"])
    for r in records:
        assert set(r) == {"ts", "level", "run_id", "step", "event", "fields"}
        assert r["run_id"] == first["run_id"] and r["level"] in {"info", "warning", "error"}
        # the business timezone (Asia/Shanghai, UTC+8) by hand
        assert datetime.fromisoformat(r["ts"]).utcoffset() == timedelta(hours=8)
    events = [r["event"] for r in records]
    assert events[0] == "run_started" and events[-1] == "run_finished"
    assert records[-1]["fields"]["status"] == "succeeded"
    loaded = {r["fields"]["entity"]: r["fields"] for r in records if r["event"] == "entity_loaded"}
    for path in (drops / D1.isoformat()).glob("*.csv"):
        assert loaded[path.stem]["rows_in"] == oracle.csv_row_count(path)
    finished = {r["step"] for r in records if r["event"] == "step_finished"}
    assert {"raw__drop", "salesops_dbt_assets", *(f"raw__{e.name}" for e in ENTITIES)} <= finished
    assert "dbt_built" in events and "published" in events
    # the human progress lines are there too
    assert any(r["event"] == "progress" and r["step"] == "dbt" for r in records)

    bad = read_log(one_by_one["home"], EMPTY, failed["run_id"])
    assert [r["event"] for r in bad if r["level"] == "error"] == ["run_failed", "run_finished"]
    (failure,) = [r for r in bad if r["event"] == "run_failed"]
    assert failure["step"] == "raw__drop" and "no export files found" in failure["fields"]["error"]
