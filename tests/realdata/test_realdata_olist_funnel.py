"""The Olist marketing funnel (qualified leads and closed deals), as published, through the
whole nightly run with the profile tests/realdata/profiles/olist_marketing_funnel.yaml.

Every figure is recomputed here from olist_marketing_qualified_leads_dataset.csv and
olist_closed_deals_dataset.csv with the csv module, never read from the output under test.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.support.realdata import REALDATA, real_night

pytestmark = pytest.mark.e2e

OLIST = REALDATA / "olist"
LEADS = "olist_marketing_qualified_leads_dataset.csv"
DEALS = "olist_closed_deals_dataset.csv"
PROFILE = Path(__file__).parent / "profiles" / "olist_marketing_funnel.yaml"
AS_OF = date(2018, 12, 31)  # deals are won up to November 2018


def rows(name: str) -> list[dict]:
    with (OLIST / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def quarter(iso: str) -> str:
    """The quarter of a date written YYYY-MM-DD[ HH:MM:SS] (local time, as exported)."""
    return f"{iso[:4]}Q{(int(iso[5:7]) - 1) // 3 + 1}"


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    con = real_night(
        tmp_path_factory,
        OLIST,
        profile=str(PROFILE),
        as_of=AS_OF,
        currency="BRL",
        timezone="America/Sao_Paulo",
        partitions_start="2017-01-01",
    )
    yield con
    con.close()


def test_every_lead_and_deal_is_accounted_for(olist):
    """meta.load_files: leads and deals files loaded, rows_in = the CSV's rows = loaded +
    quarantined (nothing quarantined); the other files are reported ignored."""
    files = {
        (entity, name): (status, rows_in, loaded, quarantined)
        for entity, name, status, rows_in, loaded, quarantined in olist.execute(
            "select entity, file_name, status, rows_in, rows_loaded, rows_quarantined "
            "from meta.load_files"
        ).fetchall()
    }
    for entity, name in (("leads", LEADS), ("opportunities", DEALS), ("accounts", DEALS)):
        status, rows_in, loaded, quarantined = files[(entity, name)]
        assert status == "loaded"
        assert (rows_in, loaded, quarantined) == (len(rows(name)), len(rows(name)), 0)
    ignored = {name for (entity, name), v in files.items() if v[0] == "ignored"}
    assert ignored == {
        "olist_order_payments_dataset.csv",
        "olist_products_dataset.csv",
        "olist_sellers_dataset.csv",
        "product_category_name_translation.csv",
    }


def test_leads_and_conversions_by_quarter_match_the_files(olist):
    """marts.fct_lead_sources, company level, by quarter and source: leads = MQLs whose
    first_contact_date falls in the quarter, by origin (empty origin: "unknown"); converted =
    those of them with a closed deal won by AS_OF (every deal in the file)."""
    won = {r["mql_id"]: r["won_date"] for r in rows(DEALS)}
    leads: Counter = Counter()
    converted: Counter = Counter()
    for r in rows(LEADS):
        key = (quarter(r["first_contact_date"]), r["origin"] or "unknown")
        leads[key] += 1
        converted[key] += r["mql_id"] in won and won[r["mql_id"]][:10] <= AS_OF.isoformat()
    got = {
        (period, source): (n, c)
        for period, source, n, c in olist.execute(
            "select period, source, leads, converted from marts.fct_lead_sources "
            "where level = 'company' and period_type = 'quarter'"
        ).fetchall()
    }
    assert got == {key: (leads[key], converted[key]) for key in leads}
    assert sum(c for _, c in got.values()) == len(won)


def test_won_deals_by_quarter_and_rep_match_the_deals_file(olist):
    """marts.fct_sales_performance by quarter: won = closed deals whose won_date falls in the
    quarter, for the company and for each SR (sr_id); no deal is lost."""
    won: Counter = Counter()
    for r in rows(DEALS):
        won[("company", "all", quarter(r["won_date"]))] += 1
        won[("rep", r["sr_id"], quarter(r["won_date"]))] += 1
    got = {
        (level, scope, period): (w, lost)
        for level, scope, period, w, lost in olist.execute(
            "select level, scope_id, period, won, lost from marts.fct_sales_performance "
            "where period_type = 'quarter' and level in ('company', 'rep') and won + lost > 0"
        ).fetchall()
    }
    assert got == {key: (n, 0) for key, n in won.items()}


def test_deals_keep_the_won_date_as_written(olist):
    """staging.stg_crm__opportunities: each deal's close date is the date part of its
    won_date (a local timestamp in the business timezone, not moved)."""
    got = dict(
        olist.execute(
            "select opportunity_id, cast(closed_date as varchar) "
            "from staging.stg_crm__opportunities"
        ).fetchall()
    )
    assert got == {r["mql_id"]: r["won_date"][:10] for r in rows(DEALS)}


def test_leads_are_owned_by_their_sdr_and_linked_to_their_deal(olist):
    """staging.stg_crm__leads: a lead's owner is the SDR (sdr_id) of its closed deal, or the
    rep "unassigned" when it has none; its opportunity_id is its mql_id when a deal closed
    it, else empty. staging.stg_crm__sales_reps: the SRs, those SDRs and "unassigned"."""
    sdr = {r["mql_id"]: r["sdr_id"] for r in rows(DEALS)}
    leads = rows(LEADS)
    got = {
        lead: (owner, opportunity)
        for lead, owner, opportunity in olist.execute(
            "select lead_id, owner_rep_id, opportunity_id from staging.stg_crm__leads"
        ).fetchall()
    }
    assert got == {
        r["mql_id"]: (
            sdr.get(r["mql_id"], "unassigned"),
            r["mql_id"] if r["mql_id"] in sdr else None,
        )
        for r in leads
    }
    reps = {
        r for (r,) in olist.execute("select rep_id from staging.stg_crm__sales_reps").fetchall()
    }
    assert reps == (
        {r["sr_id"] for r in rows(DEALS)}
        | {sdr[r["mql_id"]] for r in leads if r["mql_id"] in sdr}
        | {"unassigned"}
    )


def test_leads_by_quarter_rep_and_source_match_the_files(olist):
    """marts.fct_lead_sources, rep level, by quarter and source: each SDR's leads (those whose
    deal names it; "unassigned" for the others) by the quarter of first_contact_date and by
    origin, and how many of them converted."""
    deals = {r["mql_id"]: r for r in rows(DEALS)}
    leads: Counter = Counter()
    converted: Counter = Counter()
    for r in rows(LEADS):
        deal = deals.get(r["mql_id"])
        owner = deal["sdr_id"] if deal else "unassigned"
        key = (quarter(r["first_contact_date"]), owner, r["origin"] or "unknown")
        leads[key] += 1
        converted[key] += deal is not None and deal["won_date"][:10] <= AS_OF.isoformat()
    got = {
        (period, rep, source): (n, c)
        for period, rep, source, n, c in olist.execute(
            "select period, scope_id, source, leads, converted from marts.fct_lead_sources "
            "where level = 'rep' and period_type = 'quarter'"
        ).fetchall()
    }
    assert got == {key: (leads[key], converted[key]) for key in leads}
