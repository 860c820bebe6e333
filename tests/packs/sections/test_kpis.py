"""Headline KPIs: values, changes, the largest-gap sentence, a rep's team average.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
The team-average test reads a copy of the shared demo night (targets_warehouse).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, QUARTER, D, money0, parse, query, titled_sheet_rows
from tests.packs.support.hand_warehouse import COMPANY, REP_Q3


def test_headline_revenue_attainment_and_changes(hand_pack):
    _, _, p = hand_pack
    revenue, target = COMPANY["2026Q3"][0], COMPANY["2026Q3"][4]
    assert revenue == sum(r[0] for r in REP_Q3.values())  # the company row is the sum of reps
    # 1,530,000.40 -> headline without decimals
    assert p.text_by_id["kpi-revenue-value"] == money0(revenue) == "¥1,530,000"
    assert p.text_by_id["kpi-revenue_target-value"] == "¥1,700,000"
    # 1,530,000.40 / 1,700,000 = 0.90000024 -> 90.0%
    assert (
        p.text_by_id["kpi-revenue_attainment-value"] == f"{revenue / target * 100:.1f}%" == "90.0%"
    )
    # QoQ: (1,530,000.40 - 1,200,000) / 1,200,000 = +27.50003%
    prev = COMPANY["2026Q2"][0]
    assert p.text_by_id["kpi-revenue-qoq"] == f"+{(revenue - prev) / prev * 100:.1f}%" == "+27.5%"
    # YoY: (1,530,000.40 - 1,275,000) / 1,275,000 = +20.00003%
    assert p.text_by_id["kpi-revenue-yoy"] == "+20.0%"
    # attainment in percentage points: 90.0% - 80.0%
    assert p.text_by_id["kpi-revenue_attainment-qoq"] == "+10.0 pp"
    # win rate 12 / (12 + 8) = 60.0%, previous 9 / 20 = 45.0% -> +15.0 pp
    assert p.text_by_id["kpi-win_rate-value"] == "60.0%"
    assert p.text_by_id["kpi-win_rate-qoq"] == "+15.0 pp"
    # collections 1,380,000 vs 1,250,000 -> +10.4%
    assert p.text_by_id["kpi-collections-qoq"] == "+10.4%"
    # cycle 42.5 vs 47.0 days -> -4.5 days (shorter is better)
    assert p.text_by_id["kpi-avg_sales_cycle_days-value"] == "42.5 days"
    assert p.text_by_id["kpi-avg_sales_cycle_days-qoq"] == "-4.5 days"


def test_headline_commentary_names_largest_team_gap(hand_pack):
    _, _, p = hand_pack
    text = p.text_by_id["kpis-commentary"]
    # teams: 华东一组 800,000.40/750,000 = 106.7%, 华东二组 180,000/300,000 = 60.0%,
    # 华北一组 550,000/450,000 = 122.2% -> the gap is 华东二组
    assert "Revenue reached ¥1,530,000, 90.0% of the ¥1,700,000 target" in text
    assert "the largest gap is team 华东二组 at 60.0%" in text
    assert "up 27.5% on 2026Q2" in text


def test_rep_pack_kpi_team_average_is_the_mean_over_the_reps_of_the_period_team(
    targets_warehouse, tmp_path
):
    """Beside a rep's KPIs: the mean over the reps who were in the rep's team on the quarter's
    last day (the hierarchy as it was, int_sales_rep_history) and have a rep row, worked out
    here from the rep rows of fct_sales_performance in plain Python."""
    on_day = query(
        targets_warehouse,
        """select rep_id, team from intermediate.int_sales_rep_history
           where valid_from <= date '2026-09-30' and date '2026-09-30' < valid_to""",
    )
    team_of = dict(on_day)
    assert len(team_of) == len(on_day), "one team per rep on a day"
    rows = query(
        targets_warehouse,
        """select scope_id, revenue, revenue_target, collections, orders, new_customers,
                  won_amount
           from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = 'rep'""",
        [QUARTER],
    )
    by_team: dict[str, list[tuple]] = {}
    for row in rows:
        if team_of.get(row[0]) is not None:
            by_team.setdefault(team_of[row[0]], []).append(row)
    team = min(t for t, members in by_team.items() if len(members) >= 2)
    members = by_team[team]
    rep_id = min(r[0] for r in members)

    def mean(column: int) -> Decimal:
        values = [D(r[column]) for r in members if r[column] is not None]
        return (sum(values) / len(values)).quantize(D("0.01"), ROUND_HALF_UP)

    expected = {
        "revenue": mean(1),
        "revenue_target": mean(2),
        "collections": mean(3),
        "orders": mean(4),
        "new_customers": mean(5),
        "won_amount": mean(6),
    }
    pack = render_pack(
        targets_warehouse, QUARTER, tmp_path, scope=f"rep:{rep_id}", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    _, p = parse(pack.files["html"])
    for name in ("revenue", "revenue_target", "collections", "won_amount"):
        whole = expected[name].quantize(D("1"), ROUND_HALF_UP)
        assert p.text_by_id[f"kpi-{name}-team"] == f"¥{whole:,}", name
    assert (
        f"over the {len(members)} reps who were in team {team} at the end of {QUARTER}"
        in (p.text_by_id["team-average-note"])
    )
    assert p.text_by_id["meta-company"].endswith(f"team {team}")
    # the workbook holds the exact means (the KPI table's last column)
    labels = {
        "Revenue": "revenue",
        "Revenue target": "revenue_target",
        "Collections": "collections",
        "Orders": "orders",
        "New customers": "new_customers",
        "Bookings (won amount)": "won_amount",
    }
    sheet = titled_sheet_rows(pack.files["xlsx"], "Headline KPIs")
    found = {labels[r[0]]: r[-1] for r in sheet if r and r[0] in labels}
    assert {k: D(str(v)) for k, v in found.items()} == expected
