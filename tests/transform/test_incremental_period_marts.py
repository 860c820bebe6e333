"""The incremental period marts (int_sales_performance, published as fct_sales_performance)
against full rebuilds, night after night.

The six loads of tests/transform/test_incremental_facts.py (new and changed orders, a rep move,
a deletion, late and corrected fx quotes, a cancelled order, a relinked invoice, a backfilled
older sales_reps drop, line and activity changes) are followed by nights that move records
across periods:

Load 7 (2026-07-06): O2 re-dated from June to 2026-07-01 (June and Q2 lose it, July and Q3
  gain it: 120 USD at 7.20 = 864.00); a late payment P8 for O3 dated 2026-04-30 (April,
  re-opening an old period; the period spine now starts in April, so AC4 (05-03), an
  activity, now counts in May);
  a revenue target for R1 in 2026-07; activity AC3 re-dated to 2026-07-05.
Load 8 (2026-07-08): a hierarchy file row puts R1 in East C from 2026-06-01 (AC1 on 06-10 and
  R1's June rows move to team East C); P7 deleted; the target changed.
Load 9 (2026-07-09, as_of_date one day later): nothing new; the as_of cut moves.

After each load one copy of the warehouse runs `dbt run` incrementally and a second copy of the
same state runs it with --full-refresh; the period mart must come out identical row by row,
every published column (its bookkeeping columns processed_* aside).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, hash_by_load_and_row, run_dbt
from tests.transform.test_incremental_facts import LOADS as FACT_LOADS
from tests.transform.test_incremental_facts import _copy, activity, order, payment

MART = "intermediate.int_sales_performance"
BOOKKEEPING = ("processed_load_id", "processed_as_of_date", "processed_spine_from")

LOADS: dict[int, tuple[str, dict[str, list[dict]]]] = {
    **FACT_LOADS,
    7: (
        "2026-07-06",
        {
            "orders": [order("O2", "A1", "R1", "01", "USD", "120", month="07")],
            "payments": [payment("P8", "O3", None, "30", "CNY", "90", month="04")],
            "targets": [
                dict(
                    period="2026-07",
                    level="rep",
                    scope_id="R1",
                    metric="revenue",
                    target_value=Decimal("1000"),
                )
            ],
            "activities": [activity("AC3", "R1", "A2", "email", "07-05")],
        },
    ),
    8: (
        "2026-07-08",
        {
            "rep_assignments": [
                dict(
                    rep_id="R1",
                    team="East C",
                    region="East",
                    effective_from=dt.date(2026, 6, 1),
                )
            ],
            "payments": [
                {**payment("P7", "O7", None, "04", "CNY", "400", month="07"), "_deleted": True}
            ],
            "targets": [
                dict(
                    period="2026-07",
                    level="rep",
                    scope_id="R1",
                    metric="revenue",
                    target_value=Decimal("1500"),
                )
            ],
        },
    ),
    9: ("2026-07-09", {}),
}
AS_OF = {load_id: "2026-07-04" for load_id in FACT_LOADS} | {
    7: "2026-07-06",
    8: "2026-07-08",
    9: "2026-07-09",
}


def _load(db: Path, load_id: int) -> None:
    day, tables = LOADS[load_id]
    build_warehouse(
        db,
        {table: [(load_id, row) for row in rows] for table, rows in tables.items()},
        loads={load_id: day},
        loaded_at=dt.datetime(2026, 7, load_id, tzinfo=dt.UTC),
        row_hash=hash_by_load_and_row,
        status="complete",
    )


_MANIFEST: list = []


def _dbt(args: list[str], db: Path, load_id: int) -> None:
    def invoke(command: list[str], manifest: object | None = None):
        return run_dbt(
            command, db=db, tmp=db.parent, as_of=AS_OF[load_id], load_id=load_id, manifest=manifest
        )

    if not _MANIFEST:
        _MANIFEST.append(invoke(["parse"]).result)
    invoke(args, _MANIFEST[0])


SELECT = ["--select", "+int_sales_performance", "fct_sales_performance"]


def _rows(db: Path, relation: str = MART) -> list[tuple]:
    con = duckdb.connect(str(db))
    columns = [
        c
        for (c,) in con.execute(
            f"select column_name from information_schema.columns "
            f"where table_schema || '.' || table_name = '{relation}' order by ordinal_position"
        ).fetchall()
        if c not in BOOKKEEPING
    ]
    rows = con.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    con.close()
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """After each load: the incrementally updated warehouse, checked against a full rebuild."""
    root = tmp_path_factory.mktemp("periods")
    db = root / "inc" / "warehouse.duckdb"
    db.parent.mkdir()
    kept = {}
    for load_id in LOADS:
        if LOADS[load_id][1] or load_id not in FACT_LOADS:
            _load(db, load_id)
        full = _copy(db, root / f"full{load_id}")
        _dbt(["run", *SELECT], db, load_id)
        _dbt(["run", "--full-refresh", *SELECT], full, load_id)
        assert _rows(db) == _rows(full), f"load {load_id}"
        assert _rows(db, "marts.fct_sales_performance") == _rows(
            full, "marts.fct_sales_performance"
        ), f"load {load_id}"
        kept[load_id] = _copy(db, root / f"after{load_id}")
    return kept


def _figure(db: Path, column: str, period: str, level: str, scope: str):
    con = duckdb.connect(str(db))
    row = con.execute(
        f"select {column} from {MART} where period = ? and level = ? and scope_id = ?",
        [period, level, scope],
    ).fetchone()
    con.close()
    return None if row is None else row[0]


def test_every_night_equals_a_full_rebuild(nights: dict[int, Path]) -> None:
    assert sorted(nights) == sorted(LOADS)


def test_a_re_dated_order_leaves_its_old_month(nights: dict[int, Path]) -> None:
    """O2 (120 USD, R1) moved from June (7.00: 840.00) to 07-01 (7.20: 864.00) in load 7; R1's
    other orders are cancelled (O5) or deleted (O1)."""
    assert _figure(nights[6], "revenue", "2026-06", "rep", "R1") == Decimal("840.00")
    assert _figure(nights[6], "revenue", "2026-07", "rep", "R1") is None
    assert _figure(nights[7], "revenue", "2026-06", "rep", "R1") == Decimal("0.00")
    assert _figure(nights[7], "revenue", "2026-07", "rep", "R1") == Decimal("864.00")


def test_a_late_payment_reopens_an_old_period(nights: dict[int, Path]) -> None:
    assert _figure(nights[6], "collections", "2026-04", "company", "all") is None
    assert _figure(nights[7], "collections", "2026-04", "company", "all") == Decimal("90.00")


def test_a_hierarchy_row_moves_the_activities_of_the_period(nights: dict[int, Path]) -> None:
    """AC1 (06-10, R1) counts for East A until load 8 puts R1 in East C from 06-01; the
    changed target replaces the old one."""
    assert _figure(nights[7], "orders", "2026-06", "team", "East C") is None
    assert _figure(nights[8], "orders", "2026-06", "team", "East C") is not None
    assert _figure(nights[7], "revenue_target", "2026-07", "rep", "R1") == Decimal("1000")
    assert _figure(nights[8], "revenue_target", "2026-07", "rep", "R1") == Decimal("1500")


def test_an_incremental_night_recomputes_only_touched_periods(nights: dict[int, Path]) -> None:
    """Load 9 changed nothing but the as_of_date (07-08 -> 07-09): only the periods containing
    07-09 (July, Q3, 2026) can be rewritten; earlier periods keep their stamp."""
    con = duckdb.connect(str(nights[9]))
    stamps = dict(
        con.execute(f"select period, max(processed_load_id) from {MART} group by period").fetchall()
    )
    con.close()
    assert stamps["2026-07"] == 9
    assert stamps["2026-04"] < 9 and stamps["2026-05"] < 9 and stamps["2026-06"] < 9
