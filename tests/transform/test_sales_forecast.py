"""The statistical forecast and its back-test (fct_sales_forecast, fct_forecast_accuracy) on
the shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30).

Expected figures are recomputed here by a second method: the actuals and the naive and
seasonal-naive forecasts in plain Python from fct_sales_performance's month rows, the chosen
model refitted with statsmodels directly on the same history.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

MODELS = {
    "ets_level": {},
    "ets_damped_trend": {"trend": "add", "damped_trend": True},
    "ets_damped_trend_seasonal": {
        "trend": "add",
        "damped_trend": True,
        "seasonal": "add",
        "seasonal_periods": 12,
    },
}
COLUMN = {"revenue": "revenue", "bookings": "won_amount"}


@pytest.fixture(scope="module")
def con(demo):
    with duckdb.connect(str(demo["home"] / "warehouse.duckdb"), read_only=True) as c:
        yield c


def months_of(con, measure: str, level: str, scope_id: str) -> dict[str, Decimal]:
    """The scope's monthly amounts from its first non-zero month to 2026-09 (0 when absent)."""
    rows = dict(
        con.execute(
            f"""select period, {COLUMN[measure]} from marts.fct_sales_performance
                where period_type = 'month' and level = ? and scope_id = ?""",
            [level, scope_id],
        ).fetchall()
    )
    first = min(p for p, v in rows.items() if v)
    out, (y, m) = {}, (int(first[:4]), int(first[5:]))
    while (y, m) <= (2026, 9):
        label = f"{y:04d}-{m:02d}"
        out[label] = rows.get(label) or Decimal(0)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def quarter_months(quarter: str) -> list[str]:
    y, q = int(quarter[:4]), int(quarter[-1])
    return [f"{y:04d}-{3 * (q - 1) + i:02d}" for i in (1, 2, 3)]


def shifted(month: str, by: int) -> str:
    n = int(month[:4]) * 12 + int(month[5:]) - 1 + by
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def quarter_rows(con, measure, level, scope_id):
    cur = con.execute(
        """select * from marts.fct_sales_forecast
           where measure = ? and period_type = 'quarter' and level = ? and scope_id = ?
           order by period""",
        [measure, level, scope_id],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.mark.parametrize("measure", ["revenue", "bookings"])
def test_backtest_benchmarks_and_errors_recomputed(con, measure):
    """Naive, seasonal naive, actual and the errors of every company quarter, in plain Python."""
    months = months_of(con, measure, "company", "all")
    rows = quarter_rows(con, measure, "company", "all")
    assert [r["period"] for r in rows][-1] == "2026Q4"
    tested = 0
    for r in rows:
        targets = quarter_months(r["period"])
        known = [m for m in months if m < targets[0]]  # complete by the day before the quarter
        assert r["history_months"] == len(known)
        assert r["naive_forecast"] == 3 * months[known[-1]]
        year_ago = [shifted(m, -12) for m in targets]
        expected_seasonal = (
            sum(months[m] for m in year_ago) if all(m in known for m in year_ago) else None
        )
        assert r["seasonal_naive_forecast"] == expected_seasonal
        if r["period"] == "2026Q4":
            assert r["actual"] is None
            continue
        actual = sum(months[m] for m in targets)
        assert r["actual"] == actual
        if r["forecast"] is not None:
            tested += 1
            assert r["forecast_abs_error"] == abs(r["forecast"] - actual)
            assert r["forecast_pct_error"] == pytest.approx(
                float(abs(r["forecast"] - actual) / actual)
            )
        assert r["naive_abs_error"] == abs(3 * months[known[-1]] - actual)
    assert tested >= 4


@pytest.mark.parametrize("measure", ["revenue", "bookings"])
def test_chosen_method_beats_naive_and_seasonal_naive_on_demo(con, measure):
    rows = [
        r
        for r in quarter_rows(con, measure, "company", "all")
        if None
        not in (r["actual"], r["forecast"], r["naive_forecast"], r["seasonal_naive_forecast"])
    ]
    assert len(rows) >= 3
    mae = {
        k: sum(abs(r[k] - r["actual"]) for r in rows) / len(rows)
        for k in ("forecast", "naive_forecast", "seasonal_naive_forecast")
    }
    print(measure, {k: round(float(v)) for k, v in mae.items()})
    assert mae["forecast"] < mae["naive_forecast"]
    assert mae["forecast"] < mae["seasonal_naive_forecast"]
    acc = con.execute(
        """select quarters_tested, improvement_over_naive, improvement_over_seasonal_naive
           from marts.fct_forecast_accuracy
           where measure = ? and level = 'company' and scope_id = 'all'""",
        [measure],
    ).fetchone()
    assert acc[0] == len(rows)
    assert acc[1] == pytest.approx(1 - float(mae["forecast"] / mae["naive_forecast"]), abs=1e-6)
    assert acc[2] == pytest.approx(
        1 - float(mae["forecast"] / mae["seasonal_naive_forecast"]), abs=1e-6
    )


def refit(history: list[Decimal], method: str, steps: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.array([float(v) for v in history])
        return ETSModel(y, error="add", **MODELS[method]).fit(disp=False).forecast(steps)


@pytest.mark.parametrize(
    "level,scope_id,quarter",
    [("company", "all", "2026Q4"), ("company", "all", "2026Q1"), ("rep", "REP-012", "2026Q4")],
)
def test_forecast_refitted_with_statsmodels(con, level, scope_id, quarter):
    """The chosen model refitted on the same history (from the first month with data: no
    zeros before it) gives the mart's monthly and quarter forecasts; the band holds it."""
    months = months_of(con, "revenue", level, scope_id)
    targets = quarter_months(quarter)
    history = [v for m, v in months.items() if m < targets[0]]
    (row,) = [r for r in quarter_rows(con, "revenue", level, scope_id) if r["period"] == quarter]
    start = date(int(targets[0][:4]), int(targets[0][5:]), 1)
    assert row["origin_date"] == start - timedelta(days=1)
    mean = np.maximum(refit(history, row["method"], 3), 0)
    assert float(row["forecast"]) == pytest.approx(float(mean.sum()), abs=0.02)
    assert row["forecast_lower"] <= row["forecast"] <= row["forecast_upper"]
    monthly = con.execute(
        """select forecast from marts.fct_sales_forecast
           where measure = 'revenue' and period_type = 'month' and level = ? and scope_id = ?
             and forecast_quarter = ? order by period""",
        [level, scope_id, quarter],
    ).fetchall()
    assert [float(f) for (f,) in monthly] == pytest.approx(list(mean), abs=0.01)


def test_months_before_first_data_are_not_zeros(con):
    """REP-012 books its first revenue in 2026-01: its history starts there, and no
    forecast is made for a quarter whose origin comes before it."""
    first = min(m for m, v in months_of(con, "revenue", "rep", "REP-012").items() if v)
    assert first > "2025-06"
    history = con.execute(
        """select min(month), count(*) from intermediate.int_forecast_history
           where measure = 'revenue' and level = 'rep' and scope_id = 'REP-012'"""
    ).fetchone()
    assert history[0] == first
    rows = quarter_rows(con, "revenue", "rep", "REP-012")
    assert all(r["period_start"] > date(int(first[:4]), int(first[5:]), 1) for r in rows)
    (q4,) = [r for r in rows if r["period"] == "2026Q4"]
    assert q4["history_months"] == history[1] == 9
