"""Mapping profiles on a real DuckDB file: errors, mapping, drift, full/delta, history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract import entity
from pipelines.core.errors import SalesOpsError
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.files.table import RAGGED
from pipelines.ingest.load import release_parked
from pipelines.ingest.profiles.apply import read_export
from pipelines.ingest.profiles.loader import load_profile, parse_profile, shipped_profiles
from pipelines.ingest.values.parse import ROW_INDEX
from tests.ingest.support import NOW, TZ, load_file, register_load, write_export

CRM_PROFILE = """\
profile: testcrm
description: a small vendor export
defaults:
  date_order: MDY
  currency: USD
  mode: full
entities:
  sales_reps:
    files: "Users*.csv"
    columns:
      rep_id: User ID
      rep_name: Full Name
      team: Department
      region: Division
  accounts:
    files: ["Accounts*.csv", "accounts_*.csv.gz"]
    columns:
      account_id: Account ID
      account_name: [Account Name, Legal Name]
      region: {header: Billing Region, default: Unknown}
      channel: {value: direct}
      owner_rep_id: Owner ID
      created_at: Created Date
    values:
      industry:
        technology: [technolgy, Tech]
"""

USERS = "User ID,Full Name,Department,Division\nU1,Ann Lee,East 1,East\nU2,Bo Chan,East 1,East\n"


@pytest.fixture
def profile(tmp_path: Path):
    path = tmp_path / "testcrm.yaml"
    path.write_text(CRM_PROFILE, encoding="utf-8")
    return load_profile(str(path))


def load(con, profile, entity_name, path, load_id, as_of=date(2026, 3, 1)):
    register_load(con, load_id, as_of)
    return load_file(con, entity_name, path, load_id, profile)


def test_profile_errors_name_the_file_and_line(tmp_path):
    text = CRM_PROFILE.replace("  accounts:\n", "  acounts:\n").replace(
        "date_order: MDY", "date_order: MYD"
    )
    with pytest.raises(SalesOpsError) as err:
        parse_profile(text, "my.yaml")
    message = str(err.value)
    lines = text.splitlines()
    assert f"my.yaml:{lines.index('  date_order: MYD') + 1}: defaults.date_order" in message
    assert f"my.yaml:{lines.index('  acounts:') + 1}" in message
    assert "unknown entity 'acounts'" in message
    bad_column = CRM_PROFILE.replace("      team: Department\n", "      teams: Department\n")
    with pytest.raises(SalesOpsError) as err:
        parse_profile(bad_column, "my.yaml")
    assert "has no column 'teams'" in str(err.value)
    both = CRM_PROFILE.replace("channel: {value: direct}", "channel: {value: direct, header: X}")
    with pytest.raises(SalesOpsError) as err:
        parse_profile(both, "my.yaml")
    line = both.splitlines().index("      channel: {value: direct, header: X}") + 1
    assert f"my.yaml:{line}" in str(err.value)
    assert "give one of header, value, template or lookup" in str(err.value)


def test_every_shipped_profile_is_valid():
    names = set(shipped_profiles())
    assert {"canonical", "maven_crm"} <= names
    for name in names:
        assert load_profile(name).entities


def test_headers_constants_defaults_translations_and_extras(con, profile, tmp_path):
    load(con, profile, "sales_reps", write_export(tmp_path, "Users.csv", USERS), 1)
    accounts = write_export(
        tmp_path,
        "Accounts 2026-03-01.csv",
        "ACCOUNT ID, account  name ,Legal Name,Billing Region,Owner ID,Created Date,Industry,"
        "Fax\n"
        "A1,Acme,,West,U1,3/1/2026 9:30 PM,technolgy,555-1\n"
        "A2,,Beta Legal,,U2,12/31/2025,Tech,\n"
        "A3,Gamma,,East,,1/2/2026,retail,\n",
    )
    r = load(con, profile, "accounts", accounts, 1)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 3, 0)
    rows = con.execute(
        "select account_id, account_name, region, channel, owner_rep_id, industry, created_at, "
        "_extra from raw.accounts order by account_id"
    ).fetchall()
    # 3/1/2026 9:30 PM in MDY, Shanghai local -> 13:30 UTC.
    assert rows[0][:6] == ("A1", "Acme", "West", "direct", "U1", "technology")
    assert rows[0][6] == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert json.loads(rows[0][7]) == {"Fax": "555-1"}
    assert rows[1][1:3] == ("Beta Legal", "Unknown")  # second header, profile default
    assert rows[1][5] == "technology" and rows[1][7] is None
    assert rows[2][4] is None  # unowned account: loaded, flagged
    flagged = con.execute("select record_id, rule from meta.row_findings").fetchall()
    assert flagged == [("A3", "missing_owner")]
    notes = json.loads(
        con.execute("select read_notes from meta.load_files where entity = 'accounts'").fetchone()[
            0
        ]
    )
    assert notes["defaults_used"] == {"region": 1}
    assert {(t["seen"], t["rows"]) for t in notes["translations"]["industry"]} == {
        ("technolgy", 1),
        ("Tech", 1),
    }
    assert notes["unmapped_headers"] == ["Fax"]
    assert notes["sources"]["channel"] == "constant 'direct'"


def test_missing_required_column_names_column_profile_line_and_closest_header(
    con, profile, tmp_path
):
    bad = write_export(tmp_path, "Users.csv", "User ID,Full Nme,Department,Division\nU1,Ann,E,E\n")
    r = load(con, profile, "sales_reps", bad, 1)
    assert r.status == "rejected"
    line = CRM_PROFILE.splitlines().index("      rep_name: Full Name") + 1
    assert r.message.startswith("Users.csv: lacks the required column rep_name of sales_reps")
    assert f"testcrm.yaml:{line}" in r.message
    assert "closest header found: 'Full Nme'" in r.message
    assert con.execute("select count(*) from raw.sales_reps").fetchone()[0] == 0


def test_unknown_column_is_kept_and_reported_once(con, profile, tmp_path):
    first = write_export(
        tmp_path / "n1", "Users.csv", USERS.replace("Division\n", "Division,Phone\n")
    )
    r1 = load(con, profile, "sales_reps", first, 1)
    assert r1.new_extra_columns == ["Phone"]
    second = write_export(
        tmp_path / "n2",
        "Users.csv",
        "User ID,Full Name,Department,Division,Phone\nU1,Ann Lee,East 2,East,138\n",
    )
    r2 = load(con, profile, "sales_reps", second, 2)
    assert r2.extra_columns == ["Phone"] and r2.new_extra_columns == []
    drift = con.execute("select header, first_load_id, last_load_id from meta.schema_drift")
    assert drift.fetchall() == [("Phone", 1, 2)]
    extra = con.execute("select _extra from raw.sales_reps where _load_id = 2").fetchone()[0]
    assert json.loads(extra) == {"Phone": "138"}


def test_full_export_marks_missing_records_deleted_and_history_answers_past_dates(
    con, profile, tmp_path
):
    three = USERS + "U3,Cy Wu,East 2,East\n"
    load(con, profile, "sales_reps", write_export(tmp_path / "n1", "Users.csv", three), 1)
    # Night 2: U3 gone, U1 moved team.
    night2 = (
        "User ID,Full Name,Department,Division\nU1,Ann Lee,West 1,West\nU2,Bo Chan,East 1,East\n"
    )
    r = load(
        con,
        profile,
        "sales_reps",
        write_export(tmp_path / "n2", "Users.csv", night2),
        2,
        date(2026, 3, 2),
    )
    assert r.rows_deleted == 1
    assert con.execute("select count(*) from raw.sales_reps").fetchone()[0] == 5  # 3 + U1 + marker

    def as_of(day: date):
        return con.execute(
            """select rep_id, team from history.sales_reps
               where valid_from_date <= ? and (valid_to_date is null or valid_to_date > ?)
                 and not is_deleted order by rep_id""",
            [day, day],
        ).fetchall()

    assert as_of(date(2026, 3, 1)) == [("U1", "East 1"), ("U2", "East 1"), ("U3", "East 2")]
    assert as_of(date(2026, 3, 2)) == [("U1", "West 1"), ("U2", "East 1")]
    # Night 3: U3 is back: a new version, no longer deleted.
    r3 = load(
        con,
        profile,
        "sales_reps",
        write_export(tmp_path / "n3", "Users.csv", three),
        3,
        date(2026, 3, 3),
    )
    assert r3.rows_deleted == 0
    assert as_of(date(2026, 3, 3)) == [("U1", "East 1"), ("U2", "East 1"), ("U3", "East 2")]


def test_delta_export_deletes_nothing_and_truncated_full_export_is_refused(con, profile, tmp_path):
    many = USERS + "U3,Cy Wu,East 2,East\nU4,Di Ma,East 2,East\n"
    load(con, profile, "sales_reps", write_export(tmp_path / "n1", "Users.csv", many), 1)
    one = "User ID,Full Name,Department,Division\nU1,Ann Lee,East 1,East\n"
    r = load(con, profile, "sales_reps", write_export(tmp_path / "n2", "Users.csv", one), 2)
    assert r.rows_deleted == 0 and "no deletions applied" in r.message
    delta = load_profile(str(_with_mode(tmp_path, "delta")))
    r = load(con, delta, "sales_reps", write_export(tmp_path / "n3", "Users.csv", one + "\n"), 3)
    assert r.rows_deleted == 0 and r.message is None
    assert con.execute("select count(*) from raw.sales_reps where _deleted").fetchone()[0] == 0


def _with_mode(tmp_path: Path, mode: str) -> Path:
    path = tmp_path / f"testcrm_{mode}.yaml"
    path.write_text(CRM_PROFILE.replace("mode: full", f"mode: {mode}"), encoding="utf-8")
    return path


def test_parked_row_read_with_profile_formats_is_released_next_night(con, profile, tmp_path):
    load(con, profile, "sales_reps", write_export(tmp_path / "n1", "Users.csv", USERS), 1)
    acc = (
        "Account ID,Account Name,Billing Region,Owner ID,Created Date\n"
        "A1,Acme,West,U9,12/31/2025 11:00 PM\n"
    )
    r = load(con, profile, "accounts", write_export(tmp_path / "n1", "Accounts.csv", acc), 1)
    assert r.rows_quarantined == 1
    users2 = USERS + "U9,New Rep,West 1,West\n"
    load(con, profile, "sales_reps", write_export(tmp_path / "n2", "Users.csv", users2), 2)
    assert release_parked(con, entity("accounts"), load_id=2, timezone=TZ, now=NOW) == 1
    row = con.execute("select account_id, owner_rep_id, created_at from raw.accounts").fetchone()
    # 2025-12-31 23:00 Shanghai = 15:00 UTC, read with the profile's MDY order.
    assert row == ("A1", "U9", datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    # The same row exported again is recognised as unchanged (hash of the row as exported).
    r = load(con, profile, "accounts", write_export(tmp_path / "n3", "Accounts.csv", acc + "\n"), 3)
    assert (r.rows_loaded, r.rows_unchanged) == (1, 1)


def test_scan_inbox_matches_profile_patterns(tmp_path, profile):
    inbox = tmp_path / "inbox"
    write_export(inbox, "Users 2026.csv", USERS)
    write_export(inbox, "orders.csv", "x\n")
    write_export(inbox, "notes.txt", "hello")
    drop = scan_inbox(inbox, profile)
    assert {k: v.name for k, v in drop.entity_files.items()} == {
        "sales_reps": "Users 2026.csv",
        "orders": "orders.csv",  # canonical fallback
    }
    assert drop.ignored == ["notes.txt"]


def test_profile_check_reports_mapping_and_bad_values_without_loading(tmp_path):
    inbox = tmp_path / "inbox"
    write_export(inbox, "Users.csv", USERS)
    write_export(
        inbox,
        "Accounts.csv",
        "Account ID,Account Name,Billing Region,Owner ID,Created Date,Fax\n"
        "A1,Acme,West,U1,13/45/2026,1\nA2,Beta,West,U1,1/2/2026,2\n",
    )
    write_export(inbox, "stray.txt", "x")
    profile_path = tmp_path / "testcrm.yaml"
    profile_path.write_text(CRM_PROFILE, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", str(profile_path), "--inbox", str(inbox)]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Accounts.csv -> accounts: 2 rows" in out
    assert "account_name           <- header 'Account Name'" in out
    assert "unmapped (kept in _extra): 'Fax'" in out
    assert "created_at: 1 value(s) unreadable" in out and "row 2: '13/45/2026'" in out
    assert "matching no entity of the profile, not read): stray.txt" in out
    assert not (tmp_path / ".salesops").exists()


def test_decimal_amounts_in_profile_formats_stay_exact(con, tmp_path):
    path = tmp_path / "eu.yaml"
    path.write_text(
        "profile: eu\ndefaults: {decimal_mark: ',', delimiter: ';'}\nentities:\n"
        "  products:\n    files: produkte.csv\n    columns:\n      product_id: Nr\n"
        "      product_name: Name\n      product_line: Linie\n      list_price: Preis\n",
        encoding="utf-8",
    )
    eu = load_profile(str(path))
    f = write_export(tmp_path, "produkte.csv", "Nr;Name;Linie;Preis\nP1;Stift;B;1.234,50\n")
    load(con, eu, "products", f, 1)
    assert con.execute("select list_price from raw.products").fetchone()[0] == Decimal("1234.5")


def test_a_file_claimed_by_two_entities_is_a_profile_error(tmp_path):
    path = tmp_path / "greedy.yaml"
    path.write_text(CRM_PROFILE.replace('files: "Users*.csv"', 'files: "*.csv"'), encoding="utf-8")
    greedy = load_profile(str(path))
    with pytest.raises(SalesOpsError) as err:
        greedy.entity_for("Accounts.csv")
    line = CRM_PROFILE.splitlines().index('    files: ["Accounts*.csv", "accounts_*.csv.gz"]') + 1
    assert "matches the patterns of several entities" in str(err.value)
    assert f"accounts ({path}:{line})" in str(err.value)


def test_amount_written_in_another_currency_is_quarantined_not_converted(con, tmp_path):
    path = tmp_path / "pay.yaml"
    path.write_text(
        "profile: pay\ndefaults: {currency: USD}\nentities: {}\n",
        encoding="utf-8",
    )
    pay = load_profile(str(path))
    f = write_export(
        tmp_path,
        "payments.csv",
        "payment_id,invoice_id,paid_at,amount,currency\n"
        "P1,,2026-03-01,EUR 1000.00,USD\n"  # mark contradicts the currency
        'P2,,2026-03-01,"$1,000.00",\n'  # $ fits the profile default USD
        "P3,,2026-03-01,¥88,CNY\n",
    )
    # (No invoices exist, so rows are also quarantined for that; only the currency rule matters.)
    load(con, pay, "payments", f, 1)
    reasons = {
        r[0]: json.loads(r[1])
        for r in con.execute("select record_id, reasons from meta.quarantine").fetchall()
    }
    assert [x["rule"] for x in reasons["P1"] if x["rule"] == "currency_mismatch"] == [
        "currency_mismatch"
    ]
    assert "written in EUR but the row's currency is USD" in " ".join(
        x["message"] for x in reasons["P1"]
    )
    for ok in ("P2", "P3"):
        assert all(x["rule"] != "currency_mismatch" for x in reasons.get(ok, []))


UNPIVOT_PROFILE = """\
profile: wide
entities:
  opportunity_stage_history:
    files: "deal_stages*.csv"
    unpivot: {headers: "Entered *", name: stage, value: entered_at}
    columns:
      opportunity_id: Deal
    values:
      stage: {discovery: [Discovery], proposal: [Proposal], won: [Won]}
