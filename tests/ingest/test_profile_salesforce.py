"""The shipped salesforce profile on a realistic Salesforce export.

The test writes a night's drop as the vendor exports it (real bytes), loads it entity by
entity in dependency order into a real DuckDB file (support.load_drop), and checks every
row's fate and typed value against values worked out by hand. Expected instants come from
zoneinfo in the profile's timezone, so daylight-saving changes are checked, not assumed.
Other vendors: test_profile_*.py; every shipped profile's file patterns:
test_shipped_profiles.py.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main
from tests.ingest.support import (
    NY,
    check_cli,
    counts,
    csv_bytes,
    load_drop,
    local,
    quarantined,
    rows,
    write_export,
)

# --------------------------------------------------------------------------- Salesforce

SF_ANN, SF_BO, SF_DANA = "Ann Lee", "Bo Chan", "Dana Cruz"
ACME, SOCGEN, GLOBEX = "0015g00000AcmeAAA1", "0015g00000SocGAAA2", "0015g00000GlobAAA3"
OPP1, OPP2, OPP3, OPP4, OPP5 = (f"0065g00000Opp{i}AAA{i}" for i in range(1, 6))


def salesforce_drop(inbox: Path) -> None:
    # Lightning "Details Only" CSV: UTF-8 with a byte-order mark, CRLF, every field quoted.
    lightning = {"bom": True, "crlf": True, "quote_all": True}
    write_export(
        inbox,
        "Users.csv",
        csv_bytes(
            [
                ["Full Name", "Email", "Role", "Title", "Department", "Division", "Manager"]
                + ["User ID", "Active"],
                [SF_ANN, "ann.lee@acme.example", "Western Sales Team", "Account Executive"]
                + ["Sales", "West", SF_DANA, "0055g00000AnnLAAA1", "1"],
                [SF_BO, "bo.chan@acme.example", "Eastern Sales Team", "Account Executive"]
                + ["Sales", "", SF_DANA, "0055g00000BoChAAA2", "1"],
                [SF_DANA, "dana.cruz@acme.example", "", "VP Sales", "Sales Management"]
                + ["West", "", "0055g00000DanaAAA3", "1"],
            ],
            **lightning,
        ),
    )
    # Classic export: ISO-8859-1/cp1252 (the US users' default export encoding), no BOM.
    write_export(
        inbox,
        "Accounts 2026-03-02.csv",
        csv_bytes(
            [
                ["Account ID", "Account Name", "Type", "Industry", "Billing State/Province"]
                + ["Billing Country", "Account Owner", "Created Date", "Phone", "Employees"],
                [ACME, "Acme Corp", "Customer - Direct", "Technology", "CA", "United States"]
                + [SF_ANN, "1/15/2026", "(415) 555-0100", "250"],
                [SOCGEN, "Société Générale Services", "Customer - Channel", "Banking", ""]
                + ["France", SF_BO, "2/3/2026, 4:05 PM", "+33 1 42 14 20 00", ""],
                [GLOBEX, "Globex", "", "Manufacturing", "NY", "United States", ""]
                + ["12/31/2025, 11:30 PM", "", ""],
            ],
            encoding="cp1252",
            quote_all=True,
        ),
    )
    header = ["Opportunity Owner", "Account Name", "Opportunity Name", "Type", "Lead Source"]
    header += ["Amount", "Opportunity Currency", "Close Date", "Created Date"]
    header += ["Last Modified Date", "Stage", "Probability (%)", "Loss Reason"]
    header += ["Opportunity ID", "Account ID"]
    write_export(
        inbox,
        "Opportunities.csv",
        csv_bytes(
            [
                header,
                [SF_ANN, "Acme Corp", "Acme - 250 seats", "New Customer", "Web"]
                + ["USD 125,000.00", "USD", "3/31/2026", "1/20/2026, 10:15 AM"]
                + ["3/2/2026, 5:45 PM", "Negotiation/Review", "90", "", OPP1, ACME],
                [SF_ANN, "Acme Corp", "Acme - Support renewal", "Existing Customer - Upgrade"]
                + ["", "$18,500.50", "", "2/27/2026", "2/1/2026", "2/27/2026", "Closed Won"]
                + ["100", "", OPP2, ACME],
                [SF_BO, "Société Générale Services", "SG - Pilot", "New Customer"]
                + ["Partner Referral", "EUR 40,000.00", "EUR", "4/15/2026"]
                + ["2/10/2026, 9:00 AM", "3/1/2026, 8:00 PM", "Id. Decision Makers", "60"]
                + ["", OPP3, SOCGEN],
                # Created and lost on the same day, after the switch to daylight saving time.
                [SF_BO, "Globex", "Globex - Lines", "", "", "9,999.99", "USD", "3/10/2026"]
                + ["3/10/2026", "3/10/2026", "Closed Lost", "0", "Price", OPP4, GLOBEX],
                # A custom stage the profile does not know.
                [SF_ANN, "Globex", "Globex - Expansion", "", "", "50,000.00", "USD"]
                + ["6/30/2026", "2/15/2026", "2/20/2026", "On Hold", "10", "", OPP5, GLOBEX],
            ],
            **lightning,
        ),
    )
    write_export(
        inbox,
        "Activities.csv",
        csv_bytes(
            [
                ["Assigned", "Subject", "Type", "Task Subtype", "Date", "Start"]
                + ["Company / Account", "Related To", "Activity ID", "Account ID"]
                + ["Opportunity ID"],
                [SF_ANN, "Call: pricing", "Call", "Call", "3/2/2026", "", "Acme Corp"]
                + ["Acme - 250 seats", "00T5g00000Act1AAA1", ACME, OPP1],
                [SF_BO, "On-site workshop", "Meeting", "", "3/3/2026", "3/3/2026, 2:00 PM"]
                + ["Société Générale Services", "SG - Pilot", "00U5g00000Evt1AAA2", SOCGEN, OPP3],
                [SF_ANN, "Follow-up\r\nwith summary", "", "Email", "3/1/2026", "", "Globex"]
                + ["", "00T5g00000Act2AAA3", GLOBEX, ""],
            ],
            **lightning,
        ),
    )


def test_salesforce_report_exports_load_typed(con, tmp_path):
    inbox = tmp_path / "sf"
    salesforce_drop(inbox)
    results = load_drop(con, inbox, "salesforce")
    assert counts(results) == {
        "sales_reps": (3, 3, 0),
        "accounts": (3, 3, 0),
        "opportunities": (5, 4, 1),
        "activities": (3, 3, 0),
    }
    notes = results["accounts"].read_notes
    assert (notes["encoding"], notes["encoding_detected"]) == ("cp1252", True)

    reps = rows(
        con,
        "select rep_id, rep_name, email, team, region, manager_id, role "
        "from raw.sales_reps order by rep_id",
    )
    assert reps == [
        (SF_ANN, SF_ANN, "ann.lee@acme.example", "Western Sales Team", "West", SF_DANA,
         "Account Executive"),
        (SF_BO, SF_BO, "bo.chan@acme.example", "Eastern Sales Team", "Unassigned", SF_DANA,
         "Account Executive"),
        (SF_DANA, SF_DANA, "dana.cruz@acme.example", "Sales Management", "West", None,
         "VP Sales"),
    ]  # fmt: skip

    accounts = rows(
        con,
        "select account_id, account_name, channel, region, owner_rep_id, created_at, _extra "
        "from raw.accounts order by account_id",
    )
    assert accounts[0][:5] == (ACME, "Acme Corp", "direct", "CA", SF_ANN)
    assert accounts[0][5] == local(NY, 2026, 1, 15)
    assert json.loads(accounts[0][6]) == {"Employees": "250"}
    assert accounts[1][:5] == (GLOBEX, "Globex", "other", "NY", None)  # empty Type: default
    assert accounts[1][5] == local(NY, 2025, 12, 31, 23, 30)  # 2026-01-01 04:30 UTC
    assert accounts[2][:5] == (SOCGEN, "Société Générale Services", "distribution", "France", SF_BO)
    assert accounts[2][5] == local(NY, 2026, 2, 3, 16, 5)
    assert (GLOBEX, "missing_owner") in rows(con, "select record_id, rule from meta.row_findings")

    opps = rows(
        con,
        "select opportunity_id, account_id, owner_rep_id, name, stage, amount, currency, "
        "expected_close_date, created_at, closed_at, last_modified_at, lost_reason "
        "from raw.opportunities order by opportunity_id",
    )
    assert [o[:7] for o in opps] == [
        (OPP1, ACME, SF_ANN, "Acme - 250 seats", "negotiation", Decimal("125000"), "USD"),
        (OPP2, ACME, SF_ANN, "Acme - Support renewal", "won", Decimal("18500.50"), "USD"),
        (OPP3, SOCGEN, SF_BO, "SG - Pilot", "discovery", Decimal("40000"), "EUR"),
        (OPP4, GLOBEX, SF_BO, "Globex - Lines", "lost", Decimal("9999.99"), "USD"),
    ]
    by_id = {o[0]: o for o in opps}
    assert by_id[OPP1][7:11] == (
        date(2026, 3, 31),
        local(NY, 2026, 1, 20, 10, 15),
        local(NY, 2026, 3, 31, 23, 59, 59),
        local(NY, 2026, 3, 2, 17, 45),
    )
    # Date-only Created Date: local midnight; closed_at: the end of the Close Date.
    assert by_id[OPP2][8:10] == (local(NY, 2026, 2, 1), local(NY, 2026, 2, 27, 23, 59, 59))
    assert by_id[OPP2][9] == datetime(2026, 2, 28, 4, 59, 59, tzinfo=UTC)  # EST, UTC-5
    # Same-day lost deal after the DST switch (8 March 2026): EDT, UTC-4; not out of order.
    assert by_id[OPP4][8:12] == (
        datetime(2026, 3, 10, 4, 0, tzinfo=UTC),
        datetime(2026, 3, 11, 3, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 10, 4, 0, tzinfo=UTC),
        "Price",
    )

    acts = rows(
        con,
        "select activity_id, rep_id, account_id, opportunity_id, type, occurred_at "
        "from raw.activities order by activity_id",
    )
    assert acts == [
        ("00T5g00000Act1AAA1", SF_ANN, ACME, OPP1, "call", local(NY, 2026, 3, 2)),
        ("00T5g00000Act2AAA3", SF_ANN, GLOBEX, None, "email", local(NY, 2026, 3, 1)),
        # An event: its Start (date and time) wins over the Date column.
        ("00U5g00000Evt1AAA2", SF_BO, SOCGEN, OPP3, "meeting", local(NY, 2026, 3, 3, 14)),
    ]

    assert quarantined(con) == [
        ("opportunities", OPP5, "value_not_allowed", "stage", "On Hold"),
    ]
    out = check_cli(
        "salesforce",
        inbox,
        {
            "Users.csv": ("sales_reps", 3),
            "Accounts 2026-03-02.csv": ("accounts", 3),
            "Opportunities.csv": ("opportunities", 5),
            "Activities.csv": ("activities", 3),
        },
    )
    assert "closed_at              <- template '{Close Date} 23:59:59'" in out
    assert "'Negotiation/Review' -> 'negotiation' (1)" in out
    assert "stage: values outside" in out and "'on hold' (1)" in out


def test_salesforce_classic_footer_lines_never_load_as_records(con, tmp_path):
    inbox = tmp_path / "sf"
    salesforce_drop(inbox)
    users = (inbox / "Users.csv").read_bytes()
    footer = csv_bytes(
        [
            [""],
            ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
            ["Confidential Information - Do Not Distribute"],
            ["Generated By:  Dana Cruz  3/2/2026, 6:00 AM"],
            ["Acme, Inc."],
        ],
        quote_all=True,
    )
    write_export(inbox, "Users.csv", users + footer)
    results = load_drop(con, inbox, "salesforce")
    reps = results["sales_reps"]
    assert reps.rows_loaded == 3
    assert reps.rows_in == reps.rows_loaded + reps.rows_quarantined
    loaded = {r[0] for r in rows(con, "select rep_id from raw.sales_reps")}
    assert loaded == {SF_ANN, SF_BO, SF_DANA}


def test_salesforce_default_report_file_name_is_not_guessed(tmp_path):
    inbox = tmp_path / "sf"
    write_export(inbox, "report1772416800000.csv", b'"Full Name"\r\n"Ann Lee"\r\n')
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", "salesforce", "--inbox", str(inbox)]
    )
    assert "matching no entity of the profile, not read): report1772416800000.csv" in (
        result.output
    )
    assert result.exit_code == 1, result.output  # nothing would load: not a success
