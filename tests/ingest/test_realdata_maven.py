"""The Maven "CRM + Sales Opportunities" export, as published, through the whole pipeline.

The real job (Dagster, DuckDB, GE, dbt, report) runs with the shipped
``maven_crm`` profile on the files of ../shared/realdata; every figure checked
here is recomputed from the CSV files with the csv module and Decimal.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from tests.support.realdata import REALDATA, real_night

pytestmark = pytest.mark.e2e

MAVEN = REALDATA / "maven_crm_sales_opportunities"
AS_OF = date(2017, 12, 31)
SERIES = {  # products.csv: product -> series; the pipeline writes GTX Pro as "GTXPro"
    "GTX Basic": "GTX",
    "GTX Pro": "GTX",
    "GTXPro": "GTX",
    "GTX Plus Basic": "GTX",
    "GTX Plus Pro": "GTX",
    "MG Special": "MG",
    "MG Advanced": "MG",
    "GTK 500": "GTK",
}


def rows(name: str) -> list[dict]:
    with (MAVEN / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    # the dataset ends in 2017, before the default first partition (2020-01-01)
    con = real_night(
        tmp_path_factory,
        MAVEN,
        profile="maven_crm",
        as_of=AS_OF,
        currency="USD",
        timezone="America/New_York",
        partitions_start="2016-01-01",
    )
    yield con
    con.close()


def test_every_row_is_accounted_for(maven):
    files = {
        r[0]: r[1:]
        for r in maven.execute(
            "select file_name, status, rows_in, rows_loaded, rows_quarantined from meta.load_files"
        ).fetchall()
    }
    for name in ("sales_teams.csv", "accounts.csv", "products.csv", "sales_pipeline.csv"):
        status, rows_in, loaded, quarantined = files[name]
        assert status == "loaded"
        assert rows_in == len(rows(name)) == loaded + quarantined
    assert files["data_dictionary.csv"][0] == "ignored"


def test_deals_without_a_start_are_quarantined_the_incomplete_rest_loaded_and_flagged(maven):
    """Quarantine is for what cannot be loaded: a deal never engaged (no engage_date, the
    creation time) is; a deal without a value, an account or a close date is a business
    fact, loaded and flagged to its rep."""
    pipeline = rows("sales_pipeline.csv")
    unstarted = {r["opportunity_id"]: r["sales_agent"] for r in pipeline if not r["engage_date"]}
    got = dict(
        maven.execute(
            "select record_id, owner_rep_id from meta.quarantine where entity = 'opportunities'"
        ).fetchall()
    )
    assert got == unstarted
    rules = Counter(
        r[0]
        for r in maven.execute(
            "select rule from meta.quarantine where entity = 'opportunities'"
        ).fetchall()
    )
    assert set(rules) == {"missing_required"}
    loaded = [r for r in pipeline if r["engage_date"]]
    open_stages = ("Prospecting", "Engaging")
    expected = {
        (r["opportunity_id"], r["sales_agent"], rule)
        for r in loaded
        for rule, missing in (
            ("missing_amount", not r["close_value"]),
            ("missing_account", not r["account"]),
            ("missing_expected_close", r["deal_stage"] in open_stages and not r["close_date"]),
        )
        if missing
    }
    assert expected, "the export holds incomplete deals"
    flagged = set(
        maven.execute(
            "select record_id, owner_rep_id, rule from meta.row_findings "
            "where entity = 'opportunities' and rule in "
            "('missing_amount', 'missing_account', 'missing_expected_close')"
        ).fetchall()
    )
    assert flagged == expected


def test_quirks_are_translated_and_reported(maven):
    notes = {
        name: json.loads(n)
        for name, n in maven.execute(
            "select file_name, read_notes from meta.load_files where read_notes is not null"
        ).fetchall()
    }
    industry = {t["seen"]: t["rows"] for t in notes["accounts.csv"]["translations"]["industry"]}
    assert industry == {"technolgy": sum(r["sector"] == "technolgy" for r in rows("accounts.csv"))}
    lines = {
        t["seen"]: t["rows"] for t in notes["sales_pipeline.csv"]["translations"]["product_line"]
    }
    assert lines["GTXPro"] == sum(r["product"] == "GTXPro" for r in rows("sales_pipeline.csv"))
    assert "subsidiary_of" in notes["accounts.csv"]["unmapped_headers"]
    assert (
        maven.execute(
            "select count(*) from staging.stg_crm__accounts where industry = 'technolgy'"
        ).fetchone()[0]
        == 0
    )
    unowned = maven.execute(
        "select count(distinct record_id) from meta.row_findings where rule = 'missing_owner'"
    ).fetchone()[0]
    assert unowned == len(rows("accounts.csv"))


def test_win_rates_by_rep_team_and_region_match_the_csv(maven):
    teams = {
        r["sales_agent"]: (r["manager"], r["regional_office"]) for r in rows("sales_teams.csv")
    }
    won: dict[tuple, int] = defaultdict(int)
    lost: dict[tuple, int] = defaultdict(int)
    won_value: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in rows("sales_pipeline.csv"):
        if r["deal_stage"] not in ("Won", "Lost") or not r["close_date"].startswith("2017"):
            continue
        manager, region = teams[r["sales_agent"]]
        for scope in (
            ("company", "all"),
            ("team", manager),
            ("region", region),
            ("rep", r["sales_agent"]),
        ):
            if r["deal_stage"] == "Won":
                won[scope] += 1
                won_value[scope] += Decimal(r["close_value"])
            else:
                lost[scope] += 1
    got = {
        (level, scope): (w, lo, rate, size)
        for level, scope, w, lo, rate, size in maven.execute(
            "select level, scope_id, won, lost, win_rate, avg_deal_size "
            "from marts.fct_sales_performance where period_type = 'year' and period = '2017'"
        ).fetchall()
    }
    assert set(got) == set(won) | set(lost)
    for scope in got:
        w, l_, rate, size = got[scope]
        assert (w, l_) == (won[scope], lost[scope]), scope
        assert abs(Decimal(str(rate)) - Decimal(w) / Decimal(w + l_)) < Decimal("1e-6"), scope
        expected_size = won_value[scope] / won[scope]
        assert abs(Decimal(str(size)) - expected_size) < Decimal("0.01"), scope


def test_products_map_to_their_series(maven):
    got = dict(
        maven.execute(
            "select opportunity_id, product_line from staging.stg_crm__opportunities"
        ).fetchall()
    )
    expected = {
        r["opportunity_id"]: SERIES[r["product"]]
        for r in rows("sales_pipeline.csv")
        if r["engage_date"]  # every deal with a creation time is loaded
    }
    assert got == expected


def test_profile_check_reports_what_would_be_quarantined():
    from click.testing import CliRunner

    from pipelines.cli import main

    if not MAVEN.is_dir():
        pytest.skip(f"real datasets not present at {REALDATA}")
    result = CliRunner().invoke(
        main, ["profile", "check", "--profile", "maven_crm", "--inbox", str(MAVEN)]
    )
    assert result.exit_code == 0, result.output
    pipeline = rows("sales_pipeline.csv")
    no_start = sum(not r["engage_date"] for r in pipeline)
    assert f"created_at: required but empty on {no_start:,} row(s)" in result.output
    # loaded and flagged, not quarantined
    assert "expected_close_date: required" not in result.output
    assert "account_id: required" not in result.output
    assert "matching no entity of the profile, not read): data_dictionary.csv" in result.output
    assert f"'GTXPro' -> 'GTX' ({sum(r['product'] == 'GTXPro' for r in pipeline):,})" in (
        result.output
    )
