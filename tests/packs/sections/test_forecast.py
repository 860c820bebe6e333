"""Forecast section and the trend chart's forecast band.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

import re

import pytest

from tests.packs.support import PACK_CASES, QUARTER, money2, one, parse, query


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_forecast_next_quarter_band_pipeline_and_actuals(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    rows = {r[0]: r for r in p.tables["forecast-table"][1:]}
    nxt = one(
        demo_db,
        """select * from marts.fct_sales_forecast
           where measure = 'revenue' and period_type = 'quarter' and period = '2026Q4'
             and level = ? and scope_id = ?""",
        [level, scope_id],
    )
    assert list(rows)[-1] == "2026Q4"
    assert rows["2026Q4"][2:6] == [
        money2(nxt["forecast"]),
        money2(nxt["forecast_lower"]),
        money2(nxt["forecast_upper"]),
        money2(nxt["pipeline_forecast"]),
    ]
    # 2026Q3 has ended: its actual is the scope's revenue of fct_sales_performance
    (revenue,) = query(
        demo_db,
        """select revenue from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    assert rows[QUARTER][8] == money2(revenue)
    # the back-test sentence names the benchmarks
    assert {"en": "seasonal-naive", "zh": "季节朴素预测"}[lang] in html


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_trend_chart_draws_forecast_and_band(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, _ = parse(pack.files["html"])
    svg = html[
        html.index('id="chart-trend"') : html.index("</svg>", html.index('id="chart-trend"'))
    ]
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    months = [
        m
        for (m,) in query(
            demo_db,
            """select period from marts.fct_sales_forecast
               where measure = 'revenue' and period_type = 'month' and forecast_quarter = '2026Q4'
                 and level = ? and scope_id = ? order by period""",
            [level, scope_id],
        )
    ]
    assert months == ["2026-10", "2026-11", "2026-12"]
    for label in [*months, {"en": "80% band", "zh": "80% 区间"}[lang]]:
        assert label in texts
    # the band: a filled area (fill_between draws one closed path) beside the bars
    assert svg.count('<g id="FillBetweenPolyCollection') + svg.count("fill-opacity") >= 1
