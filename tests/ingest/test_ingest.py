"""Ingest rules on a real DuckDB file: accounting, quarantine, supersede, parking, idempotence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from pipelines.core.contract import ENTITIES, entity
from pipelines.ingest.checks.suites import build_suite, read_suite
from pipelines.ingest.load import ingest_file, release_parked
from pipelines.ingest.profiles.loader import load_profile
from pipelines.ingest.values.parse import ROW_INDEX, normalise_text, parse_frame
from tests.ingest.support import NOW, TZ, load_file, new_warehouse, write_export

REPS = (
    "rep_id,rep_name,email,team,region,manager_id,role,hired_on,left_on\n"
    "R1,张伟,zw@example.cn,华东一组,华东,,manager,2024-01-01,\n"
    "R2,Li Na,ln@example.cn,华东一组,华东,R1,rep,2024-02-01,\n"
)

ACCOUNT_HEADER = (
    "account_id,account_name,industry,size_band,region,channel,owner_rep_id,"
    "created_at,phone,email\n"
)
ACCOUNT_A1 = (
    "A1,上海华锐科技有限公司,IT,large,华东,direct,R1,2025-01-01 10:00:00,13800138000,a@b.cn\n"
)


def test_parse_reads_zones_and_reports_unreadable_cells():
    e = entity("payments")
    text = (
        pl.DataFrame(
            {
                "payment_id": ["P1", "P2", "P3"],
                "order_id": ["O1", "O1", "O1"],
                "invoice_id": [None, None, None],
                # local Shanghai time, explicit +08:00, UTC 'Z' -> same instant 2025-03-04 01:15 UTC
                "paid_at": [
                    "2025-03-04 09:15:00",
                    "2025-03-04T09:15:00+08:00",
                    "2025-03-04T01:15:00Z",
                ],
                "amount": ["100.50", "1,000.00", "7 apples"],
                "currency": ["CNY", "CNY", "USD"],
                "method": [None, None, None],
                "reference": [None, None, None],
            }
        )
        .with_row_index(ROW_INDEX, offset=2)
        .with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    )
    typed, failures = parse_frame(normalise_text(text), e, TZ)
    instant = datetime(2025, 3, 4, 1, 15, tzinfo=UTC)
    assert [t.astimezone(UTC) for t in typed["paid_at"]] == [instant] * 3
    assert typed["amount"].to_list() == [Decimal("100.5"), Decimal("1000"), None]
    assert [(f.row_index, f.column, f.value) for f in failures] == [(4, "amount", "7 apples")]


def test_rows_are_accounted_for_and_quarantined_with_reasons(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", REPS), 1)
    accounts = write_export(
        tmp_path,
        "accounts.csv",
        ACCOUNT_HEADER
        + ACCOUNT_A1
        + "A2,,IT,large,华东,direct,R1,2025-01-01 10:00:00,,\n"  # missing name
        + "A3,Gamma,IT,large,华东,wholesale,R1,2025-01-01 10:00:00,,\n"  # bad channel
        + "A4,Delta,IT,large,华东,direct,R9,2025-01-01 10:00:00,,\n"  # unknown rep
        + "A5,Eps,IT,large,华东,direct,R2,2025-13-01 10:00:00,,\n"  # unparseable date
        + "A6,Zeta,IT,large,华东,direct,R2,2025-01-01 10:00:00,,wang@@example\n"  # warn only
        + "A7,One,IT,large,华东,direct,R2,2025-01-01 10:00:00,,\n"
        + "A7,Two,IT,large,华东,direct,R2,2025-01-01 10:00:00,,\n"  # conflicting duplicate
        + ACCOUNT_A1,  # exact duplicate of the first row
    )
    r = load_file(con, "accounts", accounts, 1)
    assert r.rows_in == 9
    assert r.rows_in == r.rows_loaded + r.rows_quarantined
    # A1 twice (identical: one version), A6 loaded with a warning.
    assert (r.rows_loaded, r.rows_quarantined, r.rows_unchanged) == (3, 6, 1)
    rules = dict(
        con.execute(
            "select record_id, rule from meta.quarantine where entity = 'accounts'"
        ).fetchall()
    )
    assert rules == {
        "A2": "missing_required",
        "A3": "value_not_allowed",
        "A4": "missing_reference",
        "A5": "unparseable_value",
        "A7": "duplicate_id_conflict",
    }
    a5 = con.execute(
        "select column_name, value_seen, row_data, source_row from meta.quarantine "
        "where record_id = 'A5'"
    ).fetchone()
    assert a5[0] == "created_at" and a5[1] == "2025-13-01 10:00:00" and a5[3] == 6
    assert json.loads(a5[2])["account_name"] == "Eps"  # the whole row is kept
    assert con.execute("select count(*) from raw.accounts").fetchone()[0] == 2
    warn = con.execute("select record_id, rule, value_seen from meta.row_findings").fetchall()
    assert warn == [("A6", "malformed_email", "wang@@example")]
    files = con.execute(
        "select rows_in, rows_loaded, rows_quarantined from meta.load_files "
        "where entity = 'accounts'"
    ).fetchone()
    assert files == (9, 3, 6)


def test_same_file_twice_changes_nothing(con, tmp_path):
    reps = write_export(tmp_path, "sales_reps.csv", REPS)
    load_file(con, "sales_reps", reps, 1)
    before = con.execute("select * from raw.sales_reps order by rep_id").fetchall()
    r = load_file(con, "sales_reps", reps, 2)
    assert r.status == "skipped_seen"
    assert con.execute("select * from raw.sales_reps order by rep_id").fetchall() == before


def test_later_export_supersedes_and_history_is_kept(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    changed = REPS.replace("Li Na,ln@example.cn,华东一组", "Li Na,ln@example.cn,华东二组")
    r = load_file(
        con, "sales_reps", write_export(tmp_path / "n2", "sales_reps.csv", changed + "\n"), 2
    )
    assert (r.rows_loaded, r.rows_unchanged) == (2, 1)  # R1 unchanged, R2 new version
    history = con.execute(
        "select team, _load_id from raw.sales_reps where rep_id = 'R2' order by _load_id"
    ).fetchall()
    assert history == [("华东一组", 1), ("华东二组", 2)]


def test_missing_reference_is_parked_then_released(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    acc = ACCOUNT_HEADER + "A1,Alpha,IT,large,华东,direct,R3,2025-01-01 10:00:00,,\n"
    r = load_file(con, "accounts", write_export(tmp_path / "n1", "accounts.csv", acc), 1)
    assert r.rows_quarantined == 1
    assert release_parked(con, entity("accounts"), load_id=1, timezone=TZ, now=NOW) == 0

    reps2 = REPS + "R3,王芳,wf@example.cn,华南一组,华南,,rep,2025-01-01,\n"
    load_file(con, "sales_reps", write_export(tmp_path / "n2", "sales_reps.csv", reps2), 2)
    assert release_parked(con, entity("accounts"), load_id=2, timezone=TZ, now=NOW) == 1
    row = con.execute(
        "select account_id, owner_rep_id, _load_id, _source_file, _source_row from raw.accounts"
    ).fetchone()
    assert row == ("A1", "R3", 2, "accounts.csv", 2)
    assert con.execute(
        "select released_load_id from meta.quarantine where record_id = 'A1'"
    ).fetchone() == (2,)


def test_file_without_required_column_is_rejected_whole(con, tmp_path):
    bad = "rep_id,team,region\nR1,华东一组,华东\n"  # no rep_name
    r = load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", bad), 1)
    assert r.status == "rejected"
    assert "rep_name" in r.message and "sales_reps.csv" in r.message and "Fix:" in r.message
    assert con.execute("select count(*) from raw.sales_reps").fetchone()[0] == 0


def test_committed_suites_cover_the_contract():
    for e in ENTITIES:
        committed = read_suite(e.name)
        baseline = build_suite(e)
        have = {
            (x["type"], json.dumps(x["kwargs"], sort_keys=True)) for x in committed["expectations"]
        }
        for exp in baseline["expectations"]:
            assert (exp["type"], json.dumps(exp["kwargs"], sort_keys=True)) in have, (
                f"expectations/{e.name}.json lacks {exp['type']} {exp['kwargs']}; "
                "run `salesops expectations write`"
            )


def test_export_reverting_to_an_older_file_is_a_change(con, tmp_path):
    team_b = REPS.replace("Li Na,ln@example.cn,华东一组", "Li Na,ln@example.cn,华东二组")
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    load_file(con, "sales_reps", write_export(tmp_path / "n2", "sales_reps.csv", team_b), 2)
    r = load_file(con, "sales_reps", write_export(tmp_path / "n3", "sales_reps.csv", REPS), 3)
    assert r.status == "loaded" and r.rows_unchanged == 1  # R1 unchanged, R2 back to 一组
    current = con.execute(
        "select team from raw.sales_reps where rep_id = 'R2' order by _load_id desc limit 1"
    ).fetchall()
    assert current == [("华东一组",)]


def test_only_the_newest_parked_version_is_released(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    row = "A1,{name},IT,large,华东,direct,R3,2025-01-01 10:00:00,,\n"
    # load 2 parks 'Old' at row 3; load 3 parks 'New' at row 2 (a lower row number)
    old = ACCOUNT_HEADER + "A0,Filler,IT,large,华东,direct,R1,2025-01-01 10:00:00,,\n"
    load_file(
        con,
        "accounts",
        write_export(tmp_path / "n2", "accounts.csv", old + row.format(name="Old")),
        2,
    )
    load_file(
        con,
        "accounts",
        write_export(tmp_path / "n3", "accounts.csv", ACCOUNT_HEADER + row.format(name="New")),
        3,
    )
    reps = REPS + "R3,王芳,wf@example.cn,华南一组,华南,,rep,2025-01-01,\n"
    load_file(con, "sales_reps", write_export(tmp_path / "n4", "sales_reps.csv", reps), 4)
    assert release_parked(con, entity("accounts"), load_id=4, timezone=TZ, now=NOW) == 2
    assert con.execute(
        "select account_name from raw.accounts where account_id = 'A1'"
    ).fetchall() == [("New",)]
    assert con.execute(
        "select count(*) from meta.quarantine where released_load_id = 4"
    ).fetchall() == [(2,)]


def test_a_clean_row_resolves_the_records_quarantine(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    good = ACCOUNT_HEADER + "A1,Alpha,IT,large,华东,direct,R1,2025-01-01 10:00:00,,\n"
    load_file(con, "accounts", write_export(tmp_path / "n1", "accounts.csv", good), 1)
    bad = good.replace("direct", "wholesale")
    assert load_file(
        con, "accounts", write_export(tmp_path / "n2", "accounts.csv", bad), 2
    ).rows_quarantined
    r = load_file(con, "accounts", write_export(tmp_path / "n3", "accounts.csv", good + "\n"), 3)
    assert r.rows_unchanged == 1  # identical to the current version: nothing appended
    assert con.execute(
        "select rule, resolved_load_id from meta.quarantine where record_id = 'A1'"
    ).fetchall() == [("value_not_allowed", 3)]


def test_released_rows_get_the_warning_checks(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    acc = ACCOUNT_HEADER + "A1,Alpha,IT,large,华东,direct,R3,2025-01-01 10:00:00,,wang@@x\n"
    load_file(con, "accounts", write_export(tmp_path / "n1", "accounts.csv", acc), 1)
    assert con.execute("select count(*) from meta.row_findings").fetchall() == [(0,)]
    reps = REPS + "R3,王芳,wf@example.cn,华南一组,华南,,rep,2025-01-01,\n"
    load_file(con, "sales_reps", write_export(tmp_path / "n2", "sales_reps.csv", reps), 2)
    release_parked(con, entity("accounts"), load_id=2, timezone=TZ, now=NOW)
    assert con.execute(
        "select record_id, rule, value_seen, owner_rep_id, load_id from meta.row_findings"
    ).fetchall() == [("A1", "malformed_email", "wang@@x", "R3", 2)]


def test_invoice_only_payment_needs_invoices(con, tmp_path):
    header = "payment_id,order_id,invoice_id,paid_at,amount,currency,method,reference\n"
    orders = (
        "order_id,account_id,opportunity_id,rep_id,ordered_at,status,currency,total_amount,"
        "channel,payment_terms_days,delivered_at\n"
        "O1,A1,,R1,2025-02-01 10:00:00,delivered,CNY,100.00,,30,\n"
    )
    load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", REPS), 1)
    load_file(
        con, "accounts", write_export(tmp_path, "accounts.csv", ACCOUNT_HEADER + ACCOUNT_A1), 1
    )
    load_file(con, "orders", write_export(tmp_path, "orders.csv", orders), 1)
    payments = header + (
        "P1,O1,INV-9,2025-02-10 10:00:00,50.00,CNY,,\n"  # order link is enough
        "P2,,INV-9,2025-02-11 10:00:00,50.00,CNY,,\n"  # only an invoice nobody exported
    )
    r = load_file(con, "payments", write_export(tmp_path, "payments.csv", payments), 1)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert con.execute(
        "select record_id, rule, column_name, retryable from meta.quarantine"
    ).fetchall() == [("P2", "missing_reference", "invoice_id", True)]


def test_malformed_target_periods_are_quarantined(con, tmp_path):
    targets = (
        "period,level,scope_id,metric,product_line,target_value\n"
        "2026Q3,company,all,revenue,,1000.00\n"
        "2026-07,company,all,revenue,,300.00\n"
        "2026 Q3,company,all,revenue,,1000.00\n"  # space
        "2026-7,company,all,revenue,,300.00\n"  # month without leading zero
    )
    r = load_file(con, "targets", write_export(tmp_path, "targets.csv", targets), 1)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 2)
    assert sorted(con.execute("select source_row, rule from meta.quarantine").fetchall()) == [
        (4, "malformed_period"),
        (5, "malformed_period"),
    ]


# ------------------------------------------------------------------ streaming


def _snapshot(c) -> dict:
    """Everything ingest wrote, in a stable order, without ids that name the load's timing."""
    return {
        "raw": c.execute(
            "select * exclude (_loaded_at) from raw.accounts order by _load_id, _source_row"
        ).fetchall(),
        "quarantine": c.execute(
            """select source_row, record_id, owner_rep_id, rule, column_name, value_seen,
                      reason, reasons, row_data, retryable, canonical_data, row_hash,
                      released_load_id, resolved_load_id
               from meta.quarantine order by load_id, source_row"""
        ).fetchall(),
        "findings": c.execute(
            "select * from meta.row_findings order by load_id, source_row, rule"
        ).fetchall(),
        "files": c.execute(
            "select * exclude (run_id) from meta.load_files order by load_id"
        ).fetchall(),
    }


