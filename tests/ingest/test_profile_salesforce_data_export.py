"""The shipped salesforce profile on an unzipped Salesforce Data Export folder.

The test writes the folder as Setup > Data Export does (one CSV per object, API names, UTC
timestamps, 000000000000000AAA as an empty lookup, a latin-1 file, unrelated objects),
with an org whose stages are custom (read through a profile extending the shipped one),
loads it into a real DuckDB warehouse and compares won/lost per quarter of CloseDate, won
amount and open pipeline with what Salesforce shows, worked out here from the CSV rows.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract import ENTITY_BY_NAME, load_order
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.load import ingest_file
from pipelines.ingest.profiles.loader import load_profile
from tests.ingest.support import DROP_NOW, SH, csv_bytes, rows, write_export

EMPTY = "000000000000000AAA"
ANN, BO, CY = "0055g00000AnnAAAA1", "0055g00000BoAAAAA2", "0055g00000CyAAAAA3"
WEST, EAST = "00E5g000000WestAA1", "00E5g000000EastAA2"
ACME, SOCGEN = "0015g00000AcmeAAA1", "0015g00000SocGAAA2"

OUR_ORG = """\
profile: our_org
extends: salesforce
defaults: {timezone: Europe/Madrid}
values:
  stage:
    discovery: [需求确认, Discovery Call]
    negotiation: [Contract Review, Legal]
