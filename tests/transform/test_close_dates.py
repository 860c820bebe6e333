"""A won or lost deal belongs to the period of its close *date*, as the CRM shows it.

Real exports (a Salesforce CloseDate) write the close date as ``2023-05-11`` or
``2023-05-11 00:00:00``; read in a business timezone behind UTC it must stay 2023-05-11,
never become the 10th. A deal closed before it was created is loaded and flagged, not
quarantined, and its stage history is not parked. Files are loaded by the real loader into
a real DuckDB warehouse; staging is built by dbt. Every expected figure is computed from
the input rows with plain Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.core.contract import entity
from pipelines.ingest.load import ingest_file
from tests.ingest.support import NOW, csv_bytes, new_warehouse, register_load, write_export
from tests.support.dbt_warehouse import run_dbt

NY = "America/New_York"
SAO_PAULO = "America/Sao_Paulo"

REPS = [
    ["rep_id", "rep_name", "team", "region"],
    ["R1", "Ann", "East", "US"],
]
ACCOUNTS = [
    ["account_id", "account_name", "region", "channel", "owner_rep_id", "created_at"],
    ["A1", "Acme", "US", "direct", "R1", "2022-01-01 10:00:00"],
]
OPP_HEADER = [
    "opportunity_id", "account_id", "owner_rep_id", "name", "created_at", "stage", "amount",
    "currency", "expected_close_date", "closed_at", "close_date", "last_modified_at",
]  # fmt: skip
#: (id, stage, created_at, closed_at, close_date): as a Salesforce export writes them.
DEALS = [
    ("O1", "won", "2023-05-11 15:00:00", "", "2023-05-11"),  # closed the day it was created
    ("O2", "won", "2023-05-01 09:00:00", "", "2023-05-11 00:00:00"),
    ("O3", "won", "2023-05-01 09:00:00", "2023-05-11 00:00:00", ""),  # only a timestamp
    ("O4", "lost", "2023-05-12 10:00:00", "", "2023-05-11"),  # closed before created
    ("O5", "won", "2023-03-01 09:00:00", "", "2023-06-30T00:00:00.000Z"),  # last day of Q2
    ("O6", "won", "2023-03-01 09:00:00", "", "2023-04-01T00:00:00"),  # first day of Q2
    ("O7", "won", "2023-03-01 09:00:00", "2023-03-12 02:30:00", ""),  # DST gap in New York
    ("O8", "proposal", "2023-03-01 09:00:00", "", ""),
]
HISTORY = [
    ["opportunity_id", "stage", "entered_at"],
    ["O4", "discovery", "2023-05-12 10:00:00"],
    ["O4", "lost", "2023-05-12 11:00:00"],
    ["O1", "won", "2023-05-11 16:00:00"],
]


def _opportunities() -> list[list[str]]:
    rows = [OPP_HEADER]
    for opp_id, stage, created, closed_at, close_date in DEALS:
        modified = "2023-12-01 12:00:00"
        rows.append(
            [opp_id, "A1", "R1", f"Deal {opp_id}", created, stage, "1000.00", "USD",
             "2023-12-31", closed_at, close_date, modified]
        )  # fmt: skip
    return rows


def _expected_close_date(closed_at: str, close_date: str) -> date | None:
    """The date the CRM shows: the close date as written, else closed_at's wall-clock date
    (closed_at is written without a zone: wall-clock time in the business timezone)."""
    if close_date:
        return date.fromisoformat(close_date[:10])
    if closed_at:
        return datetime.fromisoformat(closed_at).date()
    return None


def _load(tmp_path: Path, timezone: str, files: dict[str, list[list[str]]]):
    con = new_warehouse(tmp_path / "w.duckdb")
    register_load(con, 1, date(2023, 12, 31))
    results = {}
    for name, rows in files.items():
        path = write_export(tmp_path / "drop", f"{name}.csv", csv_bytes(rows))
        results[name] = ingest_file(
            con, entity(name), path, load_id=1, run_id="run1", timezone=timezone, now=NOW
        )
    return con, results


def test_every_won_deal_keeps_its_close_date_in_a_zone_behind_utc(tmp_path: Path):
    files = {
        "sales_reps": REPS,
        "accounts": ACCOUNTS,
        "opportunities": _opportunities(),
        "opportunity_stage_history": HISTORY,
    }
    con, results = _load(tmp_path, NY, files)
    for name, rows in files.items():
        r = results[name]
        assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (len(rows) - 1, len(rows) - 1, 0)
    assert con.execute("select count(*) from meta.quarantine").fetchone() == (0,)

    findings = con.execute(
        "select record_id, owner_rep_id, rule, column_name from meta.row_findings "
        "where entity = 'opportunities' order by record_id, rule"
    ).fetchall()
    assert findings == [
        ("O4", "R1", "timestamps_out_of_order", "close_date,created_at"),
        ("O7", "R1", "nonexistent_local_time", "closed_at"),
    ]
    gap = con.execute(
        "select message from meta.row_findings where rule = 'nonexistent_local_time'"
    ).fetchone()[0]
    assert "2023-03-12 02:30:00" in gap and "moved forward by the gap" in gap
    con.close()

    run_dbt(
        ["run", "--select", "+fct_sales_performance"],
        db=tmp_path / "w.duckdb",
        tmp=tmp_path,
        as_of="2023-12-31",
        load_id=1,
        vars={"business_timezone": NY},
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    staged = dict(
        con.execute(
            "select opportunity_id, closed_date from staging.stg_crm__opportunities"
        ).fetchall()
    )
    con.close()
    expected = {d[0]: _expected_close_date(d[3], d[4]) for d in DEALS}
    assert staged == expected
    # Won deals per quarter as the CRM counts them, from the input rows.
    won = [_expected_close_date(d[3], d[4]) for d in DEALS if d[1] == "won"]
    quarters = sorted({(d.year, (d.month - 1) // 3 + 1) for d in won})
    by_quarter = {q: sum((d.year, (d.month - 1) // 3 + 1) == q for d in won) for q in quarters}
    staged_won = [staged[d[0]] for d in DEALS if d[1] == "won"]
    assert {
        q: sum((d.year, (d.month - 1) // 3 + 1) == q for d in staged_won) for q in quarters
    } == by_quarter
    # and the marts count them there (not in the quarter of last_modified_at)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    marts = dict(
        con.execute(
            """select period, won from marts.fct_sales_performance
               where period_type = 'quarter' and level = 'company' and won > 0"""
        ).fetchall()
    )
    con.close()
    assert marts == {f"{y}Q{q}": n for (y, q), n in by_quarter.items()}


def test_a_close_date_on_a_day_without_midnight_loads_as_that_date(tmp_path: Path):
    """2017-10-15 in Sao Paulo: the clocks went from 00:00 to 01:00. A date is a date; a
    timestamp written as that midnight is read as 01:00 and flagged."""
    opps = [
        OPP_HEADER,
        ["S1", "A1", "R1", "Deal S1", "2017-10-01 09:00:00", "won", "10.00", "BRL",
         "2017-10-31", "", "2017-10-15", "2017-10-15 09:00:00"],
        ["S2", "A1", "R1", "Deal S2", "2017-10-01 09:00:00", "won", "10.00", "BRL",
         "2017-10-31", "2017-10-15", "", "2017-10-15 09:00:00"],
    ]  # fmt: skip
    con, results = _load(
        tmp_path, SAO_PAULO, {"sales_reps": REPS, "accounts": ACCOUNTS, "opportunities": opps}
    )
    r = results["opportunities"]
    assert (r.rows_loaded, r.rows_quarantined) == (2, 0)
    rows = con.execute(
        "select opportunity_id, close_date, closed_at from raw.opportunities order by 1"
    ).fetchall()
    assert rows[0][:2] == ("S1", date(2017, 10, 15))
    # zoneinfo reads the missing midnight with the offset before the gap (fold=0)
    moved = datetime(2017, 10, 15, tzinfo=ZoneInfo(SAO_PAULO)).astimezone(UTC)
    assert rows[1][0] == "S2" and rows[1][2] == moved
    findings = con.execute("select record_id, rule from meta.row_findings").fetchall()
    assert findings == [("S2", "nonexistent_local_time")]