def _accounts_export(rows: int) -> str:
    """Accounts with, spread over the file: exact repeats, an id with two contents, bad
    values, a missing owner, blank lines, and a report footer after a blank line."""
    lines = [ACCOUNT_HEADER.rstrip("\n")]
    for i in range(rows):
        owner = "R2" if i % 2 else "R1"
        if i % 17 == 5:
            owner = "R404"  # unknown rep: parked
        channel = "bogus" if i % 23 == 7 else "direct"
        created = "2025-02-30 10:00:00" if i % 29 == 11 else "2025-01-01 10:00:00"
        email = "no-at-sign" if i % 13 == 3 else f"a{i}@b.cn"
        lines.append(f"A{i},客户{i},IT,large,华东,{channel},{owner},{created},13800138000,{email}")
        if i % 31 == 0:
            lines.append("")
    lines.append(lines[3])  # an exact repeat of an early row, far from it
    lines.append("A2,另一个名字,IT,large,华东,direct,R1,2025-01-01 10:00:00,,")  # A2 twice
    lines += ["", "Confidential - generated by the CRM", "Page 1 of 1"]
    return "\n".join(lines) + "\n"


def test_streaming_in_small_batches_gives_the_same_warehouse_as_one_batch(tmp_path: Path):
    """Batch boundaries change nothing: repeats, conflicts, footers and parked rows that
    span batches end up exactly as when the whole file is one batch."""
    reps = write_export(tmp_path, "sales_reps.csv", REPS)
    export = write_export(tmp_path / "in", "accounts.csv", _accounts_export(200))
    snapshots = {}
    for batch_rows in (7, 1_000_000):
        c = new_warehouse(tmp_path / f"w{batch_rows}.duckdb")
        ingest_file(c, entity("sales_reps"), reps, load_id=1, run_id="r", timezone=TZ, now=NOW)
        result = ingest_file(
            c,
            entity("accounts"),
            export,
            load_id=2,
            run_id="r",
            timezone=TZ,
            now=NOW,
            batch_rows=batch_rows,
        )
        snapshots[batch_rows] = (_snapshot(c), result)
        c.close()
    (small, small_result), (whole, whole_result) = snapshots[7], snapshots[1_000_000]
    assert small == whole
    for field in ("rows_in", "rows_loaded", "rows_quarantined", "rows_unchanged", "rows_flagged"):
        assert getattr(small_result, field) == getattr(whole_result, field), field
    assert small_result.quarantined_by_rule == whole_result.quarantined_by_rule

    # Counted by hand from _accounts_export(200): 200 rows + the repeat + the second A2.
    bad = {i for i in range(200) if i % 17 == 5 or i % 23 == 7 or i % 29 == 11 or i == 2}
    assert whole_result.rows_in == 202
    assert whole_result.rows_quarantined == len(bad) + 1  # the second A2 row too
    assert whole_result.rows_loaded == 202 - len(bad) - 1
    assert whole_result.rows_unchanged == 1  # the exact repeat of row A1
    assert whole_result.quarantined_by_rule["duplicate_id_conflict"] == 2
    notes = " ".join(whole_result.read_notes["notes"])
    # 7 blank lines among the rows (after i = 0, 31, ..., 186) and 1 before the footer.
    assert "8 blank row(s) skipped" in notes and "2 footer line(s)" in notes


