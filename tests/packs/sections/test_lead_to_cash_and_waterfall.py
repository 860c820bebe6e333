"""The lead-to-cash table (funnel section) and the pipeline waterfall (pipeline section).

The hand-made warehouse (tests/packs/support/hand_warehouse.py) with the pipeline marts and
the two new marts added by hand: every figure below is worked out from the rows written here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.packs.render import render_pack
from tests.packs.support import parse
from tests.packs.support.hand_warehouse import build_warehouse

# 2026Q3 company cohort: 40 leads, 20 opportunities (after 6.5 days), 8 won (30), 6 ordered
# (4), 3 paid (21.5)
LEAD_TO_CASH = [
    (1, "lead", 40, None, None, 1.0, None),
    (2, "opportunity", 20, 40, 0.5, 0.5, 6.5),
    (3, "won", 8, 20, 0.4, 0.2, 30.0),
    (4, "ordered", 6, 8, 0.75, 0.15, 4.0),
    (5, "paid", 3, 6, 0.5, 0.075, 21.5),
]
# 2026Q3 company waterfall: 10000 + 2000 + 1500 + 500 - 300 - 2500 - 4000 - 1200 = 6000
WATERFALL = dict(
    opening_balance="10000.00",
    new_amount="2000.00",
    pulled_in="1500.00",
    pushed_out="2500.00",
    amount_up="500.00",
    amount_down="300.00",
    won="4000.00",
    lost="1200.00",
    transferred_in="0.00",
    transferred_out="0.00",
    closing_balance="6000.00",
)


def _add_marts(db: Path) -> None:
    con = duckdb.connect(str(db))
    con.execute(
        """create table marts.fct_pipeline_snapshots (snapshot_date date, level varchar,
           scope_id varchar, next_quarter varchar, next_quarter_open_pipeline decimal(38, 2),
           next_quarter_weighted_pipeline decimal(38, 2),
           next_quarter_revenue_target decimal(38, 2), next_quarter_coverage double)"""
    )
    con.execute(
        """create table marts.fct_pipeline (period_type varchar, period varchar,
           period_start date, period_end date, level varchar, scope_id varchar,
           open_opportunities bigint, open_pipeline decimal(38, 2),
           weighted_pipeline decimal(38, 2), revenue_target decimal(38, 2),
           revenue_booked decimal(38, 2), remaining_target decimal(38, 2),
           pipeline_coverage double)"""
    )
    con.execute(
        """create table marts.fct_lead_to_cash_funnel (period_type varchar, period varchar,
           level varchar, scope_id varchar, step_order integer, step varchar, leads bigint,
           previous_step_leads bigint, step_conversion_rate double,
           cohort_conversion_rate double, median_days_from_previous double)"""
    )
    for row in LEAD_TO_CASH:
        con.execute(
            "insert into marts.fct_lead_to_cash_funnel values "
            "('quarter', '2026Q3', 'company', 'all', ?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )
    columns = ", ".join(f"{name} decimal(38, 2)" for name in WATERFALL)
    con.execute(
        f"""create table marts.fct_pipeline_waterfall (period_type varchar, period varchar,
            opening_date date, closing_date date, is_history_complete boolean, level varchar,
            scope_id varchar, {columns})"""
    )
    con.execute(
        f"""insert into marts.fct_pipeline_waterfall
            (period_type, period, opening_date, closing_date, is_history_complete, level,
             scope_id, {", ".join(WATERFALL)})
            values ('quarter', '2026Q3', ?, ?, true, 'company', 'all',
                    {", ".join("?" for _ in WATERFALL)})""",
        [date(2026, 6, 30), date(2026, 9, 30), *(Decimal(v) for v in WATERFALL.values())],
    )
    con.close()


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, tuple[str, object]]:
    tmp = tmp_path_factory.mktemp("l2c")
    db = build_warehouse(tmp / "warehouse.duckdb")
    _add_marts(db)
    out = {}
    for lang in ("en", "zh"):
        pack = render_pack(db, "2026Q3", tmp / lang, lang=lang, formats=["html"])
        out[lang] = parse(pack.files["html"])
    return out


def test_lead_to_cash_table_lists_the_five_steps(packs) -> None:
    _, p = packs["en"]
    rows = p.tables["lead_to_cash-table"]
    assert rows[0][0] == "Step"
    assert [r[:2] for r in rows[1:]] == [
        ["Lead", "40"],
        ["Opportunity", "20"],
        ["Won", "8"],
        ["Ordered", "6"],
        ["Paid", "3"],
    ]
    # from the step before: 20/40, 8/20, 6/8, 3/6; of the leads: 3/40 = 7.5%
    assert [r[2] for r in rows[2:]] == ["50.0%", "40.0%", "75.0%", "50.0%"]
    assert rows[5][3] == "7.5%"
    said = p.text_by_id["lead-to-cash-commentary"]
    assert "40 leads" in said and "8 became won deals" in said and "3 were paid" in said


def test_waterfall_table_adds_up_from_opening_to_closing(packs) -> None:
    html, p = packs["en"]
    rows = p.tables["waterfall-table"]
    labels = [r[0] for r in rows[1:]]
    # no transfers at company level
    assert labels == [
        "Opening balance",
        "+ New",
        "+ Pulled in",
        "+ Amount increased",
        "− Amount decreased",
        "− Pushed out",
        "− Won",
        "− Lost",
        "Closing balance",
    ]
    amounts = [Decimal(r[1].replace(",", "").replace("¥", "").strip()) for r in rows[1:]]
    assert amounts[0] + sum(amounts[1:-1]) == amounts[-1] == Decimal("6000.00")
    assert "Pipeline movement from" in html


def test_chinese_pack_names_the_steps_and_movements(packs) -> None:
    _, p = packs["zh"]
    assert [r[0] for r in p.tables["lead_to_cash-table"][1:]] == [
        "线索",
        "商机",
        "成交",
        "下单",
        "回款",
    ]
    assert p.tables["waterfall-table"][1][0] == "期初余额"
    assert p.tables["waterfall-table"][-1][0] == "期末余额"


def test_overall_sentence_counts_deals_that_skipped_the_stage_before_won() -> None:
    """With stages as the history records them, a pair's reached_to counts only the deals that
    reached both stages: the sentence on the whole path counts every deal that reached won
    (reached_stage_to), also the ones that skipped negotiation: 5 of 20."""
    from pipelines.core.i18n import load_strings
    from pipelines.packs.formatting import Formatter
    from pipelines.packs.sections.funnel import FunnelStage, funnel_commentary

    stages = [
        FunnelStage(1, "qualified", "discovery", 20, 12, 0.6, 12),
        FunnelStage(2, "discovery", "proposal", 12, 8, 8 / 12, 9),
        FunnelStage(3, "proposal", "negotiation", 9, 4, 4 / 9, 4),
        FunnelStage(4, "negotiation", "won", 4, 2, 0.5, 5),
    ]
    t = load_strings("en")
    said = funnel_commentary(stages, [], "2026Q3", "2026Q2", Formatter(t, "CNY"), t)
    assert "Of the 20 opportunities created in 2026Q3 that reached Qualified, 5 reached Won" in (
        " ".join(said)
    )
    assert "(25.0%)" in " ".join(said)
