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
Load 10 (2026-07-10): a lead L1 (06-05, R2, converted 07-12: not yet converted), an open
  opportunity OP1 (R1, created 06-08: attributed at the as_of_date) and an activity AC5 dated
  2026-03-20, before the spine's first month (April): it counts for the year only.
Load 11 (2026-07-12): a cancelled order O9 dated 2026-03-10 (no event, but the spine now starts
  in March: AC5 gains March and the first quarter); OP1 won on 07-11; L1's conversion on 07-12
  enters the as_of cut.
Load 12 (2026-07-14): R2 moves to North D in a new sales_reps version and a hierarchy file
  row from 2026-03-01 (AC5 with it); L1 and O9 deleted (the spine starts in April again: AC5
  loses March and the first quarter).

After each load one copy of the warehouse runs `dbt run` incrementally and a second copy of the
same state runs it with --full-refresh; the period mart and the event fan-out it reads
(int_sales_event_scopes, incremental per event) must come out identical row by row, every
published column (their bookkeeping columns processed_* aside). Loads 1 to 6 are
test_incremental_facts' own nights (the session's `fact_loads`, tests/transform/conftest.py),
whose check covers every intermediate and mart relation, these three included; loads 7 to 12
continue from a copy of the warehouse after load 6.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.dbt_warehouse import add_night, relation_rows, run_dbt, ts
from tests.transform.test_incremental_facts import LAST_LOAD as LAST_FACT_LOAD
from tests.transform.test_incremental_facts import LOADS as FACT_LOADS
from tests.transform.test_incremental_facts import _checkpoint, _copy, activity, order, payment, rep

MART = "intermediate.int_sales_performance"
EVENT_SCOPES = "intermediate.int_sales_event_scopes"

LEAD_L1 = dict(
    lead_id="L1",
    created_at=ts("2026-06-05 10:00:00"),
    source="web",
    owner_rep_id="R2",
    company_name="Gamma",
    status="working",
    converted_at=ts("2026-07-12 09:00:00"),
)
OPPORTUNITY_OP1 = dict(
    opportunity_id="OP1",
    account_id="A1",
    owner_rep_id="R1",
    name="Acme renewal",
    created_at=ts("2026-06-08 10:00:00"),
    stage="proposal",
    amount="500",
    currency="CNY",
    expected_close_date="2026-07-20",
    last_modified_at=ts("2026-06-08 10:00:00"),
)
ORDER_O9 = order("O9", "A1", "R1", "10", "CNY", "70", status="cancelled", month="03")

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
    10: (
        "2026-07-10",
        {
            "leads": [LEAD_L1],
            "opportunities": [OPPORTUNITY_OP1],
            "activities": [activity("AC5", "R2", "A2", "call", "03-20")],
        },
    ),
    11: (
        "2026-07-12",
        {
            "orders": [ORDER_O9],
            "opportunities": [
                {
                    **OPPORTUNITY_OP1,
                    "stage": "won",
                    "closed_at": ts("2026-07-11 10:00:00"),
                    "last_modified_at": ts("2026-07-11 10:00:00"),
                }
            ],
        },
    ),
    12: (
        "2026-07-14",
        {
            "sales_reps": [rep("R2", "North D", "North")],
            "rep_assignments": [
                dict(
                    rep_id="R2",
                    team="North D",
                    region="North",
                    effective_from=dt.date(2026, 3, 1),
                )
            ],
            "leads": [{**LEAD_L1, "_deleted": True}],
            "orders": [{**ORDER_O9, "_deleted": True}],
        },
    ),
}
AS_OF = {load_id: "2026-07-04" for load_id in FACT_LOADS} | {
    7: "2026-07-06",
    8: "2026-07-08",
    9: "2026-07-09",
    10: "2026-07-10",
    11: "2026-07-12",
    12: "2026-07-14",
}


def _load(db: Path, load_id: int) -> None:
    add_night(db, load_id, *LOADS[load_id], month=7)


def _dbt(args: list[str], db: Path, load_id: int) -> None:
    run_dbt(args, db=db, tmp=db.parent, as_of=AS_OF[load_id], load_id=load_id)


SELECT = ["--select", "+int_sales_performance", "fct_sales_performance"]