def test_a_deal_without_amount_account_or_expected_close_is_loaded_and_flagged(con, tmp_path):
    """Quarantine is for what cannot be loaded: a won deal without an amount still counts."""
    load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", REPS), 1)
    load_file(
        con, "accounts", write_export(tmp_path, "accounts.csv", ACCOUNT_HEADER + ACCOUNT_A1), 1
    )
    header = (
        "opportunity_id,account_id,owner_rep_id,name,created_at,stage,amount,currency,"
        "expected_close_date,closed_at,last_modified_at\n"
    )
    opps = (
        header + "O1,A1,R1,No amount,2026-01-05 09:00:00,won,,CNY,2026-03-01,"
        "2026-02-20 17:00:00,2026-02-20 17:00:00\n"
        + "O2,,R1,No account,2026-01-05 09:00:00,lost,100,CNY,2026-03-01,"
        "2026-02-20 17:00:00,2026-02-20 17:00:00\n"
        + "O3,A1,R2,No expected close,2026-01-05 09:00:00,proposal,100,CNY,,,"
        "2026-02-20 17:00:00\n"
        + "O4,A1,R2,Won without expected close,2026-01-05 09:00:00,won,100,CNY,,"
        "2026-02-20 17:00:00,2026-02-20 17:00:00\n"
    )
    r = load_file(con, "opportunities", write_export(tmp_path, "opportunities.csv", opps), 1)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 4, 0)
    assert con.execute(
        "select record_id, owner_rep_id, rule from meta.row_findings order by record_id"
    ).fetchall() == [
        ("O1", "R1", "missing_amount"),
        ("O2", "R1", "missing_account"),
        ("O3", "R2", "missing_expected_close"),
    ]


