"""The CRM's forecast categories in the pipeline snapshots, built for real.

Raw opportunities as loaded (categories lower-cased by the ingest; "upside" is an org's own
category, loaded and flagged): staging keeps the five known ones and nulls the rest, and the
next-quarter commit and best-case totals of int_pipeline_snapshots are recomputed here in
plain Python from the input rows. The model's hand-worked unit tests run on the same build.
as_of_date 2026-09-30 (one load): next quarter 2026Q4. USD 7.0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

REPS = {"R1": ("T1", "East"), "R2": ("T2", "North")}
RATES = {"CNY": Decimal(1), "USD": Decimal("7.0")}
# id, rep, stage, amount, currency, expected close, forecast category as loaded
OPPS = [
    ("O1", "R1", "proposal", "1000", "CNY", "2026-11-10", "commit"),
    ("O2", "R1", "discovery", "500", "CNY", "2026-12-10", "best_case"),
    ("O3", "R2", "qualified", "300", "CNY", "2026-10-10", "pipeline"),
    ("O4", "R2", "negotiation", "100", "USD", "2026-10-20", "commit"),
    ("O5", "R2", "proposal", "200", "CNY", "2026-10-20", "upside"),
    ("O6", "R1", "negotiation", "400", "CNY", "2026-09-30", "commit"),
    ("O7", "R2", "won", "900", "CNY", "2026-11-01", "closed"),
    ("O8", "R1", "proposal", "250", "CNY", "2026-12-01", "best_case"),
]

RAW = {
    "sales_reps": [
        dict(rep_id=r, rep_name=f"Rep {r}", team=t, region=g) for r, (t, g) in REPS.items()
    ],
    "fx_rates": [dict(rate_date="2026-01-01", currency="USD", rate_to_reporting="7.0")],
    "opportunities": [
        dict(
            opportunity_id=o,
            owner_rep_id=r,
            name=f"Deal {o}",
            created_at=ts("2026-09-01 10:00:00"),
            stage=s,
            amount=a,
            currency=c,
            expected_close_date=close,
            forecast_category=cat,
            last_modified_at=ts("2026-09-20 10:00:00"),
        )
        for o, r, s, a, c, close, cat in OPPS
    ],
}


def expected() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    commit: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    best: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for _o, rep, stage, amount, cur, close, cat in OPPS:
        if stage in ("won", "lost") or not ("2026-10-01" <= close <= "2026-12-31"):
            continue
        value = (Decimal(amount) * RATES[cur]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        team, region = REPS[rep]
        for scope in (("company", "all"), ("region", region), ("team", team), ("rep", rep)):
            commit[scope] += value if cat == "commit" else 0
            best[scope] += value if cat in ("commit", "best_case") else 0
    return {k: (commit[k], best[k]) for k in commit}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("forecast_categories")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in RAW.items()},
        loads={1: "2026-09-30"},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["run", "--select", "+int_pipeline_snapshots", "stg_crm__opportunities"],
        db=db,
        tmp=tmp,
        as_of="2026-09-30",
        load_id=1,
    )
    tested = run_dbt(
        ["test", "--select", "int_pipeline_snapshots", "--resource-type", "unit_test"],
        db=db,
        tmp=tmp,
        as_of="2026-09-30",
        load_id=1,
    )
    names = {r.node.name for r in tested.result}
    assert {
        "int_pipeline_snapshots_forecast_category_totals",
        "int_pipeline_snapshots_forecast_category_not_exported",
    } <= names, names
    con = duckdb.connect(str(db))
    yield con
    con.close()


def test_staging_keeps_the_known_categories_only(warehouse):
    got = dict(
        warehouse.execute(
            "select opportunity_id, forecast_category from staging.stg_crm__opportunities"
        ).fetchall()
    )
    assert got == {o: (None if cat == "upside" else cat) for o, *_, cat in OPPS}


def test_commit_and_best_case_totals_equal_the_input_rows(warehouse):
    got = {
        (level, scope): (commit, best)
        for level, scope, commit, best in warehouse.execute(
            """select level, scope_id, next_quarter_commit_pipeline,
                      next_quarter_best_case_pipeline
               from intermediate.int_pipeline_snapshots where snapshot_date = '2026-09-30'"""
        ).fetchall()
    }
    want = expected()
    assert want[("company", "all")] == (Decimal("1700.00"), Decimal("2450.00"))
    assert got == want
