"""The pipeline forecast of quarters before the first load, reconstructed from the stage
history, built for real (dbt on a hand-made warehouse).

One load on 2026-09-30: no pipeline snapshot exists before that day, so every past quarter's
pipeline forecast is reconstructed from the recorded stage history (stage held at the end of
the day before the quarter began, today's amount and expected close date). The expected
figures are recomputed here in plain Python from the input rows; the model's hand-worked unit
test runs on the same build. USD 7.0 from 2026-01-01.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts
from tests.support.oracle import PROCESS_ORDER, dbt_var

TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
REPS = {"R1": ("T1", "East"), "R2": ("T2", "North")}
RATES = {"CNY": Decimal(1), "USD": Decimal("7.0")}
# id, rep, created (local), current stage, amount, currency, expected close, category
OPPS = [
    ("O1", "R1", "2026-01-05 09:00:00", "won", "1000", "CNY", "2026-05-20", "closed"),
    ("O2", "R1", "2026-02-10 09:00:00", "negotiation", "400", "USD", "2026-10-15", "commit"),
    ("O3", "R2", "2026-03-02 09:00:00", "lost", "800", "CNY", "2026-06-10", "omitted"),
    ("O4", "R2", "2026-03-15 09:00:00", "proposal", "600", "CNY", "2026-08-30", "best_case"),
    ("O5", "R2", "2026-02-01 09:00:00", "discovery", "300", "CNY", "2026-05-01", "pipeline"),
    ("O6", "R1", "2026-06-30 08:00:00", "won", "250", "CNY", "2026-09-10", "closed"),
    ("O7", "R1", "2026-03-31 10:00:00", "qualified", "900", "CNY", "2026-04-20", "pipeline"),
]
# opportunity, stage, entered_at (an instant; Z = UTC)
HISTORY = [
    ("O1", "qualified", ts("2026-01-05 09:00:00")),
    ("O1", "proposal", ts("2026-03-31 23:30:00")),  # 2026-03-31 local: held on Q2's origin
    ("O1", "won", ts("2026-05-18 10:00:00")),
    ("O2", "qualified", ts("2026-02-10 09:00:00")),
    ("O2", "negotiation", "2026-06-30T17:00:00Z"),  # 2026-07-01 01:00 local
    ("O3", "discovery", ts("2026-03-02 09:00:00")),
    ("O3", "lost", ts("2026-05-02 09:00:00")),
    ("O4", "qualified", ts("2026-03-15 09:00:00")),
    ("O4", "proposal", ts("2026-06-01 09:00:00")),
    ("O4", "proposal", ts("2026-06-20 09:00:00")),  # an amount edit: the visit goes on
    ("O6", "qualified", ts("2026-06-30 08:00:00")),
    ("O6", "discovery", ts("2026-06-30 15:00:00")),
    ("O6", "won", ts("2026-09-10 15:00:00")),
    ("O7", "qualified", ts("2026-03-31 10:00:00")),
    # O5 has no stage history: its stage on any past day is unknown
]
# monthly orders so that the periods and the forecast series exist
ORDERS = [(f"SO{m}", "R1" if m % 2 else "R2", f"2025-{m:02d}-15", "1000") for m in range(1, 13)]

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
            created_at=ts(created),
            stage=s,
            amount=a,
            currency=c,
            expected_close_date=close,
            forecast_category=cat,
            last_modified_at=ts("2026-09-20 10:00:00"),
            closed_at=ts(f"{close} 12:00:00") if s in ("won", "lost") else None,
        )
        for o, r, created, s, a, c, close, cat in OPPS
    ],
    "opportunity_stage_history": [
        dict(opportunity_id=o, stage=s, entered_at=at) for o, s, at in HISTORY
    ],
}


def local(instant: str) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(TZ)


def quarter_bounds(label: str) -> tuple[date, date]:
    year, q = int(label[:4]), int(label[-1])
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def expected(quarter: str) -> dict[tuple[str, str], tuple[int, Decimal, int]] | None:
    """{(level, scope_id): (open deals, weighted pipeline, deals without stage)} as of the day
    before the quarter began; None when no stage history had begun by then."""
    start, end = quarter_bounds(quarter)
    origin = start - timedelta(days=1)
    if not any(local(at).date() <= origin for _o, _s, at in HISTORY):
        return None
    probability = {k: Decimal(str(v)) for k, v in dbt_var("stage_probabilities").items()}
    out: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0), 0])
    out[("company", "all")]  # the company row exists even when nothing is open
    for o, rep, created, _stage, amount, cur, close, _cat in OPPS:
        if date.fromisoformat(created[:10]) > origin:
            continue
        team, region = REPS[rep]
        scopes = [("company", "all"), ("region", region), ("team", team), ("rep", rep)]
        entries = sorted(
            (local(at), PROCESS_ORDER[s], s)
            for oid, s, at in HISTORY
            if oid == o and local(at).date() <= origin
        )
        if not entries:
            for scope in scopes:
                out[scope][2] += 1
            continue
        held = entries[-1][2]
        if held in ("won", "lost") or not (start <= date.fromisoformat(close) <= end):
            continue
        value = (Decimal(amount) * RATES[cur]).quantize(CENT, ROUND_HALF_UP)
        weighted = (value * probability[held]).quantize(CENT, ROUND_HALF_UP)
        for scope in scopes:
            out[scope][0] += 1
            out[scope][1] += weighted
    return {k: tuple(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("reconstructed_pipeline")
    db = tmp / "warehouse.duckdb"
    raw = {table: [(1, row) for row in rows] for table, rows in RAW.items()}
    raw["orders"] = [
        (1, dict(order_id=o, rep_id=r, ordered_at=ts(f"{d} 10:00:00"), status="delivered",
                 currency="CNY", total_amount=a))
        for o, r, d, a in ORDERS
    ]  # fmt: skip
    build_warehouse(
        db, raw, loads={1: "2026-09-30"}, loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC)
    )
    run_dbt(["run", "--select", "+fct_sales_forecast"], db=db, tmp=tmp,
            as_of="2026-09-30", load_id=1)  # fmt: skip
    tested = run_dbt(
        ["test", "--select", "int_reconstructed_pipeline", "--resource-type", "unit_test"],
        db=db, tmp=tmp, as_of="2026-09-30", load_id=1,
    )  # fmt: skip
    assert "int_reconstructed_pipeline_from_stage_history" in {r.node.name for r in tested.result}
    con = duckdb.connect(str(db))
    yield con
    con.close()


def test_reconstructed_pipeline_equals_the_input_rows(warehouse):
    got: dict[str, dict] = defaultdict(dict)
    for quarter, level, scope, n, weighted, unknown in warehouse.execute(
        """select forecast_quarter, level, scope_id, open_opportunities, weighted_pipeline,
                  opportunities_without_stage
           from intermediate.int_reconstructed_pipeline"""
    ).fetchall():
        got[quarter][(level, scope)] = (n, weighted, unknown)
    quarters = [q for (q,) in warehouse.execute(
        """select period from intermediate.int_forecast_periods
           where period_type = 'quarter' order by period"""
    ).fetchall()]  # fmt: skip
    assert {"2026Q1", "2026Q2", "2026Q3", "2026Q4"} <= set(quarters)
    for quarter in quarters:
        want = expected(quarter)
        assert got.get(quarter) == want, quarter
    # worked by hand: 2026Q2 (as of 2026-03-31): O1 proposal 1000 × 0.4 = 400; O7 qualified
    # 900 × 0.1 = 90; O3 in discovery closes in Q2: 800 × 0.2 = 160; O5 has no stage history
    assert got["2026Q2"][("company", "all")] == (3, Decimal("650.00"), 1)
    # 2026Q3 (as of 2026-06-30): O4 proposal 600 × 0.4 = 240; O6 discovery 250 × 0.2 = 50
    assert got["2026Q3"][("company", "all")] == (2, Decimal("290.00"), 1)
    # 2026Q4 (as of 2026-09-30): O2 in negotiation (entered 07-01 local, 06-30 in UTC):
    # 400 USD × 7.0 × 0.7 = 1960
    assert got["2026Q4"][("company", "all")] == (1, Decimal("1960.00"), 1)


def test_forecast_mart_says_which_basis(warehouse):
    """A load snapshot where one exists (2026Q4, made on the load's day), the reconstruction
    before it, and none (n/a) before the stage history began (2026Q1 is made on 2025-12-31)."""
    rows = warehouse.execute(
        """select period, level, scope_id, pipeline_basis, pipeline_forecast
           from marts.fct_sales_forecast
           where measure = 'revenue' and period_type = 'quarter'"""
    ).fetchall()
    assert rows
    snapshot = dict(
        warehouse.execute(
            """select scope_id, next_quarter_weighted_pipeline
               from intermediate.int_pipeline_snapshots
               where snapshot_date = '2026-09-30' and level = 'company'"""
        ).fetchall()
    )
    for period, level, scope_id, basis, value in rows:
        want = expected(period)
        if period == "2026Q4":
            assert basis == "load_snapshot"
            if level == "company":
                assert value == snapshot["all"]
        elif want is None:
            assert (basis, value) == ("none", None), period
        else:
            assert basis == "stage_history", period
            assert value == want.get((level, scope_id), (0, Decimal(0), 0))[1], period
    assert {b for *_, b, _v in rows} == {"load_snapshot", "stage_history", "none"}
    months = warehouse.execute(
        """select count(*) from marts.fct_sales_forecast
           where period_type = 'month' and pipeline_basis is not null"""
    ).fetchone()
    assert months == (0,)