def test_fx_rates_keep_every_digit_the_source_gives(con, tmp_path):
    """A COP rate of 1/4500 written 0.000222222222222: cut at 6 places it would lose 0.1 %
    of every amount converted with it."""
    rates = "rate_date,currency,rate_to_reporting\n2026-03-01,COP,0.000222222222222\n"
    r = load_file(con, "fx_rates", write_export(tmp_path, "fx_rates.csv", rates), 1)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 0)
    (rate,) = con.execute("select rate_to_reporting from raw.fx_rates").fetchone()
    assert rate == Decimal("0.000222222222222")
    amount = Decimal("4500000")  # 4.5 million pesos: 1000 in the reporting currency
    assert abs(amount * rate - Decimal(1000)) < Decimal("0.000001")


def test_a_warehouse_created_before_rates_were_widened_is_converted(tmp_path):
    """Raw tables of an earlier contract: rates widened in place, new columns added."""
    import duckdb

    from pipelines.warehouse.schema import LINEAGE_COLUMNS

    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("create schema raw")
    lineage = ", ".join(f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS)
    old.execute(
        "create table raw.fx_rates (rate_date DATE, currency VARCHAR, "
        f"rate_to_reporting DECIMAL(18,6), {lineage})"
    )
    old.execute(f"create table raw.opportunities (opportunity_id VARCHAR, {lineage})")
    old.execute(
        "insert into raw.fx_rates values ('2026-03-01', 'USD', 7.123456, 1, 'fx_rates.csv', "
        "2, 'h', now(), null, false)"
    )
    old.close()
    con = new_warehouse(path)
    assert con.execute(
        "select data_type from information_schema.columns "
        "where table_name = 'fx_rates' and column_name = 'rate_to_reporting'"
    ).fetchone() == ("DECIMAL(38,18)",)
    assert con.execute("select rate_to_reporting from raw.fx_rates").fetchone() == (
        Decimal("7.123456"),
    )
    columns = {r[0] for r in con.execute("describe raw.opportunities").fetchall()}
    assert "close_date" in columns
    con.close()


