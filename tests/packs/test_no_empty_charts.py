"""No chart is drawn on an axis of zeros: the section says in one sentence why there is none.

A copy of the hand-made warehouse (tests/packs/support/hand_warehouse.py) whose company figures
are zero where a chart would draw them: twelve months of revenue 0 without a target (the
trend), stage conversion 0 in the quarter and the one before (the funnel), nothing
outstanding (the aging). Each of these sections keeps its tables and commentary, draws no
``<svg>`` and says why, in English and 中文. The chart functions refuse such data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.core.i18n import load_strings
from pipelines.packs import charts, render_pack
from tests.packs.support import OPTIONS, QUARTER, parse

#: The sections whose chart has nothing to draw, and the id of the sentence saying so.
EMPTY = {
    "trend": "trend-no-chart",
    "funnel": "funnel-no-chart",
    "receivables": "receivables-no-chart",
}


@pytest.fixture(scope="module")
def zero_warehouse(hand_warehouse, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("zeros") / "warehouse.duckdb"
    shutil.copy(hand_warehouse, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            """update marts.fct_sales_performance
               set revenue = 0, revenue_target = null, revenue_attainment = null, won_amount = 0
               where period_type = 'month' and level = 'company'"""
        )
        con.execute("update marts.fct_funnel_conversion set reached_to = 0, conversion_rate = 0")
        con.execute("update marts.fct_receivables_aging set outstanding = 0, paid = amount_due")
    return db


@pytest.fixture(scope="module", params=["en", "zh"])
def zero_pack(request, zero_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"zeros-{request.param}")
    pack = render_pack(zero_warehouse, QUARTER, out, lang=request.param, options=OPTIONS)
    html, parser = parse(pack.files["html"])
    return request.param, html, parser


def _section(html: str, key: str) -> str:
    return html.split(f'<section id="{key}"')[1].split("</section>")[0]


def test_sections_with_nothing_to_draw_draw_no_chart_and_say_why(zero_pack):
    lang, html, parser = zero_pack
    for key, sentence_id in EMPTY.items():
        section = _section(html, key)
        assert "<svg" not in section, key
        assert "None" not in section, key  # no placeholder printed where a chart was
        assert parser.text_by_id[sentence_id], key
    t = load_strings(lang)
    assert parser.text_by_id["trend-no-chart"] == t(
        "trend.no_chart", metric=t("lead.revenue.in_sentence")
    )
    assert parser.text_by_id["funnel-no-chart"] == t(
        "funnel.no_chart", quarter=QUARTER, previous="2026Q2"
    )
    # the figures are still there: the trend's table, the funnel's stages, the aging table
    assert len(parser.tables["trend-table"]) == 13
    assert parser.tables["funnel-table"]
    assert parser.tables["aging-table"]


def test_the_other_charts_are_unaffected(hand_pack):
    """The same warehouse with its figures draws every chart and no "nothing to draw" line."""
    _, html, parser = hand_pack
    for key, sentence_id in EMPTY.items():
        assert "<svg" in _section(html, key), key
        assert sentence_id not in parser.text_by_id


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.trend_chart(
            ["2026-07", "2026-08"], [0.0, None], [None, 0.0], set(), title="t",
            y_label="y", revenue_label="r", target_label="g", divisor=1,
        ),
        lambda: charts.funnel_chart(
            ["a → b"], [0.0], [None], 0, title="t", x_label="x",
            current_label="c", previous_label="p",
        ),
        lambda: charts.aging_chart(["not due"], [0.0], title="t", y_label="y", divisor=1),
    ],
)  # fmt: skip
def test_chart_functions_refuse_an_axis_of_zeros(draw):
    with pytest.raises(charts.NothingToDraw):
        draw()