@pytest.fixture(scope="module")
def nights(
    fact_loads: dict[int, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[int, Path]:
    """After each load: the incrementally updated warehouse, checked against a full rebuild
    (loads 1 to 6: `fact_loads`, read only)."""
    root = tmp_path_factory.mktemp("periods")
    db = _copy(fact_loads[LAST_FACT_LOAD], root / "inc")
    kept = dict(fact_loads)
    for load_id in LOADS:
        if load_id in FACT_LOADS:
            continue
        _load(db, load_id)
        _checkpoint(db)
        full = _copy(db, root / f"full{load_id}")
        _dbt(["run", *SELECT], db, load_id)
        _dbt(["run", "--full-refresh", *SELECT], full, load_id)
        _checkpoint(db)
        _checkpoint(full)
        for relation in (MART, EVENT_SCOPES, "marts.fct_sales_performance"):
            assert relation_rows(db, relation) == relation_rows(full, relation), (
                f"load {load_id}: {relation}"
            )
        kept[load_id] = _copy(db, root / f"after{load_id}")
    return kept


def _figure(db: Path, column: str, period: str, level: str, scope: str):
    con = duckdb.connect(str(db), read_only=True)
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
    con = duckdb.connect(str(nights[9]), read_only=True)
    stamps = dict(
        con.execute(f"select period, max(processed_load_id) from {MART} group by period").fetchall()
    )
    con.close()
    assert stamps["2026-07"] == 9
    assert stamps["2026-04"] < 9 and stamps["2026-05"] < 9 and stamps["2026-06"] < 9


def _event_periods(db: Path, event_type: str, event_id: str) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        f"select distinct period from {EVENT_SCOPES} where event_type = ? and event_id = ?",
        [event_type, event_id],
    ).fetchall()
    con.close()
    return {period for (period,) in rows}


def _events_stamped(db: Path, load_id: int) -> set[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        f"select distinct event_type, event_id from {EVENT_SCOPES} where processed_load_id = ?",
        [load_id],
    ).fetchall()
    con.close()
    return set(rows)


def test_an_incremental_night_rewrites_only_the_events_it_changed(
    nights: dict[int, Path],
) -> None:
    """Load 9 moved only the as_of_date, past no event: no event is rewritten. Load 10 added
    L1, OP1 and AC5: only their rows are rewritten."""
    assert _events_stamped(nights[9], 9) == set()
    assert _events_stamped(nights[10], 10) == {
        ("lead_created", "L1"),
        ("opportunity_created", "OP1"),
        ("activity", "AC5"),
    }


def test_a_moved_spine_start_refans_the_events_before_it(nights: dict[int, Path]) -> None:
    """AC5 (2026-03-20) lies before the first spine month (April) after load 10: the fiscal
    year only. The cancelled O9 (03-10, no event of its own) starts the spine in March in load
    11; its deletion in load 12 starts it in April again."""
    assert _event_periods(nights[10], "activity", "AC5") == {"2026"}
    assert _event_periods(nights[11], "activity", "AC5") == {"2026-03", "2026Q1", "2026"}
    assert _event_periods(nights[12], "activity", "AC5") == {"2026"}


def test_attribution_and_the_as_of_cut_move_events(nights: dict[int, Path]) -> None:
    """L1 (R2's) converts on 07-12: not converted as of 07-10, converted as of 07-12; its
    deletion removes it. OP1's win counts for July, Q3 and 2026 at four levels. R2's hierarchy
    row (North D from 03-01) moves AC5 to team North D."""
    con = duckdb.connect(str(nights[10]), read_only=True)
    lead = "select is_converted from " + EVENT_SCOPES + " where event_id = 'L1' and level = 'rep'"
    assert {c for (c,) in con.execute(lead).fetchall()} == {False}
    con.close()
    con = duckdb.connect(str(nights[11]), read_only=True)
    assert {c for (c,) in con.execute(lead).fetchall()} == {True}
    assert con.execute(
        f"select count(*) from {EVENT_SCOPES} where event_type = 'opportunity_won' "
        "and event_id = 'OP1'"
    ).fetchone() == (12,)
    con.close()
    assert _event_periods(nights[12], "lead_created", "L1") == set()
    team = f"select distinct team from {EVENT_SCOPES} where event_id = 'AC5'"
    con = duckdb.connect(str(nights[11]), read_only=True)
    assert con.execute(team).fetchall() == [("North A",)]
    con.close()
    con = duckdb.connect(str(nights[12]), read_only=True)
    assert con.execute(team).fetchall() == [("North D",)]
    con.close()