def test_an_entity_read_through_a_lookup_loads_again_when_only_the_lookup_file_changed(
    con, tmp_path
):
    """Salesforce users take their team from UserRole.csv: a renamed role, with User.csv as
    it was, is a change (the export's fingerprint covers every file it reads)."""
    salesforce = load_profile("salesforce")
    inbox1, inbox2 = tmp_path / "night1", tmp_path / "night2"
    user = (
        "Id,Username,Name,Email,UserRoleId,IsActive,IsDeleted\n"
        "0055g00000AnnAAAA1,ann@x.example,Ann Lee,ann@x.example,00E5g000000WestAA1,true,false\n"
    )
    for inbox, role in ((inbox1, "West Sales"), (inbox2, "Pacific Sales")):
        write_export(inbox, "User.csv", user)
        write_export(inbox, "UserRole.csv", f"Id,Name\n00E5g000000WestAA1,{role}\n")
    first = load_file(con, "sales_reps", inbox1 / "User.csv", 1, profile=salesforce)
    second = load_file(con, "sales_reps", inbox2 / "User.csv", 2, profile=salesforce)
    assert (first.status, second.status) == ("loaded", "loaded"), second.message
    teams = con.execute("select team from raw.sales_reps order by _load_id").fetchall()
    assert teams == [("West Sales",), ("Pacific Sales",)]