"""

OPP_HEADER = [
    "Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate",
    "IsClosed", "IsWon", "ForecastCategory", "CurrencyIsoCode", "OwnerId", "CreatedDate",
    "LastModifiedDate", "FiscalQuarter",
]  # fmt: skip
# Custom stage names: "Signed" is the org's closed-won stage, "Dead" its closed-lost one.
OPPS = [
    ["0065g0000001AAAAA1", "false", ACME, "Acme renewal", "Signed", "12000.50", "100",
     "2026-01-15", "true", "true", "Closed", "USD", ANN, "2025-11-02T09:00:00.000Z",
     "2026-01-15T18:00:00.000Z", "1"],
    ["0065g0000002AAAAA2", "false", SOCGEN, "SocGen pilot", "Dead", "8000", "0",
     "2026-02-27", "true", "false", "Omitted", "USD", BO, "2025-12-01T10:00:00.000Z",
     "2026-02-27T10:00:00.000Z", "1"],
    ["0065g0000003AAAAA3", "false", ACME, "Acme upsell", "Signed", "4999.99", "100",
     "2026-03-31", "true", "true", "Closed", "USD", BO, "2026-01-10T08:00:00.000Z",
     "2026-03-31T22:30:00.000Z", "1"],
    ["0065g0000004AAAAA4", "false", SOCGEN, "SocGen rollout", "Signed", "30000", "100",
     "2026-04-02", "true", "true", "Closed", "USD", ANN, "2026-02-01T08:00:00.000Z",
     "2026-04-02T07:00:00.000Z", "2"],
    ["0065g0000005AAAAA5", "false", ACME, "Acme expansion", "Discovery Call", "15000.25", "20",
     "2026-06-30", "false", "false", "Pipeline", "USD", ANN, "2026-03-01T08:00:00.000Z",
     "2026-03-02T08:00:00.000Z", "2"],
    ["0065g0000006AAAAA6", "false", SOCGEN, "SocGen legal", "Legal", "22000", "80",
     "2026-05-15", "false", "false", "Commit", "USD", BO, "2026-02-15T08:00:00.000Z",
     "2026-03-01T08:00:00.000Z", "2"],
    ["0065g0000007AAAAA7", "false", ACME, "Acme lost again", "Dead", "500", "0",
     "2026-04-20", "true", "false", "Omitted", "USD", BO, "2026-03-01T08:00:00.000Z",
     "2026-04-20T08:00:00.000Z", "2"],
    # deleted in Salesforce (export "including deleted records"): not a deal
    ["0065g0000008AAAAA8", "true", ACME, "Deleted deal", "Signed", "99999", "100",
     "2026-01-20", "true", "true", "Closed", "USD", ANN, "2025-10-01T08:00:00.000Z",
     "2026-01-20T08:00:00.000Z", "1"],
]  # fmt: skip


def data_export(inbox: Path) -> None:
    def w(name, table, **kw):
        write_export(inbox, name, csv_bytes(table, crlf=False, quote_all=True, **kw))

    w("UserRole.csv", [["Id", "Name", "ParentRoleId"], [WEST, "West Sales", EMPTY],
                       [EAST, "East Sales", EMPTY]])  # fmt: skip
    w("User.csv", [
        ["Id", "Username", "Name", "Email", "UserRoleId", "Division", "ManagerId", "Title",
         "IsActive", "IsDeleted"],
        [ANN, "ann@acme.example", "Ann Lee", "ann@acme.example", WEST, "West", CY, "AE",
         "true", "false"],
        [BO, "bo@acme.example", "Bo Chan", "bo@acme.example", EAST, "", CY, "AE", "true", ""],
        [CY, "cy@acme.example", "Cy Díaz", "cy@acme.example", EMPTY, "", EMPTY, "VP", "true",
         "false"],
    ])  # fmt: skip
    # Account.csv from an org exporting ISO-8859-1 (latin-1)
    w("Account.csv", [
        ["Id", "IsDeleted", "Name", "Type", "Industry", "BillingState", "BillingCountry",
         "OwnerId", "CreatedDate", "Phone", "ParentId"],
        [ACME, "false", "Acme Corp", "Customer - Direct", "Manufacturing", "CA", "USA", ANN,
         "2024-05-11T14:03:00.000Z", "+1 415 555 0100", EMPTY],
        [SOCGEN, "false", "Société Générale", "Customer - Channel", "Banking", "", "France",
         BO, "2024-06-01T08:00:00.000Z", "+33 1 42 14 20 00", EMPTY],
    ], encoding="latin-1")  # fmt: skip
    w("Opportunity.csv", [OPP_HEADER, *OPPS])
    w("OpportunityHistory.csv", [
        ["Id", "IsDeleted", "OpportunityId", "CreatedDate", "StageName", "Amount",
         "Probability", "ForecastCategory", "CloseDate"],
        ["0085g01", "false", OPPS[0][0], "2025-11-02T09:00:00.000Z", "Discovery Call", "10000",
         "20", "Pipeline", "2026-01-31"],
        # an amount edit: same stage again
        ["0085g02", "false", OPPS[0][0], "2025-12-02T09:00:00.000Z", "Discovery Call",
         "12000.50", "20", "Pipeline", "2026-01-31"],
        ["0085g03", "false", OPPS[0][0], "2026-01-15T18:00:00.000Z", "Signed", "12000.50",
         "100", "Closed", "2026-01-15"],
        ["0085g04", "false", OPPS[1][0], "2025-12-01T10:00:00.000Z", "Contract Review",
         "8000", "60", "BestCase", "2026-02-27"],
        ["0085g05", "false", OPPS[1][0], "2026-02-27T10:00:00.000Z", "Dead", "8000", "0",
         "Omitted", "2026-02-27"],
    ])  # fmt: skip
    w("Product2.csv", [["Id", "IsDeleted", "Name", "Family", "ProductCode"],
                       ["01t5g01", "false", "Widget Pro", "Widgets", "WP"]])  # fmt: skip
    w("OpportunityLineItem.csv", [["Id", "OpportunityId", "Product2Id", "Quantity"],
                                  ["00k5g01", OPPS[0][0], "01t5g01", "3"]])  # fmt: skip
    w("Lead.csv", [
        ["Id", "IsDeleted", "Company", "Status", "LeadSource", "OwnerId", "CreatedDate",
         "IsConverted", "ConvertedDate", "ConvertedOpportunityId", "Email", "Phone"],
        ["00Q5g01", "false", "Acme Corp", "Closed - Converted", "Web", ANN,
         "2025-10-20T12:00:00.000Z", "true", "2025-11-02", OPPS[0][0], "", ""],
        ["00Q5g02", "false", "Initech", "Working - Contacted", "", BO,
         "2026-02-20T12:00:00.000Z", "false", "", EMPTY, "", ""],
    ])  # fmt: skip
    w("Task.csv", [
        ["Id", "IsDeleted", "OwnerId", "AccountId", "WhatId", "Type", "TaskSubtype",
         "ActivityDate", "Subject"],
        ["00T5g01", "false", ANN, ACME, OPPS[0][0], "Call", "Call", "2026-01-05", "Call Acme"],
        ["00T5g02", "false", BO, SOCGEN, SOCGEN, "", "Email", "2026-02-10", "Mail"],
    ])  # fmt: skip
    w("Event.csv", [
        ["Id", "IsDeleted", "OwnerId", "AccountId", "WhatId", "Type", "EventSubtype",
         "StartDateTime", "ActivityDateTime", "ActivityDate", "Subject"],
        ["00U5g01", "false", BO, SOCGEN, OPPS[1][0], "Meeting", "Event",
         "2026-02-01T09:30:00.000Z", "2026-02-01T09:30:00.000Z", "2026-02-01", "Meet"],
    ])  # fmt: skip
    w("CurrencyType.csv", [["Id", "IsoCode", "ConversionRate", "IsActive", "IsCorporate"],
                           ["01L1", "USD", "1.000000", "true", "true"],
                           ["01L2", "EUR", "0.800000", "true", "false"]])  # fmt: skip
    # objects the warehouse does not use: never opened (not even valid CSV)
    write_export(inbox, "Contact.csv", b"\x00\x01 not read")
    write_export(inbox, "Case.csv", b"\xff\xfe\x00 not read")
    write_export(inbox, "AccountContactRelation.csv", "Id\n1\n")


def salesforce_view(inbox: Path):
    """Won/lost per quarter of CloseDate, won amount and open pipeline as Salesforce
    reports them, from the CSV rows (IsDeleted rows are not records)."""
    with open(inbox / "Opportunity.csv", encoding="utf-8", newline="") as f:
        opps = [r for r in csv.DictReader(f) if r["IsDeleted"] != "true"]
    per_quarter: Counter = Counter()
    won_amount: dict = defaultdict(Decimal)
    open_pipeline = Decimal(0)
    for r in opps:
        close = date.fromisoformat(r["CloseDate"])
        quarter = f"{close.year}-Q{(close.month - 1) // 3 + 1}"
        if r["IsClosed"] == "true":
            outcome = "won" if r["IsWon"] == "true" else "lost"
            per_quarter[(quarter, outcome)] += 1
            if outcome == "won":
                won_amount[quarter] += Decimal(r["Amount"])
        else:
            open_pipeline += Decimal(r["Amount"])
    return per_quarter, dict(won_amount), open_pipeline


def _load(con, inbox: Path, profile_path: str):
    profile = load_profile(profile_path)
    drop = scan_inbox(inbox, profile)
    con.execute(
        "insert into meta.loads values (1, 'run1', ?, ?, now(), null, 'running')",
        [date(2026, 4, 30), str(inbox)],
    )
    results = {}
    for e in load_order():
        path = drop.entity_files.get(e.name)
        if path is not None:
            results[e.name] = ingest_file(
                con, e, path, load_id=1, run_id="run1", timezone=SH, now=DROP_NOW,
                profile=profile,
            )  # fmt: skip
    return drop, results


def test_data_export_folder_loads_and_matches_salesforce(con, tmp_path):
    inbox = tmp_path / "export"
    data_export(inbox)
    (tmp_path / "our_org.yaml").write_text(OUR_ORG, encoding="utf-8")
    drop, results = _load(con, inbox, str(tmp_path / "our_org.yaml"))
    assert sorted(drop.ignored) == ["AccountContactRelation.csv", "Case.csv", "Contact.csv"]
    for name, r in results.items():
        assert r.status == "loaded", (name, r.message)
        assert r.rows_in == r.rows_loaded + r.rows_quarantined
    quarantine = rows(con, "select entity, record_id, rule, value_seen from meta.quarantine")
    assert quarantine == []

    per_quarter, won_amount, open_pipeline = salesforce_view(inbox)
    loaded = rows(con, "select stage, expected_close_date, amount from raw.opportunities")
    got_quarter: Counter = Counter()
    got_won: dict = defaultdict(Decimal)
    got_open = Decimal(0)
    for stage, close, amount in loaded:
        quarter = f"{close.year}-Q{(close.month - 1) // 3 + 1}"
        if stage in ("won", "lost"):
            got_quarter[(quarter, stage)] += 1
            if stage == "won":
                got_won[quarter] += amount
        else:
            got_open += amount
    assert got_quarter == per_quarter
    assert dict(got_won) == won_amount
    assert got_open == open_pipeline
    assert len(loaded) == len(OPPS) - 1  # the deleted one is skipped, and said so
    notes = results["opportunities"].read_notes["notes"]
    assert any("1 export row(s) skipped" in n and "IsDeleted" in n for n in notes)
    # open deals' custom stage names come through the extending profile
    stages = dict(rows(con, "select opportunity_id, stage from raw.opportunities"))
    assert (stages[OPPS[4][0]], stages[OPPS[5][0]]) == ("discovery", "negotiation")
    assert rows(con, "select product_line, lead_id from raw.opportunities where "
                f"opportunity_id = '{OPPS[0][0]}'") == [("Widgets", "00Q5g01")]  # fmt: skip

    # team = the role's name through UserRoleId; 000000000000000AAA is empty
    assert sorted(rows(con, "select rep_id, rep_name, team, manager_id from raw.sales_reps")) == [
        (ANN, "Ann Lee", "West Sales", CY),
        (BO, "Bo Chan", "East Sales", CY),
        (CY, "Cy Díaz", "No role", None),
    ]
    # the latin-1 file
    assert ("Société Générale", "distribution") in rows(
        con, "select account_name, channel from raw.accounts"
    )
    # stage history: amount edits repeat the stage; closed rows won/lost by ForecastCategory
    history = sorted(rows(con, "select opportunity_id, stage from raw.opportunity_stage_history"))
    assert history == sorted(
        [(OPPS[0][0], "discovery")] * 2
        + [(OPPS[0][0], "won"), (OPPS[1][0], "negotiation"), (OPPS[1][0], "lost")]
    )
    # Task and Event, one entity; WhatId only kept when it is an opportunity
    assert sorted(rows(con, "select activity_id, type, opportunity_id from raw.activities")) == [
        ("00T5g01", "call", OPPS[0][0]),
        ("00T5g02", "email", None),
        ("00U5g01", "meeting", OPPS[1][0]),
    ]
    assert sorted(rows(con, "select lead_id, status, opportunity_id from raw.leads")) == [
        ("00Q5g01", "converted", OPPS[0][0]),
        ("00Q5g02", "working", None),
    ]
    assert sorted(rows(con, "select currency, rate_to_reporting from raw.fx_rates")) == [
        ("EUR", Decimal("1.25")),
        ("USD", Decimal("1")),
    ]
    assert rows(con, "select product_id, product_line from raw.products") == [
        ("01t5g01", "Widgets")
    ]


def test_profile_check_on_a_data_export_lists_ignored_objects_once(tmp_path):
    inbox = tmp_path / "export"
    data_export(inbox)
    (tmp_path / "our_org.yaml").write_text(OUR_ORG, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", str(tmp_path / "our_org.yaml"), "--inbox",
               str(inbox)]
    )  # fmt: skip
    out = result.output
    assert result.exit_code == 0, out
    assert "Opportunity.csv -> opportunities: 7 rows" in out
    assert "Task.csv -> activities" in out and "Event.csv -> activities" in out
    assert out.count("Contact.csv") == 1
    assert "ignored (3 file(s) matching no entity of the profile, not read)" in out
    assert "values outside" not in out
    assert "looks like: Salesforce Data Export" in out


def test_shipped_salesforce_profile_reads_a_data_export(tmp_path):
    """Before: every Data Export file 'matched no entity' and check exited 0."""
    inbox = tmp_path / "export"
    data_export(inbox)
    drop = scan_inbox(inbox, load_profile("salesforce"))
    assert set(drop.entity_files) == {
        "sales_reps", "accounts", "products", "leads", "opportunities",
        "opportunity_stage_history", "activities", "fx_rates",
    }  # fmt: skip
    assert ENTITY_BY_NAME["opportunities"].key == ("opportunity_id",)
