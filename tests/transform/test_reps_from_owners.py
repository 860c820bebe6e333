"""A CRM that exports no users file: the reps come from the owner column of its deals.

The profile maps sales_reps from the deals file itself (shared: true): the owner's name is
the rep's id and name, no team or region is known. Every deal loads (none parked for an
unknown owner), each rep is loaded once and flagged ``rep_without_team`` (a warning to sales
ops), and the marts count won deals for the reps and the company, in no team. Files are
loaded by the real loader into a real DuckDB warehouse and the marts built by dbt; the
expected figures come from the input rows in plain Python.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb

from pipelines.core.contract import load_order
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.load import ingest_file
from pipelines.ingest.profiles.loader import load_profile
from tests.ingest.support import NOW, new_warehouse, register_load, write_export
from tests.support.dbt_warehouse import run_dbt

PROFILE = """\
profile: deals_only
canonical_fallback: false
defaults: {currency: USD, timezone: America/Chicago}
entities:
  sales_reps:
    files: deals.csv
    shared: true
    columns:
      rep_id: Deal owner
      rep_name: Deal owner
  opportunities:
    files: deals.csv
    shared: true
    columns:
      opportunity_id: Deal ID
      owner_rep_id: Deal owner
      name: Deal name
      created_at: Created
      stage: Stage
      amount: Amount
      close_date: Close date
      last_modified_at: Last modified
    values:
      stage:
        won: Closed Won
        lost: Closed Lost
        proposal: Proposal
"""
DEALS = """\
Deal ID,Deal name,Deal owner,Created,Stage,Amount,Close date,Last modified
D1,Acme,Ann Lee,2026-01-05 09:00:00,Closed Won,1200.00,2026-02-10,2026-05-01 10:00:00
D2,Bolt,Ann Lee,2026-01-06 09:00:00,Closed Lost,800.00,2026-03-31,2026-05-01 10:00:00
D3,Core,Bo Chan,2026-02-01 09:00:00,Closed Won,500.00,2026-04-01,2026-05-01 10:00:00
D4,Dyna,Bo Chan,2026-03-01 09:00:00,Proposal,300.00,,2026-05-01 10:00:00
D5,Echo,Cy Díaz,2026-03-02 09:00:00,Closed Won,700.00,2026-03-15,2026-05-01 10:00:00
"""


def test_a_deals_only_export_loads_with_reps_taken_from_the_owners(tmp_path: Path):
    inbox = tmp_path / "inbox"
    write_export(inbox, "deals.csv", DEALS)
    (tmp_path / "deals_only.yaml").write_text(PROFILE, encoding="utf-8")
    profile = load_profile(str(tmp_path / "deals_only.yaml"))
    con = new_warehouse(tmp_path / "w.duckdb")
    register_load(con, 1, date(2026, 6, 30))
    drop = scan_inbox(inbox, profile)
    results = {
        e.name: ingest_file(
            con,
            e,
            drop.entity_files[e.name],
            load_id=1,
            run_id="run1",
            timezone="America/Chicago",
            now=NOW,
            profile=profile,
        )  # fmt: skip
        for e in load_order()
        if e.name in drop.entity_files
    }
    deals = list(csv.DictReader(io.StringIO(DEALS)))
    owners = sorted({d["Deal owner"] for d in deals})
    assert {n: (r.rows_in, r.rows_quarantined) for n, r in results.items()} == {
        "sales_reps": (len(deals), 0),
        "opportunities": (len(deals), 0),
    }
    assert sorted(r for (r,) in con.execute("select rep_id from raw.sales_reps").fetchall()) == (
        owners
    )
    flagged = Counter(
        rule
        for (rule,) in con.execute(
            "select rule from meta.row_findings where entity = 'sales_reps'"
        ).fetchall()
    )
    assert flagged == {"rep_without_team": 2 * len(owners)}  # team and region, once per rep
    assert con.execute("select count(*) from meta.quarantine").fetchone() == (0,)
    con.close()

    run_dbt(
        ["run", "--select", "+fct_sales_performance"],
        db=tmp_path / "w.duckdb",
        tmp=tmp_path,
        as_of="2026-06-30",
        load_id=1,
        vars={"business_timezone": "America/Chicago", "reporting_currency": "USD"},
    )
    won = Counter()
    for d in deals:
        if d["Stage"] == "Closed Won":
            month = int(d["Close date"][5:7])
            quarter = f"2026Q{(month - 1) // 3 + 1}"
            won[("rep", d["Deal owner"], quarter)] += 1
            won[("company", "all", quarter)] += 1
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    rows = con.execute(
        """select level, scope_id, period, won from marts.fct_sales_performance
           where period_type = 'quarter' and won > 0"""
    ).fetchall()
    con.close()
    assert {(lvl, scope, period): n for lvl, scope, period, n in rows} == dict(won)