def test_ids_are_one_record_whatever_invisible_or_wide_characters_they_carry(con, tmp_path):
    """A byte-order mark, a zero-width space or full-width letters around an id do not make
    a twin record: ids are NFKC-normalised with invisible and control characters removed;
    an id holding a NUL is unreadable (quarantined with its row), not a new record."""
    reps = (
        "rep_id,rep_name,email,team,region,manager_id,role,hired_on,left_on\n"
        "R1,Ann,,T1,East,,rep,2024-01-01,\n"
        "\ufeffR1,Ann,,T1,East,,rep,2024-01-01,\n"  # identical after normalising
        "Ｒ2,Bo,,T1,East,,rep,2024-01-01,\n"
        "R3\u200b,Cy,,T1,East,R\u200b1,rep,2024-01-01,\n"
        "R4\x00,Di,,T1,East,,rep,2024-01-01,\n"
    )
    r = load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", reps), 1)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (5, 4, 1)
    assert con.execute("select rep_id, manager_id from raw.sales_reps order by 1").fetchall() == [
        ("R1", None),
        ("R2", None),
        ("R3", "R1"),
    ]
    assert con.execute(
        "select rule, column_name from meta.quarantine where entity = 'sales_reps'"
    ).fetchall() == [("unparseable_value", "rep_id")]
    # a later export spelling R2 in ASCII updates the same record
    later = reps.splitlines()[0] + "\nR2,Bo Chan,,T1,East,,rep,2024-01-01,\n"
    load_file(con, "sales_reps", write_export(tmp_path / "2", "sales_reps.csv", later), 2)
    assert con.execute(
        "select count(distinct rep_id), max(rep_name) from raw.sales_reps where rep_id = 'R2'"
    ).fetchone() == (1, "Bo Chan")


