"""The shipped hubspot profile on a realistic HubSpot export.

The test writes a night's drop as the vendor exports it (real bytes), loads it entity by
entity in dependency order into a real DuckDB file (support.load_drop), and checks every
row's fate and typed value against values worked out by hand. Expected instants come from
zoneinfo in the profile's timezone, so daylight-saving changes are checked, not assumed.
Other vendors: test_profile_*.py; every shipped profile's file patterns:
test_shipped_profiles.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

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

# --------------------------------------------------------------------------- HubSpot

HS_ANN, HS_BO = "Ann Lee", "Bo Chan"
INITECH, UMBRELLA, HOOLI = "5872391001", "5872391002", "5872391003"
DEAL1, DEAL2, DEAL3, DEAL4 = (f"1928374650{i}" for i in range(1, 5))
#: The default "Sales Pipeline" stages, as their Date entered columns name them.
HS_STAGES = [
    "Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled",
    "Decision Maker Bought-In", "Contract Sent", "Closed Won", "Closed Lost",
]  # fmt: skip
#: How the warehouse's stages correspond to them (what a HubSpot admin would say).
HS_STAGE_MEANS = dict(
    zip(HS_STAGES, ["qualified", "discovery", "proposal", "negotiation", "negotiation", "won",
                    "lost"], strict=True)
)  # fmt: skip


def hubspot_drop(inbox: Path) -> None:
    write_export(
        inbox,
        "sales_reps.csv",
        csv_bytes(
            [
                ["rep_id", "rep_name", "email", "team", "region", "manager_id", "role"]
                + ["hired_on", "left_on"],
                [HS_ANN, HS_ANN, "ann@initrode.example", "Inbound", "East", HS_BO, "AE"]
                + ["2024-05-06", ""],
                [HS_BO, HS_BO, "bo@initrode.example", "Inbound", "East", "", "Manager"]
                + ["2022-01-10", ""],
            ],
            crlf=False,
        ),
    )
    # Companies as XLSX: ids are number cells, one Create Date a real date-time cell.
    wb = Workbook()
    ws = wb.active
    ws.title = "Companies"
    ws.append(
        ["Record ID", "Company name", "Company owner", "Create Date", "Phone Number", "Type"]
        + ["Industry", "State/Region", "Country/Region", "Number of Employees"]
    )
    ws.append(
        [int(INITECH), "Initech", HS_ANN, datetime(2026, 1, 5, 14, 22), "+1 512 555 0142"]
        + ["PROSPECT", "Computer Software", "Texas", "United States", 120]
    )
    ws.append(
        [int(UMBRELLA), "Umbrella GmbH", HS_BO, "2026-02-11 09:05", None, "Reseller"]
        + ["Pharmaceuticals", None, "Germany", None]
    )
    ws.append(
        [int(HOOLI), "Hooli", None, "2026-03-01 18:40", None, None, "Internet", "California"]
        + ["United States", 5000]
    )
    buf = io.BytesIO()
    wb.save(buf)
    write_export(inbox, "hubspot-crm-exports-all-companies-2026-03-02.xlsx", buf.getvalue())

    header = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date"]
    header += ["Create Date", "Last Modified Date", "Deal owner"]
    header += ["Associated Company IDs (Primary)", "Associated Company (Primary)"]
    header += ["Closed Lost Reason", "Deal Type"]
    header += [f'Date entered "{s} (Sales Pipeline)"' for s in HS_STAGES]
    header += ['Date exited "Appointment Scheduled (Sales Pipeline)"']
    header += ['Cumulative time in "Appointment Scheduled (Sales Pipeline)" (HH:mm:ss)']
    # Date entered per stage, in HS_STAGES order ("" = never entered)
    entered = {
        DEAL1: ["2026-01-06 10:00", "2026-01-20 09:00", "2026-02-10 14:30", "", "", "", ""],
        DEAL2: ["2026-02-12 09:30", "", "", "2026-02-20 11:00", "2026-02-25 16:00"]
        + ["2026-02-27 16:20", ""],
        # straight to lost, the day daylight saving time starts in New York
        DEAL3: ["2026-03-02 09:00", "", "", "", "", "", "2026-03-08 03:30"],
        DEAL4: [""] * 7,  # imported deal: HubSpot has no stage dates for it
    }
    write_export(
        inbox,
        "hubspot-crm-exports-all-deals-2026-03-02.csv",
        csv_bytes(
            [
                header,
                [DEAL1, "Initech - Platform", "Presentation Scheduled", "Sales Pipeline"]
                + ["48000", "2026-04-30", "2026-01-06 10:00", "2026-03-02 08:15", HS_ANN]
                + [INITECH, "Initech", "", "newbusiness", *entered[DEAL1]]
                + ["2026-01-20 09:00", "336:00:00"],
                [DEAL2, "Umbrella - Distribution, EU", "Closed Won (Sales Pipeline)"]
                + ["Sales Pipeline", "125000.5", "2026-02-27 16:20", "2026-02-12 09:30"]
                + ["2026-02-27 16:21", HS_BO, UMBRELLA, "Umbrella GmbH", "", "newbusiness"]
                + [*entered[DEAL2], "2026-02-20 11:00", "193:30:00"],
                [DEAL3, "Hooli - Pilot", "Closed Lost", "Sales Pipeline", "7500"]
                + ["2026-03-10 11:00", "2026-03-02 09:00", "2026-03-10 11:05", HS_ANN, HOOLI]
                + ["Hooli", "Went with a competitor", "", *entered[DEAL3], "", ""],
                [DEAL4, "Initech - Add-on", "Contract Sent", "Sales Pipeline", "12000"]
                + ["2026-03-20", "2026-02-20 13:45", "2026-03-01 10:00", HS_ANN, INITECH]
                + ["Initech", "", "existingbusiness", *entered[DEAL4], "", ""],
            ],
            crlf=False,
        ),
    )
    write_export(
        inbox,
        "hubspot-crm-exports-all-activities-2026-03-02.csv",
        csv_bytes(
            [
                ["Record ID", "Activity type", "Activity date", "Activity assigned to"]
                + ["Associated Company IDs", "Associated Deal IDs", "Call and meeting type"],
                ["40011", "Call", "2026-03-02 10:30", HS_ANN, INITECH, DEAL1, ""],
                ["40012", "Meeting", "2026-03-09 15:00", HS_BO, UMBRELLA, "", "Demo"],
                ["40013", "Incoming email", "2026-03-03 08:05", HS_ANN, HOOLI, DEAL3, ""],
                ["40014", "Note", "2026-03-03 09:00", HS_ANN, INITECH, "", ""],
            ],
            crlf=False,
        ),
    )


def test_hubspot_exports_load_typed(con, tmp_path):
    inbox = tmp_path / "hs"
    hubspot_drop(inbox)
    results = load_drop(con, inbox, "hubspot")
    stage_rows = hubspot_stage_history(inbox / "hubspot-crm-exports-all-deals-2026-03-02.csv")
    assert counts(results) == {
        "sales_reps": (2, 2, 0),
        "accounts": (3, 3, 0),
        "opportunities": (4, 4, 0),
        "opportunity_stage_history": (len(stage_rows), len(stage_rows), 0),
        "activities": (4, 3, 1),
    }
    # one stage-history row per non-empty Date entered cell, read in the account's timezone
    history = rows(
        con, "select opportunity_id, stage, entered_at from raw.opportunity_stage_history"
    )
    assert sorted(history) == sorted(stage_rows)
    assert (DEAL3, "lost", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) in history  # EDT, UTC-4
    notes = results["opportunity_stage_history"].read_notes["notes"]
    assert any("1 export row(s) skipped" in n and "Date entered" in n for n in notes), notes
    # Close Date is the close date as HubSpot shows it: the date written, whatever the zone
    assert rows(con, "select opportunity_id, close_date from raw.opportunities order by 1") == [
        (DEAL1, date(2026, 4, 30)),
        (DEAL2, date(2026, 2, 27)),
        (DEAL3, date(2026, 3, 10)),
        (DEAL4, date(2026, 3, 20)),
    ]

    accounts = rows(
        con,
        "select account_id, account_name, channel, region, owner_rep_id, created_at, phone "
        "from raw.accounts order by account_id",
    )
    assert accounts == [
        (INITECH, "Initech", "direct", "Texas", HS_ANN, local(NY, 2026, 1, 5, 14, 22),
         "+1 512 555 0142"),
        (UMBRELLA, "Umbrella GmbH", "distribution", "Germany", HS_BO,
         local(NY, 2026, 2, 11, 9, 5), None),
        (HOOLI, "Hooli", "other", "California", None, local(NY, 2026, 3, 1, 18, 40), None),
    ]  # fmt: skip

    opps = rows(
        con,
        "select opportunity_id, account_id, owner_rep_id, name, stage, amount, currency, "
        "expected_close_date, created_at, closed_at, lost_reason "
        "from raw.opportunities order by opportunity_id",
    )
    assert opps == [
        (DEAL1, INITECH, HS_ANN, "Initech - Platform", "proposal", Decimal("48000"), "USD",
         date(2026, 4, 30), local(NY, 2026, 1, 6, 10), local(NY, 2026, 4, 30), None),
        (DEAL2, UMBRELLA, HS_BO, "Umbrella - Distribution, EU", "won", Decimal("125000.5"),
         "USD", date(2026, 2, 27), local(NY, 2026, 2, 12, 9, 30),
         datetime(2026, 2, 27, 21, 20, tzinfo=UTC), None),
        (DEAL3, HOOLI, HS_ANN, "Hooli - Pilot", "lost", Decimal("7500"), "USD",
         date(2026, 3, 10), local(NY, 2026, 3, 2, 9),
         datetime(2026, 3, 10, 15, 0, tzinfo=UTC), "Went with a competitor"),
        (DEAL4, INITECH, HS_ANN, "Initech - Add-on", "negotiation", Decimal("12000"), "USD",
         date(2026, 3, 20), local(NY, 2026, 2, 20, 13, 45), local(NY, 2026, 3, 20),
         None),
    ]  # fmt: skip

    acts = rows(
        con,
        "select activity_id, rep_id, account_id, opportunity_id, type, occurred_at, _extra "
        "from raw.activities order by activity_id",
    )
    assert [a[:6] for a in acts] == [
        ("40011", HS_ANN, INITECH, DEAL1, "call", datetime(2026, 3, 2, 15, 30, tzinfo=UTC)),
        ("40012", HS_BO, UMBRELLA, None, "meeting", datetime(2026, 3, 9, 19, 0, tzinfo=UTC)),
        ("40013", HS_ANN, HOOLI, DEAL3, "email", local(NY, 2026, 3, 3, 8, 5)),
    ]
    assert json.loads(acts[1][6]) == {"Call and meeting type": "Demo"}
    assert quarantined(con) == [("activities", "40014", "value_not_allowed", "type", "Note")]

    out = check_cli(
        "hubspot",
        inbox,
        {
            "sales_reps.csv": ("sales_reps", 2),
            "hubspot-crm-exports-all-companies-2026-03-02.xlsx": ("accounts", 3),
            "hubspot-crm-exports-all-deals-2026-03-02.csv": ("opportunities", 4),
            "hubspot-crm-exports-all-activities-2026-03-02.csv": ("activities", 4),
        },
    )
    assert "'Closed Won (Sales Pipeline)' -> 'won' (1)" in out
    assert "deals-2026-03-02.csv -> opportunity_stage_history: 9 rows" in out
    assert "stage                  <- the * of the headers 'Date entered *'" in out
    assert "type: values outside" in out and "'note' (1)" in out


def hubspot_stage_history(deals_csv: Path) -> list[tuple]:
    """(deal, stage, entered at) of every non-empty Date entered "<stage>" cell, the cell
    read as wall-clock time in the account's timezone (New York)."""
    with open(deals_csv, encoding="utf-8", newline="") as f:
        deals = list(csv.DictReader(f))
    out = []
    for deal in deals:
        for header, cell in deal.items():
            if header.startswith("Date entered ") and cell:
                label = header.removeprefix("Date entered ").strip('"')
                stage = HS_STAGE_MEANS[label.removesuffix(" (Sales Pipeline)")]
                when = datetime.strptime(cell, "%Y-%m-%d %H:%M")
                out.append((deal["Record ID"], stage, local(NY, *when.timetuple()[:5])))
    return out


