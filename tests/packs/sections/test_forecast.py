"""Forecast band: next quarter's forecasts and the past quarters' actuals.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

import pytest

from tests.packs.support import PACK_CASES, QUARTER, money2, one, parse, query


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_forecast_band_next_quarter_and_actuals(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    rows = {r[0]: r for r in p.tables["forecast-table"][1:]}
    nxt = one(
        demo_db,
        """select * from marts.fct_revenue_forecast
           where forecast_quarter = '2026Q4' and level = ? and scope_id = ?""",
        [level, scope_id],
    )
    assert list(rows)[-1] == "2026Q4"
    assert rows["2026Q4"][2:5] == [
        money2(nxt["trend_forecast"]),
        money2(nxt["pipeline_forecast"]),
        "n/a" if lang == "en" else "无",
    ]
    # 2026Q3 has ended: its actual is the scope's revenue of fct_sales_performance
    (revenue,) = query(
        demo_db,
        """select revenue from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    assert rows[QUARTER][4] == money2(revenue)
    # the figures are the scope's own: no "whole company" note in any pack
    company_note = {"en": "whole company", "zh": "全公司口径"}[lang]
    assert company_note not in html