def test_ragged_rows_are_quarantined_with_the_record_as_written(con, tmp_path):
    """A row with more cells than the header (a comma inside an unquoted name) is quarantined
    as ragged_row, with its row number, both cell counts and the record as written; its one
    reason is that (its shifted cells are not checked); the other rows load."""
    load_file(con, "sales_reps", write_export(tmp_path, "sales_reps.csv", REPS), 1)
    ragged = "A2,Acme, Inc.,IT,large,华东,direct,R1,2025-01-01 10:00:00,13800138000,a@b.cn\n"
    rows = [
        ACCOUNT_A1,
        ragged,
        "A3,Beta,IT,large,华东,direct,R2,2025-01-01 10:00:00,,\n",
        '"A4","Gamma, Ltd.",IT,large,华东,direct,R2,2025-01-01 10:00:00,,\n',
    ]
    accounts = write_export(tmp_path, "accounts.csv", ACCOUNT_HEADER + "".join(rows))
    r = load_file(con, "accounts", accounts, 1)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("loaded", 4, 3, 1)
    assert r.quarantined_by_rule == {"ragged_row": 1}
    got = con.execute(
        "select source_row, record_id, rule, column_name, value_seen, reason, "
        "json_array_length(reasons) from meta.quarantine"
    ).fetchall()
    cells, width = len(ragged.split(",")), len(ACCOUNT_HEADER.split(","))
    assert got == [
        (
            3,
            "A2",
            "ragged_row",
            None,
            ragged.rstrip("\n"),
            f"the row has {cells} cells but the header has {width}: a value holding the "
            "delimiter is not quoted",
            1,
        )
    ]
    loaded = con.execute("select account_id, account_name from raw.accounts order by 1")
    assert loaded.fetchall() == [
        ("A1", "上海华锐科技有限公司"),
        ("A3", "Beta"),
        ("A4", "Gamma, Ltd."),
    ]
    assert any("1 row(s) with more cells than the header's 10" in n for n in r.read_notes["notes"])
