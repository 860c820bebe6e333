"""meta.runs bookkeeping: pending rows of failed runs are folded in once, and listed meanwhile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb

from pipelines.warehouse.runs import RunRecord, fold_pending, insert, last_runs, write_pending
from pipelines.warehouse.schema import ensure_schema

T0 = datetime(2026, 10, 2, 18, 0, tzinfo=UTC)


def record(run_id: str, minutes: int, status: str = "failed") -> RunRecord:
    return RunRecord(
        run_id=run_id,
        business_date=date(2026, 10, 1),
        status=status,
        started_at=T0 + timedelta(minutes=minutes),
        finished_at=T0 + timedelta(minutes=minutes, seconds=90),
        step_seconds={"raw__drop": 1.5},
        failed_step="raw__drop" if status == "failed" else None,
        error="the inbox folder /x does not exist\n  Fix: point --inbox at it"
        if status == "failed"
        else None,
    )


def test_pending_rows_are_listed_then_folded_in_once(tmp_path):
    home = tmp_path
    warehouse = home / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schema(con)
    insert(con, record("ok-1", 0, "succeeded"))
    con.close()
    write_pending(home, record("bad-2", 10))
    write_pending(home, record("bad-3", 20))
    (home / "runs" / "killed").mkdir()
    (home / "runs" / "killed" / "run_record.json").write_text('{"run_id": "kil')  # half-written

    listed = last_runs(home, warehouse)
    assert [(r.run_id, r.pending) for r in listed] == [
        ("bad-3", True),
        ("bad-2", True),
        ("ok-1", False),
    ]
    assert listed[0].seconds == 90.0 and listed[0].step_seconds == {"raw__drop": 1.5}

    con = duckdb.connect(str(warehouse))
    assert fold_pending(con, home) == 2
    assert fold_pending(con, home) == 0  # already there: nothing twice
    rows = con.execute(
        "select run_id, status, failed_step, seconds, started_at from meta.runs order by run_id"
    ).fetchall()
    con.close()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("bad-2", "failed", "raw__drop", 90.0),
        ("bad-3", "failed", "raw__drop", 90.0),
        ("ok-1", "succeeded", None, 90.0),
    ]
    assert rows[0][4] == T0 + timedelta(minutes=10)
    assert [r.pending for r in last_runs(home, warehouse)] == [False, False, False]
    assert [r.run_id for r in last_runs(home, warehouse, limit=2)] == ["bad-3", "bad-2"]
