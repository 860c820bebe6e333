"""Mapping profiles on a real DuckDB file: errors, mapping, drift, full/delta, history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract import entity
from pipelines.core.errors import SalesOpsError
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.load import release_parked
from pipelines.ingest.profiles.loader import load_profile, parse_profile, shipped_profiles
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
    bad = write_export(tmp_path, "Users.csv", "User ID,Full Name,Departmnt,Division\nU1,Ann,E,E\n")
    r = load(con, profile, "sales_reps", bad, 1)
    assert r.status == "rejected"
    line = CRM_PROFILE.splitlines().index("      team: Department") + 1
    assert r.message.startswith("Users.csv: lacks the required column team of sales_reps")
    assert f"testcrm.yaml:{line}" in r.message
    assert "closest header found: 'Departmnt'" in r.message
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
