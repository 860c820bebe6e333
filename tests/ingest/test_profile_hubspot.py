"""The shipped hubspot profile on a realistic HubSpot export.

The test writes a night's drop as the vendor exports it (real bytes), loads it entity by
entity in dependency order into a real DuckDB file (support.load_drop), and checks every
row's fate and typed value against values worked out by hand. Expected instants come from
zoneinfo in the profile's timezone, so daylight-saving changes are checked, not assumed.
Other vendors: test_profile_*.py; every shipped profile's file patterns:
test_shipped_profiles.py.
"""

from __future__ import annotations

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
    write_export(
        inbox,
        "hubspot-crm-exports-all-deals-2026-03-02.csv",
        csv_bytes(
            [
                header,
                [DEAL1, "Initech - Platform", "Presentation Scheduled", "Sales Pipeline"]
                + ["48000", "2026-04-30", "2026-01-06 10:00", "2026-03-02 08:15", HS_ANN]
                + [INITECH, "Initech", "", "newbusiness"],
                [DEAL2, "Umbrella - Distribution, EU", "Closed Won (Sales Pipeline)"]
                + ["Sales Pipeline", "125000.5", "2026-02-27 16:20", "2026-02-12 09:30"]
                + ["2026-02-27 16:21", HS_BO, UMBRELLA, "Umbrella GmbH", "", "newbusiness"],
                [DEAL3, "Hooli - Pilot", "Closed Lost", "Sales Pipeline", "7500"]
                + ["2026-03-10 11:00", "2026-03-02 09:00", "2026-03-10 11:05", HS_ANN, HOOLI]
                + ["Hooli", "Went with a competitor", ""],
                [DEAL4, "Initech - Add-on", "Contract Sent", "Sales Pipeline", "12000"]
                + ["2026-03-20", "2026-02-20 13:45", "2026-03-01 10:00", HS_ANN, INITECH]
                + ["Initech", "", "existingbusiness"],
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
    assert counts(results) == {
        "sales_reps": (2, 2, 0),
        "accounts": (3, 3, 0),
        "opportunities": (4, 4, 0),
        "activities": (4, 3, 1),
    }

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
    assert "type: values outside" in out and "'note' (1)" in out
