"""Forecast section and the trend chart's forecast band.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from pipelines.packs import render_pack
from tests.packs.support import (
    OPTIONS,
    PACK_CASES,
    QUARTER,
    money0,
    money2,
    needs_poppler,
    one,
    parse,
    pdf_text,
    query,
    sheet_rows,
    table_body,
)
from tests.support.oracle import (
    CENT,
    PROCESS_ORDER,
    Fx,
    dbt_var,
    local_date,
    local_datetime,
    quarter_end,
)


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
    assert rows[QUARTER][11] == money2(revenue)
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


# --------------------------------------------------------------------------- pipeline columns
# Recomputed in plain Python from the demo drop's input rows (opportunities, stage history,
# reps, fx rates), never from the marts: the demo night is one load on 2026-09-30, so the
# next quarter's pipeline is that day's snapshot and every earlier quarter's is reconstructed
# from the stage history (stage held at the end of the day before the quarter began, with
# today's amount and expected close date).

FIRST_LOAD = date(2026, 9, 30)
#: Table columns of the forecast section (header order).
COLS = dict(quarter=0, pipeline=5, commit=6, best_case=7, basis=8, actual=11)
NA = {"en": "n/a", "zh": "无"}
BASIS = {
    "en": {"load_snapshot": "load snapshot", "stage_history": "stage history"},
    "zh": {"load_snapshot": "加载快照", "stage_history": "阶段历史"},
}


def _quarter_bounds(label: str) -> tuple[date, date]:
    year, q = int(label[:4]), int(label[-1])
    start = date(year, 3 * (q - 1) + 1, 1)
    return start, quarter_end(label)


def pipeline_from_inputs(drop, quarter: str, level: str, scope_id: str):
    """(basis, weighted, commit, best case) of the scope for ``quarter``, as of the day
    before it began, from the input rows."""
    start, end = _quarter_bounds(quarter)
    origin = min(start - timedelta(days=1), FIRST_LOAD)
    probability = {k: Decimal(str(v)) for k, v in dbt_var("stage_probabilities").items()}
    fx = Fx(drop)
    teams = {r["rep_id"]: (r["team"], r["region"]) for r in drop.good("sales_reps", "rep_id")}
    history: dict[str, list] = defaultdict(list)
    for h in drop.rows("opportunity_stage_history"):
        at = local_datetime(h["entered_at"])
        if at.date() <= origin:
            history[h["opportunity_id"]].append((at, PROCESS_ORDER[h["stage"]], h["stage"]))
    snapshot = origin >= FIRST_LOAD
    if not snapshot and not history:
        return "none", None, None, None
    weighted, commit, best = Decimal(0), Decimal(0), Decimal(0)
    for o in drop.good("opportunities", "opportunity_id"):
        if local_date(o["created_at"]) > origin:
            continue
        team, region = teams.get(o["owner_rep_id"], (None, None))
        scope = {"company": "all", "region": region, "team": team, "rep": o["owner_rep_id"]}
        if scope[level] != scope_id:
            continue
        if snapshot:
            stage = o["stage"]
        elif history.get(o["opportunity_id"]):
            stage = max(history[o["opportunity_id"]])[2]
        else:
            continue  # no stage known that day
        close = date.fromisoformat(o["expected_close_date"])
        if stage in ("won", "lost") or not (start <= close <= end):
            continue
        value = fx.convert(o["amount"], o["currency"], local_date(o["created_at"]))
        weighted += (value * probability[stage]).quantize(CENT, ROUND_HALF_UP)
        commit += value if o["forecast_category"] == "commit" else 0
        best += value if o["forecast_category"] in ("commit", "best_case") else 0
    if snapshot:
        return "load_snapshot", weighted, commit, best
    return "stage_history", weighted, None, None


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_pipeline_weighted_commit_best_case_from_input_rows(demo, demo_packs, level, lang):
    """Every quarter of the section (HTML and Excel): the weighted pipeline, commit and best
    case equal the recomputation from the input rows, with the basis named."""
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    rows = p.tables["forecast-table"][1:]
    header = p.tables["forecast-table"][0][0]
    sheet = table_body(sheet_rows(pack.files["xlsx"], html, "forecast"), header)
    assert [r[0] for r in sheet] == [r[0] for r in rows]
    bases = set()
    for shown, cells in zip(rows, sheet, strict=True):
        quarter = shown[COLS["quarter"]]
        basis, weighted, commit, best = pipeline_from_inputs(demo["drop"], quarter, level, scope_id)
        bases.add(basis)
        want = [weighted, commit, best]
        assert [shown[COLS[k]] for k in ("pipeline", "commit", "best_case")] == [
            NA[lang] if v is None else money2(v) for v in want
        ], quarter
        # the workbook holds the amounts as numbers (n/a: an empty cell)
        assert [
            None if cells[COLS[k]] is None else Decimal(str(cells[COLS[k]])).quantize(CENT)
            for k in ("pipeline", "commit", "best_case")
        ] == want, quarter
        if basis != "none":
            assert shown[COLS["basis"]] == BASIS[lang][basis]
    # the next quarter from the load's snapshot, the past ones from the stage history
    assert bases == {"load_snapshot", "stage_history"}
    nxt = rows[-1]
    assert nxt[0] == "2026Q4"
    # the commentary names the commit and best case of the next quarter
    _b, _w, commit, best = pipeline_from_inputs(demo["drop"], "2026Q4", level, scope_id)
    assert money0(commit) in html and money0(best) in html


@needs_poppler
def test_pipeline_columns_in_pdf(demo, demo_db, tmp_path):
    pack = render_pack(demo_db, QUARTER, tmp_path, scope="company", lang="en",
                       formats=["pdf"], options=OPTIONS)  # fmt: skip
    text = pdf_text(pack.files["pdf"])
    for quarter in ("2026Q4", "2026Q3"):
        _basis, weighted, *_ = pipeline_from_inputs(demo["drop"], quarter, "company", "all")
        assert money2(weighted) in text
    _b, _w, commit, best = pipeline_from_inputs(demo["drop"], "2026Q4", "company", "all")
    assert money2(commit) in text and money2(best) in text
    words = " ".join(text.split()).lower()  # headings may be upper-cased or wrapped
    assert "best case" in words and "stage history" in words