# ------------------------------------------- users, contacts and per-type activity exports

CAROL = "Carol Díaz"


def hubspot_people_drop(inbox: Path) -> None:
    """A drop with HubSpot's users export instead of sales_reps.csv, the contacts export
    and calls and meetings exported per type."""
    write_export(
        inbox,
        "users-2026-03-02.csv",
        csv_bytes(
            [
                ["User ID", "First Name", "Last Name", "Email", "Last login", "Teams", "Role"]
                + ["Permissions"],
                ["51001", "Ann", "Lee", "ann@initrode.example", "2026-03-01", "Inbound"]
                + ["Sales Rep", "Sales Hub Professional"],
                ["51002", "Bo", "Chan", "bo@initrode.example", "", "", "Sales Manager", ""],
                ["51003", "Carol", "Díaz", "carol@initrode.example", "", "Outbound", "", ""],
            ],
            bom=True,
        ),
    )
    write_export(
        inbox,
        "hubspot-crm-exports-all-companies-2026-03-02.csv",
        csv_bytes(
            [
                ["Record ID", "Company name", "Company owner", "Create Date", "Type"],
                [INITECH, "Initech", HS_ANN, "2026-01-05 14:22", "Prospect"],
            ]
        ),
    )
    header = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date"]
    header += ["Deal owner", "Associated Company IDs", 'Date entered "Closed Won (Sales Pipeline)"']
    write_export(
        inbox,
        "hubspot-crm-exports-all-deals-2026-03-02.csv",
        csv_bytes(
            [
                header,
                [DEAL1, "Initech - Platform", "Closed Won", "48000", "2026-03-31"]
                + ["2026-01-06 10:00", CAROL, INITECH, "2026-03-31 21:30"],
            ]
        ),
    )
    write_export(
        inbox,
        "hubspot-crm-exports-all-contacts-2026-03-02.csv",
        csv_bytes(
            [
                ["Record ID", "First Name", "Last Name", "Email", "Phone Number"]
                + ["Contact owner", "Company Name", "Lifecycle Stage", "Lead Status"]
                + ["Original Source", "Create Date", "Became an Opportunity Date"],
                ["701", "Peter", "Gibbons", "peter@initech.example", "+1 512 555 0101", HS_ANN]
                + ["Initech", "Opportunity", "Open Deal", "Organic Search", "2026-01-02 09:00"]
                + ["2026-01-06 10:00"],
                [
                    "702",
                    "Milton",
                    "Waddams",
                    "",
                    "",
                    HS_BO,
                    "Initech",
                    "Lead",
                    "Attempted to Contact",
                ]
                + ["Offline Sources", "2026-02-01 08:00", ""],
                ["703", "Bill", "Lumbergh", "", "", HS_BO, "Initech", "Sales Qualified Lead"]
                + ["Connected", "", "2026-02-02 08:00", ""],
                ["704", "Joanna", "", "", "", CAROL, "Chotchkie's", "Lead", "", "Direct Traffic"]
                + ["2026-02-03 08:00", ""],
                ["705", "Dom", "Portwood", "", "", HS_ANN, "Penetrode", "Lead", "Unqualified"]
                + ["Paid Social", "2026-02-04 08:00", ""],
                ["706", "News", "Reader", "news@example.com", "", "", "", "Subscriber", ""]
                + ["Email Marketing", "2026-02-05 08:00", ""],
            ]
        ),
    )
    activity = ["Record ID", "Activity date", "Activity assigned to", "Associated Company IDs"]
    activity += ["Associated Deal IDs"]
    write_export(
        inbox,
        "hubspot-crm-exports-all-calls-2026-03-02.csv",
        csv_bytes(
            [
                [*activity, "Call outcome", "Call direction"],
                ["90001", "2026-03-02 10:30", HS_ANN, INITECH, DEAL1, "Connected", "Outbound"],
                ["90002", "2026-03-02 11:00", CAROL, INITECH, "", "No answer", "Outbound"],
            ]
        ),
    )
    write_export(
        inbox,
        "hubspot-crm-exports-all-meetings-2026-03-02.csv",
        csv_bytes(
            [
                [*activity, "Meeting name"],
                ["90101", "2026-03-03 15:00", HS_BO, INITECH, DEAL1, "Kick-off"],
            ]
        ),
    )


