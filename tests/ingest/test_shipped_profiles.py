"""The shipped vendor profiles (salesforce, hubspot, fxiaoke) on realistic export files.

Each test writes a night's drop the way the vendor exports it (real bytes: BOMs, CRLF,
GB18030, an XLSX with a merged title row), loads it entity by entity in dependency
order into a real DuckDB file, and checks every row's fate and typed value against
values worked out by hand. Expected instants are computed with zoneinfo from the
profile's timezone, so daylight-saving changes are checked, not assumed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from pipelines.cli import main
from pipelines.core.contract import load_order
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.load import FileResult, ingest_file
from pipelines.ingest.profiles.loader import load_profile, shipped_profiles
from tests.ingest.support import write_export

BUSINESS_TZ = "Asia/Shanghai"
NOW = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
NEW_YORK = "America/New_York"
SHANGHAI = "Asia/Shanghai"


def at(zone: str, *fields: int) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``."""
    return datetime(*fields, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def csv_bytes(
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    crlf: bool = True,
    quote_all: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def load_drop(con, inbox: Path, profile_name: str) -> dict[str, FileResult]:
    """Load every file of the drop, entities in dependency order (one load)."""
    profile = load_profile(profile_name)
    drop = scan_inbox(inbox, profile)
    assert drop.ignored == []
    con.execute(
        "insert into meta.loads values (1, 'run1', ?, ?, now(), null, 'running')",
        [date(2026, 3, 2), str(inbox)],
    )
    results = {}
    for entity in load_order():
        path = drop.entity_files.get(entity.name)
        if path is None:
            continue
        results[entity.name] = ingest_file(
            con,
            entity,
            path,
            load_id=1,
            run_id="run1",
            timezone=BUSINESS_TZ,
            now=NOW,
            profile=profile,
        )
    for r in results.values():
        assert r.status == "loaded", r.message
        assert r.rows_in == r.rows_loaded + r.rows_quarantined
    return results


def counts(results: dict[str, FileResult]) -> dict[str, tuple[int, int, int]]:
    return {e: (r.rows_in, r.rows_loaded, r.rows_quarantined) for e, r in results.items()}


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def quarantined(con) -> list[tuple]:
    return rows(
        con,
        "select entity, record_id, rule, column_name, value_seen from meta.quarantine "
        "order by entity, source_row",
    )


def check_cli(profile_name: str, inbox: Path, expected: dict[str, tuple[str, int]]) -> str:
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", profile_name, "--inbox", str(inbox)]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for file_name, (entity_name, n) in expected.items():
        assert f"{file_name} -> {entity_name}: {n} rows" in out, out
    assert "WOULD BE REJECTED" not in out
    assert "matches no entity" not in out
    return out


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
    assert accounts[0][5] == at(NEW_YORK, 2026, 1, 15)
    assert json.loads(accounts[0][6]) == {"Employees": "250"}
    assert accounts[1][:5] == (GLOBEX, "Globex", "other", "NY", None)  # empty Type: default
    assert accounts[1][5] == at(NEW_YORK, 2025, 12, 31, 23, 30)  # 2026-01-01 04:30 UTC
    assert accounts[2][:5] == (SOCGEN, "Société Générale Services", "distribution", "France", SF_BO)
    assert accounts[2][5] == at(NEW_YORK, 2026, 2, 3, 16, 5)
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
        at(NEW_YORK, 2026, 1, 20, 10, 15),
        at(NEW_YORK, 2026, 3, 31, 23, 59, 59),
        at(NEW_YORK, 2026, 3, 2, 17, 45),
    )
    # Date-only Created Date: local midnight; closed_at: the end of the Close Date.
    assert by_id[OPP2][8:10] == (at(NEW_YORK, 2026, 2, 1), at(NEW_YORK, 2026, 2, 27, 23, 59, 59))
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
        ("00T5g00000Act1AAA1", SF_ANN, ACME, OPP1, "call", at(NEW_YORK, 2026, 3, 2)),
        ("00T5g00000Act2AAA3", SF_ANN, GLOBEX, None, "email", at(NEW_YORK, 2026, 3, 1)),
        # An event: its Start (date and time) wins over the Date column.
        ("00U5g00000Evt1AAA2", SF_BO, SOCGEN, OPP3, "meeting", at(NEW_YORK, 2026, 3, 3, 14)),
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
    assert "report1772416800000.csv: matches no entity of the profile" in result.output


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
        (INITECH, "Initech", "direct", "Texas", HS_ANN, at(NEW_YORK, 2026, 1, 5, 14, 22),
         "+1 512 555 0142"),
        (UMBRELLA, "Umbrella GmbH", "distribution", "Germany", HS_BO,
         at(NEW_YORK, 2026, 2, 11, 9, 5), None),
        (HOOLI, "Hooli", "other", "California", None, at(NEW_YORK, 2026, 3, 1, 18, 40), None),
    ]  # fmt: skip

    opps = rows(
        con,
        "select opportunity_id, account_id, owner_rep_id, name, stage, amount, currency, "
        "expected_close_date, created_at, closed_at, lost_reason "
        "from raw.opportunities order by opportunity_id",
    )
    assert opps == [
        (DEAL1, INITECH, HS_ANN, "Initech - Platform", "proposal", Decimal("48000"), "USD",
         date(2026, 4, 30), at(NEW_YORK, 2026, 1, 6, 10), at(NEW_YORK, 2026, 4, 30), None),
        (DEAL2, UMBRELLA, HS_BO, "Umbrella - Distribution, EU", "won", Decimal("125000.5"),
         "USD", date(2026, 2, 27), at(NEW_YORK, 2026, 2, 12, 9, 30),
         datetime(2026, 2, 27, 21, 20, tzinfo=UTC), None),
        (DEAL3, HOOLI, HS_ANN, "Hooli - Pilot", "lost", Decimal("7500"), "USD",
         date(2026, 3, 10), at(NEW_YORK, 2026, 3, 2, 9),
         datetime(2026, 3, 10, 15, 0, tzinfo=UTC), "Went with a competitor"),
        (DEAL4, INITECH, HS_ANN, "Initech - Add-on", "negotiation", Decimal("12000"), "USD",
         date(2026, 3, 20), at(NEW_YORK, 2026, 2, 20, 13, 45), at(NEW_YORK, 2026, 3, 20),
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
        ("40013", HS_ANN, HOOLI, DEAL3, "email", at(NEW_YORK, 2026, 3, 3, 8, 5)),
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


# --------------------------------------------------------------------------- Fxiaoke

WANG, LI, CHEN = "王芳", "李强", "陈静"
XINGCHEN = "上海星辰科技有限公司"
YUNFAN = "杭州云帆贸易有限公司"
QIANHAI = "深圳前海智造有限公司"
O_PLATFORM = "星辰科技-数据平台采购"
O_RENEWAL = "云帆贸易-年度续约"
O_LINE = "前海智造-产线改造"
O_PHASE2 = "前海智造-二期"
O_TRAINING = "星辰科技-培训服务"


def fxiaoke_drop(inbox: Path) -> None:
    gb = {"encoding": "gb18030", "crlf": True}
    write_export(
        inbox,
        "员工列表_20260302.csv",
        csv_bytes(
            [
                ["员工编号", "姓名", "主属部门", "区域", "职位", "汇报对象", "邮箱", "手机号"]
                + ["入职日期", "员工状态"],
                ["E001", WANG, "华东销售一部", "华东", "销售经理", "", "wang.fang@example.cn"]
                + ["13812345678", "2023/7/1", "在职"],
                ["E002", LI, "华东销售一部", "华东", "客户经理", WANG, "li.qiang@example.cn"]
                + ["13987654321", "2024年3月15日", "在职"],
                ["E003", CHEN, "华南销售部", "--", "客户经理", WANG, "chen.jing@example.cn"]
                + ["", "2025-01-06", "在职"],
            ],
            **gb,
        ),
    )
    # A title line and a blank line above the header, as the list export writes them.
    write_export(
        inbox,
        "客户_20260302.csv",
        csv_bytes(
            [
                ["客户列表 导出时间 2026-03-02"],
                [],
                ["客户编号", "客户名称", "客户级别", "行业", "所属区域", "客户类型", "客户来源"]
                + ["负责人", "创建时间", "电话", "邮箱"],
                ["C0001", XINGCHEN, "A(重点客户)", "互联网", "华东", "直销", "官网", LI]
                + ["2026-01-08 10:20", "021-62345678", "info@xingchen.cn"],
                ["C0002", YUNFAN, "B(普通客户)", "批发零售", "华东", "代理商", "展会", LI]
                + ["2026/2/3 14:05", "13700001111", ""],
                ["C0003", QIANHAI, "", "制造业", "", "", "电话营销", CHEN]
                + ["2026年2月14日 下午3:30", "0755-88889999", "--"],
            ],
            **gb,
        ),
    )
    # 商机 as XLSX: merged title row above the header, text and typed cells mixed.
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    header = ["商机名称", "客户名称", "销售阶段", "商机金额", "预计成交日期", "负责人"]
    header += ["创建时间", "最后修改时间", "结单日期", "输单原因", "商机来源"]
    ws.append(["商机列表 导出时间 2026-03-02"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    ws.append(
        [O_PLATFORM, XINGCHEN, "方案/报价", "¥120,000.00", "2026/3/31", LI]
        + [datetime(2026, 1, 10, 9, 30), "2026-03-01 16:45", None, None, "官网"]
    )
    ws.append(
        [O_RENEWAL, YUNFAN, "赢单", "1.2万", "2026年2月28日", LI, "2026-02-01 11:00"]
        + ["2026-02-28 17:20", datetime(2026, 2, 28), None, "老客户"]
    )
    ws.append(
        [O_LINE, QIANHAI, "输单", 85000.5, "2026/4/30", CHEN, "2026-02-15 10:00"]
        + ["2026-02-26 09:00", "2026/2/26", "价格过高", "电话营销"]
    )
    ws.append(
        [O_PHASE2, QIANHAI, "初步接洽", "约5万", "2026/6/30", CHEN, "2026-02-27 15:00"]
        + ["2026-02-27 15:00", None, None, "电话营销"]
    )
    ws.append(
        [O_TRAINING, XINGCHEN, "需求确认", "¥8,800.00", datetime(2026, 5, 15), WANG]
        + ["2026-02-20 09:00", "2026-03-02 11:30", "--", "--", "老客户"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    write_export(inbox, "商机列表_20260302.xlsx", buf.getvalue())
    write_export(
        inbox,
        "跟进记录_20260302.csv",
        csv_bytes(
            [
                ["跟进人", "跟进时间", "跟进方式", "客户名称", "关联商机", "跟进内容"],
                [LI, "2026-03-01 14:30", "拜访", XINGCHEN, O_PLATFORM]
                + ["现场演示数据平台\r\n客户关注价格, 要求报价"],
                [LI, "2026/3/2 9:15", "电话", YUNFAN, "", "电话回访"],
                [CHEN, "2026年3月2日 上午10:00", "演示", QIANHAI, O_LINE, "产品演示"],
                [WANG, "2026-03-02 16:00", "报价", XINGCHEN, O_TRAINING, "发送报价单"],
            ],
            **gb,
        ),
    )


def test_fxiaoke_exports_load_typed(con, tmp_path):
    inbox = tmp_path / "fx"
    fxiaoke_drop(inbox)
    assert (inbox / "客户_20260302.csv").read_bytes()[:8] == "客户列表".encode("gb18030")
    results = load_drop(con, inbox, "fxiaoke")
    assert counts(results) == {
        "sales_reps": (3, 3, 0),
        "accounts": (3, 3, 0),
        "opportunities": (5, 4, 1),
        "activities": (4, 4, 0),
    }
    notes = results["accounts"].read_notes
    assert (notes["encoding"], notes["encoding_detected"]) == ("gb18030", True)
    assert notes["header_row"] == 3  # under the title line and a blank line

    reps = rows(
        con,
        "select rep_id, rep_name, team, region, manager_id, role, hired_on, email "
        "from raw.sales_reps order by hired_on",
    )
    assert reps == [
        (WANG, WANG, "华东销售一部", "华东", None, "销售经理", date(2023, 7, 1),
         "wang.fang@example.cn"),
        (LI, LI, "华东销售一部", "华东", WANG, "客户经理", date(2024, 3, 15),
         "li.qiang@example.cn"),
        (CHEN, CHEN, "华南销售部", "未分配", WANG, "客户经理", date(2025, 1, 6),
         "chen.jing@example.cn"),
    ]  # fmt: skip

    accounts = rows(
        con,
        "select account_id, account_name, channel, region, owner_rep_id, created_at, phone, "
        "email, industry from raw.accounts order by created_at",
    )
    assert accounts == [
        (XINGCHEN, XINGCHEN, "direct", "华东", LI, at(SHANGHAI, 2026, 1, 8, 10, 20),
         "021-62345678", "info@xingchen.cn", "互联网"),
        (YUNFAN, YUNFAN, "distribution", "华东", LI, at(SHANGHAI, 2026, 2, 3, 14, 5),
         "13700001111", None, "批发零售"),
        (QIANHAI, QIANHAI, "direct", "未分配", CHEN, datetime(2026, 2, 14, 7, 30, tzinfo=UTC),
         "0755-88889999", None, "制造业"),
    ]  # fmt: skip

    opps = rows(
        con,
        "select opportunity_id, account_id, owner_rep_id, stage, amount, currency, "
        "expected_close_date, created_at, closed_at, last_modified_at, lost_reason "
        "from raw.opportunities order by created_at",
    )
    assert opps == [
        (O_PLATFORM, XINGCHEN, LI, "proposal", Decimal("120000"), "CNY", date(2026, 3, 31),
         at(SHANGHAI, 2026, 1, 10, 9, 30), None, at(SHANGHAI, 2026, 3, 1, 16, 45), None),
        (O_RENEWAL, YUNFAN, LI, "won", Decimal("12000"), "CNY", date(2026, 2, 28),
         at(SHANGHAI, 2026, 2, 1, 11), datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC),
         at(SHANGHAI, 2026, 2, 28, 17, 20), None),
        (O_LINE, QIANHAI, CHEN, "lost", Decimal("85000.5"), "CNY", date(2026, 4, 30),
         at(SHANGHAI, 2026, 2, 15, 10), at(SHANGHAI, 2026, 2, 26, 23, 59, 59),
         at(SHANGHAI, 2026, 2, 26, 9), "价格过高"),
        (O_TRAINING, XINGCHEN, WANG, "discovery", Decimal("8800"), "CNY", date(2026, 5, 15),
         at(SHANGHAI, 2026, 2, 20, 9), None, at(SHANGHAI, 2026, 3, 2, 11, 30), None),
    ]  # fmt: skip
    assert quarantined(con) == [
        ("opportunities", O_PHASE2, "unparseable_value", "amount", "约5万"),
    ]

    acts = rows(
        con,
        "select activity_id, rep_id, account_id, opportunity_id, type, occurred_at, _extra "
        "from raw.activities order by occurred_at",
    )
    assert [a[:6] for a in acts] == [
        (f"{LI}@2026-03-01 14:30", LI, XINGCHEN, O_PLATFORM, "visit",
         at(SHANGHAI, 2026, 3, 1, 14, 30)),
        (f"{LI}@2026/3/2 9:15", LI, YUNFAN, None, "call", at(SHANGHAI, 2026, 3, 2, 9, 15)),
        (f"{CHEN}@2026年3月2日 上午10:00", CHEN, QIANHAI, O_LINE, "demo",
         datetime(2026, 3, 2, 2, 0, tzinfo=UTC)),
        (f"{WANG}@2026-03-02 16:00", WANG, XINGCHEN, O_TRAINING, "quote",
         at(SHANGHAI, 2026, 3, 2, 16)),
    ]  # fmt: skip
    # The quoted note with a line break and a comma stays one cell.
    assert json.loads(acts[0][6]) == {"跟进内容": "现场演示数据平台\r\n客户关注价格, 要求报价"}

    out = check_cli(
        "fxiaoke",
        inbox,
        {
            "员工列表_20260302.csv": ("sales_reps", 3),
            "客户_20260302.csv": ("accounts", 3),
            "商机列表_20260302.xlsx": ("opportunities", 5),
            "跟进记录_20260302.csv": ("activities", 4),
        },
    )
    assert "encoding gb18030 (detected: Chinese text)" in out
    assert "header found on row 2 under a title block" in out  # the merged XLSX title
    assert "header found on row 3 under a title block" in out  # the CSV title + blank line
    assert "amount: 1 value(s) unreadable" in out and "'约5万'" in out


# --------------------------------------------------------------------------- file patterns

#: Default export names of each vendor profile -> the entity they hold.
VENDOR_FILE_NAMES = {
    "salesforce": {
        "Users.csv": "sales_reps",
        "Users Report-2026-03-02-06-00-00.xlsx": "sales_reps",
        "Accounts 2026-03-02.csv": "accounts",
        "Accounts Report-2026-03-02-06-00-00.xlsx": "accounts",
        "Opportunities.csv.gz": "opportunities",
        "Opportunities Report-2026-03-02-06-00-00.xlsx": "opportunities",
        "Activities.csv": "activities",
        "Tasks and Events-2026-03-02-06-00-00.xlsx": "activities",
        "report1772416800000.csv": None,
    },
    "hubspot": {
        "sales_reps.csv": "sales_reps",
        "hubspot-crm-exports-all-companies-2026-03-02.csv": "accounts",
        "hubspot-crm-exports-all-companies-2026-03-02.xlsx": "accounts",
        "hubspot-crm-exports-all-deals-2026-03-02.csv": "opportunities",
        "hubspot-crm-exports-my-open-deals-2026-03-02.xlsx": "opportunities",
        "hubspot-crm-exports-all-activities-2026-03-02.csv": "activities",
        "products.csv": "products",
    },
    "fxiaoke": {
        "员工列表_20260302.xlsx": "sales_reps",
        "员工_20260302.csv": "sales_reps",
        "通讯录.xlsx": "sales_reps",
        "客户_20260302.csv": "accounts",
        "客户列表_20260302.xlsx": "accounts",
        "商机列表_20260302.xlsx": "opportunities",
        "商机_20260302.csv.gz": "opportunities",
        "跟进记录_20260302.csv": "activities",
        "客户跟进记录_20260302.xlsx": "activities",
        "销售记录.xlsx": "activities",
    },
}


def _example(pattern: str) -> str:
    """A file name the glob ``pattern`` matches."""
    name = re.sub(r"\[!?(.)[^\]]*\]", r"\1", pattern)
    return name.replace("*", "_2026-03-02").replace("?", "x")


def _claimants(profile, file_name: str) -> list[str]:
    return [name for name, m in profile.entities.items() if m.matches(file_name)]


@pytest.mark.parametrize("name", sorted(shipped_profiles()))
def test_file_patterns_claim_each_example_name_once(name):
    profile = load_profile(name)
    for entity_name, mapping in profile.entities.items():
        for pattern in mapping.files:
            example = _example(pattern)
            assert _claimants(profile, example) == [entity_name], (pattern, example)
    for file_name, entity_name in VENDOR_FILE_NAMES.get(name, {}).items():
        expected = [entity_name] if entity_name else []
        assert _claimants(profile, file_name) == expected, file_name


def test_vendor_profiles_are_shipped_with_their_quirks_documented():
    for name in VENDOR_FILE_NAMES:
        path = shipped_profiles()[name]
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# "), name
        assert "quirks" in text.split("\nprofile:")[0], name
        assert load_profile(name).profile == name