"""


def test_unpivot_reads_one_row_per_filled_cell_of_the_matching_headers(con, tmp_path):
    """Headers match case- and space-insensitively, quotes around the * part are not part of
    the stage; a stage the profile does not know is quarantined at its own row number; a
    deal with no filled cell is counted as skipped."""
    path = tmp_path / "wide.yaml"
    path.write_text(UNPIVOT_PROFILE, encoding="utf-8")
    wide = load_profile(str(path))
    drop = tmp_path / "drop"
    canonical = {
        "sales_reps.csv": "rep_id,rep_name,team,region\nR1,Ann,East,East\n",
        "accounts.csv": "account_id,account_name,region,channel,owner_rep_id,created_at\n"
        "A1,Acme,East,direct,R1,2026-01-01 09:00\n",
        "opportunities.csv": "opportunity_id,account_id,owner_rep_id,name,created_at,stage,"
        "amount,currency,expected_close_date,last_modified_at\n"
        + "".join(
            f"{d},A1,R1,Deal {d},2026-01-02 09:00,won,10,USD,2026-03-31,2026-03-01 09:00\n"
            for d in ("D1", "D2", "D3")
        ),
    }
    for name, text in canonical.items():
        r = load(con, wide, name.removesuffix(".csv"), write_export(drop, name, text), 1)
        assert (r.status, r.rows_quarantined) == ("loaded", 0), r.message
    header = ["Deal", "ENTERED  Discovery", "Entered 'Proposal'", "Entered \u201cWon\u201d"]
    header += ["Entered Limbo", "Exited Discovery"]
    table = [
        header,
        ["D1", "2026-01-05 10:00", "2026-02-01 10:00", "2026-03-01 10:00", "", "2026-02-01"],
        ["D2", "", "", "", "", "2026-02-02"],
        ["D3", "2026-01-06 10:00", "", "", "2026-01-20 10:00", ""],
    ]
    csv_text = "\n".join(",".join(r) for r in table) + "\n"
    stages = write_export(drop, "deal_stages.csv", csv_text)
    r = load(con, wide, "opportunity_stage_history", stages, 1)
    expected = []
    for row in table[1:]:
        for j, cell in enumerate(row[1:5], start=1):
            if cell:
                expected.append((row[0], ["discovery", "proposal", "won", "Limbo"][j - 1], cell))
    loaded = con.execute(
        "select opportunity_id, stage, strftime(entered_at at time zone 'Asia/Shanghai', "
        "'%Y-%m-%d %H:%M') from raw.opportunity_stage_history"
    ).fetchall()
    assert sorted(loaded) == sorted(e for e in expected if e[1] != "Limbo")
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (len(expected), len(expected) - 1, 1)
    assert con.execute(
        "select record_id, rule, value_seen, source_row from meta.quarantine"
    ).fetchall() == [("D3|Limbo|2026-01-20 10:00", "value_not_allowed", "Limbo", 4 * 1000 + 4)]
    assert any("1 export row(s) skipped" in n for n in r.read_notes["notes"])
    assert any("4 header(s) matching 'Entered *'" in n for n in r.read_notes["notes"])


LOOKUP_PROFILE = """\
profile: funnel
entities:
  leads:
    files: leads.csv
    where: {kind: {in: [lead]}}
    columns:
      lead_id: id
      company_name: name
      created_at: created
      source: {value: web}
      status: {value: qualified}
      owner_rep_id:
        lookup: {file: deals.csv, key: id, value: rep, match: id}
        default: unassigned
      opportunity_id:
        lookup: {file: deals.csv, key: id, value: id, match: id}