def test_hubspot_users_contacts_and_per_type_activities(con, tmp_path):
    inbox = tmp_path / "hs"
    hubspot_people_drop(inbox)
    results = load_drop(con, inbox, "hubspot")
    assert counts(results) == {
        "sales_reps": (3, 3, 0),
        "accounts": (1, 1, 0),
        "leads": (5, 5, 0),
        "opportunities": (1, 1, 0),
        "opportunity_stage_history": (1, 1, 0),
        "activities": (3, 3, 0),
    }
    # the owner names of the other exports are "<First Name> <Last Name>" of the users export
    assert rows(con, "select rep_id, email, team, region, role from raw.sales_reps order by 1") == [
        (HS_ANN, "ann@initrode.example", "Inbound", "Unassigned", "Sales Rep"),
        (HS_BO, "bo@initrode.example", "Unassigned", "Unassigned", "Sales Manager"),
        (CAROL, "carol@initrode.example", "Outbound", "Unassigned", None),
    ]
    leads = rows(
        con,
        "select lead_id, owner_rep_id, company_name, status, source, converted_at "
        "from raw.leads order by lead_id",
    )
    assert leads == [
        ("701", HS_ANN, "Initech", "converted", "Organic Search", local(NY, 2026, 1, 6, 10)),
        ("702", HS_BO, "Initech", "working", "Offline Sources", None),
        ("703", HS_BO, "Initech", "qualified", "Unknown", None),
        ("704", CAROL, "Chotchkie's", "new", "Direct Traffic", None),
        ("705", HS_ANN, "Penetrode", "disqualified", "Paid Social", None),
    ]
    notes = results["leads"].read_notes["notes"]
    assert any("1 export row(s) skipped" in n and "Lifecycle Stage" in n for n in notes), notes
    # calls and meetings exported per type: one activities export
    acts = rows(con, "select activity_id, rep_id, type, opportunity_id from raw.activities")
    assert sorted(acts) == [
        ("90001", HS_ANN, "call", DEAL1),
        ("90002", CAROL, "call", None),
        ("90101", HS_BO, "meeting", DEAL1),
    ]
    assert rows(con, "select stage, entered_at from raw.opportunity_stage_history") == [
        ("won", local(NY, 2026, 3, 31, 21, 30))
    ]
    assert rows(con, "select close_date from raw.opportunities") == [(date(2026, 3, 31),)]
