"""Implausible dates on a real small warehouse: flagged for their owner, and no period more.

The warehouse of tests/transform/test_dq_rules.py (as_of_date 2026-09-30) is built twice: as it
is, and with hostile rows: a deal created 1900-01-01 and expected to close 9999-12-31, a won deal
closed 9999-12-31, an order dated 2026-10-05 (after the business date), a rep who left before
being hired and an invoice due before it was issued (within the same month). Every mart has
the same row count in both (no period reaches 1900 or 9999), the period spine holds the months
computed here from the input rows, and each implausible date is a finding routed to the record's
owner. (The pairs out of order are the contract's ordered pairs, flagged at ingest as
timestamps_out_of_order: tests/ingest/test_row_rules.py; this warehouse is built without
ingest.)
"""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.core.contract import ENTITIES
from tests.support.dbt_warehouse import PROJECT_DIR, build_warehouse, run_dbt, ts
from tests.transform.test_dq_rules import RAW

AS_OF = "2026-09-30"
INVOICE = dict(
    invoice_id="I1", order_id="O1", issued_at="2026-08-20", due_date="2026-08-31",
    amount="1000", currency="CNY",
)  # fmt: skip
HOSTILE_FINDINGS = 5


def _clean() -> dict[str, list[dict]]:
    return {**copy.deepcopy(RAW), "invoices": [dict(INVOICE)]}


def _local(instant: str) -> str:
    """An instant as the business timezone's clock shows it (1900 in Shanghai: local mean time)."""
    at = dt.datetime.fromisoformat(instant).astimezone(ZoneInfo("Asia/Shanghai"))
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _hostile() -> dict[str, list[dict]]:
    raw = _clean()
    base = dict(account_id="A1", owner_rep_id="R2", currency="CNY", amount="10")
    raw["opportunities"] += [
        dict(
            base,
            opportunity_id="OPX",
            name="placeholder dates",
            created_at=ts("1900-01-01 10:00:00"),
            stage="proposal",
            expected_close_date="9999-12-31",
            last_modified_at=ts("2026-09-01 10:00:00"),
        ),
        dict(
            base,
            opportunity_id="OPY",
            name="closed in 9999",
            created_at=ts("2026-07-01 10:00:00"),
            stage="won",
            close_date="9999-12-31",
            closed_at=ts("9999-12-31 10:00:00"),
            last_modified_at=ts("2026-09-01 10:00:00"),
        ),
    ]
    raw["orders"].append(
        dict(
            order_id="O9",
            account_id="A1",
            rep_id="R3",
            ordered_at=ts("2026-10-05 10:00:00"),
            status="received",
            currency="CNY",
            total_amount="50",
        )
    )
    for rep in raw["sales_reps"]:
        if rep["rep_id"] == "R3":
            rep.update(hired_on="2026-05-01", left_on="2026-01-01")
    raw["invoices"][0]["due_date"] = "2026-08-10"
    return raw


def _build(tmp, raw) -> tuple[dict[str, int], list[tuple], int]:
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in raw.items()},
        loads={1: AS_OF},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(["run"], db=db, tmp=tmp, as_of=AS_OF, load_id=1)
    con = duckdb.connect(str(db))
    try:
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        counts = {m: con.execute(f'select count(*) from marts."{m}"').fetchone()[0] for m in marts}
        findings = con.execute(
            """select rule, entity, record_id, owner_rep_id, column_name, value_seen, severity
               from marts.fct_dq_findings
               where rule in ('date_out_of_range', 'dated_after_business_date')
               order by all"""
        ).fetchall()
        months = con.execute(
            "select count(*) from intermediate.int_periods where period_type = 'month'"
        ).fetchone()[0]
    finally:
        con.close()
    return counts, findings, months


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    clean = _build(tmp_path_factory.mktemp("plausible_clean"), _clean())
    hostile = _build(tmp_path_factory.mktemp("plausible_hostile"), _hostile())
    return clean, hostile


def test_no_mart_grows_with_implausible_dates(built) -> None:
    (clean_counts, _, _), (hostile_counts, _, _) = built
    # the findings marts differ by the hostile values' own findings, every other mart not at all
    findings_marts = {"fct_dq_findings", "dq_findings"}
    for mart in findings_marts:
        assert hostile_counts.pop(mart) == clean_counts.pop(mart) + HOSTILE_FINDINGS
    assert hostile_counts == clean_counts


def test_the_period_spine_runs_from_the_first_plausible_event_to_the_business_date(built):
    # int_periods' event dates: orders, payments, opportunities' and leads' creation
    dates = [
        dt.date.fromisoformat(r[key][:10])
        for table, key in [
            ("orders", "ordered_at"),
            ("payments", "paid_at"),
            ("opportunities", "created_at"),
        ]
        for r in _hostile()[table]
    ]
    as_of = dt.date.fromisoformat(AS_OF)
    first = min(d for d in dates if dt.date(1950, 1, 1) <= d <= as_of)
    expected = (as_of.year - first.year) * 12 + as_of.month - first.month + 1
    _, (_, _, months) = built
    assert months == expected == 3


def test_each_implausible_value_is_a_warning_for_the_records_owner(built) -> None:
    _, (_, findings, _) = built
    warn = "warn"
    assert len(findings) == HOSTILE_FINDINGS
    assert findings == sorted(
        [
            ("date_out_of_range", "opportunities", "OPX", "R2", "created_at",
             _local(ts("1900-01-01 10:00:00")), warn),
            ("date_out_of_range", "opportunities", "OPX", "R2", "expected_close_date",
             "9999-12-31", warn),
            ("date_out_of_range", "opportunities", "OPY", "R2", "close_date", "9999-12-31", warn),
            ("date_out_of_range", "opportunities", "OPY", "R2", "closed_at",
             "9999-12-31 10:00:00", warn),
            ("dated_after_business_date", "orders", "O9", "R3", "ordered_at",
             "2026-10-05 10:00:00", warn),
        ]
    )  # fmt: skip


def test_every_date_column_of_the_contract_is_judged() -> None:
    """macros/plausible_dates.sql lists the contract's date and timestamp columns: the same."""
    text = (PROJECT_DIR / "macros" / "plausible_dates.sql").read_text(encoding="utf-8")
    macro = text[text.index("macro contract_dated_columns") :]
    macro = macro[: macro.index("endmacro")]
    for entity in ENTITIES:
        for column in entity.columns:
            if column.type in ("date", "timestamp"):
                assert f"('{column.name}', '{column.type}'," in macro, (entity.name, column.name)