"""


def read_leads(tmp_path, leads: str, deals: str | None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "funnel.yaml"
    path.write_text(LOOKUP_PROFILE, encoding="utf-8")
    drop = tmp_path / "drop"
    if deals is not None:
        write_export(drop, "deals.csv", deals)
    export = read_export(
        write_export(drop, "leads.csv", leads), entity("leads"), load_profile(str(path)), TZ
    )
    return export.mapped


LEADS = "id,name,created,kind\nL1,Ann,2026-01-01,lead\nL2,Bo,2026-01-02,lead\n" + (
    "L3,Cy,2026-01-03,lead\nX9,Spam,2026-01-03,test\n"
)


def test_a_lookup_takes_its_default_where_nothing_matches_and_may_return_its_key(tmp_path):
    """owner_rep_id: the rep of the lead's deal, else the default (no deal, or a deal with no
    rep, or no deals file at all); opportunity_id: a lookup whose key and value are the same
    column says whether the lead has a deal."""
    mapped = read_leads(tmp_path, LEADS, "id,rep\nL1,R1\nL3,\n")
    got = mapped.frame.select("lead_id", "owner_rep_id", "opportunity_id").rows()
    assert got == [("L1", "R1", "L1"), ("L2", "unassigned", None), ("L3", "unassigned", "L3")]
    assert mapped.defaults_used == {"owner_rep_id": 2}
    assert mapped.rows_skipped == 1
    mapped = read_leads(tmp_path / "without", LEADS, None)
    assert mapped.frame["owner_rep_id"].to_list() == ["unassigned"] * 3
    assert any("lookup file deals.csv is not in the drop" in n for n in mapped.notes)


def test_ragged_rows_are_kept_whatever_where_says_and_are_not_looked_up(tmp_path):
    """A ragged row of the mapped file is passed on (for the load to quarantine) even where
    its shifted cells fail the mapping's ``where``; a ragged row of a lookup file is not
    read (its cells are not in their columns), and a note says so."""
    leads = LEADS + "L4,Dee, Inc.,2026-01-04,lead\n"
    deals = "id,rep,note\nL1,R1,ok\nL2,R2,big, late\n"
    mapped = read_leads(tmp_path, leads, deals)
    marked = mapped.frame.filter(pl.col(RAGGED).is_not_null())
    assert marked.select(ROW_INDEX, "lead_id").rows() == [(6, "L4")]
    assert marked[RAGGED].to_list() == [
        {"cells": 5, "header_cells": 4, "record": "L4,Dee, Inc.,2026-01-04,lead"}
    ]
    assert mapped.rows_skipped == 1  # X9 only
    owners = dict(mapped.frame.select("lead_id", "owner_rep_id").rows())
    assert owners == {"L1": "R1", "L2": "unassigned", "L3": "unassigned", "L4": "unassigned"}
    assert any(
        "owner_rep_id: 1 row(s) of lookup file deals.csv have more cells than its header" in n
        for n in mapped.notes
    )
