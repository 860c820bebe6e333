"""Two optional inputs of the "decision-grade numbers" work, loaded for real.

- ``marketing_spend.csv`` through the canonical profile: typed rows, the company's scope, an
  empty channel; a malformed period and a negative amount are quarantined with their rule.
- Salesforce's Forecast Category on an opportunities report: the standard categories are
  normalised (``Best Case`` -> ``best_case``), an org's own category is loaded and flagged
  ``unknown_forecast_category`` (a warning), never quarantined.
"""

from __future__ import annotations

from decimal import Decimal

from tests.ingest.support import csv_bytes, load_drop, quarantined, rows, write_export
from tests.ingest.test_profile_salesforce import (
    ACME,
    GLOBEX,
    OPP1,
    OPP2,
    OPP3,
    OPP4,
    SF_ANN,
    SF_BO,
    SOCGEN,
    salesforce_drop,
)


def test_canonical_spend_file_loads_typed_and_quarantines_bad_rows(con, tmp_path):
    inbox = tmp_path / "inbox"
    write_export(
        inbox,
        "marketing_spend.csv",
        csv_bytes(
            [
                ["period", "level", "scope_id", "channel", "amount", "currency"],
                ["2026-07", "company", "all", "events", "12000.50", "CNY"],
                ["2026Q3", "team", "East A", "", "4000", "USD"],
                ["2026", "Region", "East", "ads", "1,500.25", "CNY"],
                ["July 2026", "company", "all", "ads", "10", "CNY"],  # malformed period
                ["2026-08", "rep", "R1", "ads", "-5", "CNY"],  # negative spend
            ]
        ),
    )
    results = load_drop(con, inbox, "canonical")
    assert (results["marketing_spend"].rows_in, results["marketing_spend"].rows_loaded) == (5, 3)
    assert rows(
        con,
        "select period, level, scope_id, channel, amount, currency from raw.marketing_spend "
        "order by _source_row",
    ) == [
        ("2026-07", "company", "all", "events", Decimal("12000.500000"), "CNY"),
        ("2026Q3", "team", "East A", None, Decimal("4000.000000"), "USD"),
        ("2026", "region", "East", "ads", Decimal("1500.250000"), "CNY"),
    ]
    rules = {(r[0], r[2], r[3]) for r in quarantined(con)}
    assert ("marketing_spend", "malformed_period", "period") in rules
    assert any(e == "marketing_spend" and c == "amount" for e, _rule, c in rules)


def test_salesforce_forecast_category_is_normalised_and_unknown_ones_flagged(con, tmp_path):
    inbox = tmp_path / "inbox"
    salesforce_drop(inbox)
    header = ["Opportunity Owner", "Opportunity Name", "Amount", "Opportunity Currency"]
    header += ["Close Date", "Created Date", "Last Modified Date", "Stage", "Forecast Category"]
    header += ["Opportunity ID", "Account ID"]
    write_export(
        inbox,
        "Opportunities.csv",
        csv_bytes(
            [
                header,
                [SF_ANN, "Acme - seats", "125,000.00", "USD", "3/31/2026", "1/20/2026"]
                + ["3/2/2026", "Negotiation/Review", "Commit", OPP1, ACME],
                [SF_ANN, "Acme - renewal", "18,500.50", "USD", "6/27/2026", "2/1/2026"]
                + ["2/27/2026", "Proposal/Price Quote", "Best Case", OPP2, ACME],
                [SF_BO, "SG - Pilot", "40,000.00", "EUR", "4/15/2026", "2/10/2026"]
                + ["3/1/2026", "Id. Decision Makers", "Upside", OPP3, SOCGEN],
                [SF_BO, "Globex - Lines", "9,999.99", "USD", "5/10/2026", "3/10/2026"]
                + ["3/10/2026", "Prospecting", "", OPP4, GLOBEX],
            ]
        ),
    )
    results = load_drop(con, inbox, "salesforce")
    assert results["opportunities"].rows_quarantined == 0
    assert dict(rows(con, "select opportunity_id, forecast_category from raw.opportunities")) == {
        OPP1: "commit",
        OPP2: "best_case",
        OPP3: "upside",
        OPP4: None,
    }
    assert rows(
        con,
        "select record_id, column_name, value_seen from meta.row_findings "
        "where rule = 'unknown_forecast_category'",
    ) == [(OPP3, "forecast_category", "Upside")]  # as the export wrote it
