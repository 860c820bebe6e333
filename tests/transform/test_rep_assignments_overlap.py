"""Overlapping rows of the hierarchy file (rep_assignments) are flagged, built for real.

Two drops load the file: the first gives R1 East A from 2025-10-01 to 2026-06-01 (exclusive)
and R2 two rows that follow each other; the second adds R1 West B from 2026-05-15, so May 15-31
belong to two teams, and R3 two rows without effective_to (the first ends at the second).
The overlaps are recomputed here in plain Python from the rows; the hand-worked unit test of
the rule runs on the same build.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt

AS_OF = "2026-09-30"
LOADS = {1: "2026-08-12", 2: AS_OF}
ASSIGNMENTS = [  # load, rep, team, effective_from, effective_to (exclusive)
    (1, "R1", "East A", "2025-10-01", "2026-06-01"),
    (1, "R2", "East A", "2025-10-01", "2026-03-01"),
    (1, "R2", "West B", "2026-03-01", None),
    (2, "R1", "West B", "2026-05-15", None),
    (2, "R3", "East A", "2026-01-01", None),
    (2, "R3", "West B", "2026-04-01", None),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("rep_assignments_overlap")
    path = tmp / "warehouse.duckdb"
    raw = {
        "sales_reps": [
            (1, dict(rep_id=r, rep_name=f"Rep {r}", team="East A", region="East", role="rep"))
            for r in ("R1", "R2", "R3")
        ],
        "rep_assignments": [
            (load, dict(rep_id=r, team=t, region="East", effective_from=f, effective_to=to))
            for load, r, t, f, to in ASSIGNMENTS
        ],
    }
    build_warehouse(
        path, raw, loads=LOADS, loaded_at=dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC)
    )
    run_dbt(
        ["run", "--select", "+int_dq_checks_ordering", "+int_dq_records"],
        db=path,
        tmp=tmp,
        as_of=AS_OF,
        load_id=2,
    )
    return path


def _expected() -> set[str]:
    """The record ids (rep|effective_from) of the rows whose period shares a day with another
    row of the same rep; a row without effective_to ends at the rep's next row."""
    rows = sorted((r, dt.date.fromisoformat(f), to) for _, r, _, f, to in ASSIGNMENTS)
    periods = []
    for i, (rep, start, to) in enumerate(rows):
        nxt = [s for r, s, _ in rows[i + 1 :] if r == rep]
        end = dt.date.fromisoformat(to) if to else (nxt[0] if nxt else dt.date.max)
        periods.append((rep, start, end))
    return {
        f"{rep}|{start}"
        for rep, start, end in periods
        for other, o_start, o_end in periods
        if other == rep and o_start != start and start < o_end and o_start < end
    }


def test_overlapping_rows_of_a_rep_are_flagged_and_nothing_else(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        got = con.execute(
            """select record_id, owner_rep_id, value_seen from intermediate.int_dq_checks_ordering
               where rule = 'rep_assignments_overlap' order by record_id"""
        ).fetchall()
    assert {r for r, _, _ in got} == _expected() == {"R1|2025-10-01", "R1|2026-05-15"}
    assert got == [
        ("R1|2025-10-01", "R1", "overlaps 2026-05-15 to open"),
        ("R1|2026-05-15", "R1", "overlaps 2025-10-01 to 2026-06-01"),
    ]


def test_a_flagged_row_is_named_by_its_rep_and_start(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        named = con.execute(
            """select record_id, record_name, owner_rep_id from intermediate.int_dq_records
               where entity = 'rep_assignments' and record_id like 'R1|%' order by record_id"""
        ).fetchall()
    assert named == [
        ("R1|2025-10-01", "Rep R1 from 2025-10-01", "R1"),
        ("R1|2026-05-15", "Rep R1 from 2026-05-15", "R1"),
    ]


def test_the_overlap_unit_test_passes(db: Path) -> None:
    result = run_dbt(
        ["test", "--select", "int_dq_checks_ordering", "--resource-type", "unit_test"],
        db=db,
        tmp=db.parent,
        as_of=AS_OF,
        load_id=2,
    )
    assert "int_dq_checks_rep_assignments_overlap" in {r.node.name for r in result.result}
