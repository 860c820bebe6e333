"""The frame of a pack: the as-of date, a period in progress, past periods read as of their
end, months, and periods without data.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
Last test: the shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.packs import render_pack, render_quarterly_pack
from tests.packs.support import GENERATED_AT, OPTIONS, money0, one, parse, pct, perf, query
from tests.packs.support.hand_warehouse import build_warehouse


def test_as_of_date_picks_earlier_snapshot(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    out = render_quarterly_pack(
        db, "2026Q3", tmp_path, as_of_date=date(2026, 8, 15), generated_at=GENERATED_AT
    )
    _, p = parse(out)
    assert p.text_by_id["meta-as-of"] == "2026-08-15"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    rows = {r[0]: r for r in p.tables["aging-table"][1:]}
    assert rows["31–60 days"][1] == "¥7,777.00"
    assert "in-progress" not in p.text_by_id  # the loads reach past the quarter end


def test_default_as_of_is_latest_load_when_earlier(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb", latest_load_as_of=date(2026, 9, 10))
    _, p = parse(render_quarterly_pack(db, "2026Q3", tmp_path, generated_at=GENERATED_AT))
    assert p.text_by_id["meta-as-of"] == "2026-09-10"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    assert "up to 2026-09-10" in p.text_by_id["in-progress"]


def test_quarter_without_data_raises(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match=r"2024Q1.*2025Q3 to 2026Q3"):
        render_quarterly_pack(db, "2024Q1", tmp_path)
    assert not list(tmp_path.glob("*.html"))


def test_monthly_company_pack(hand_warehouse, tmp_path):
    _, p = parse(render_pack(hand_warehouse, "2026-09", tmp_path, options=OPTIONS).files["html"])
    sep, aug = (
        perf(hand_warehouse, "2026-09", "company", "all"),
        perf(hand_warehouse, "2026-08", "company", "all"),
    )
    assert p.text_by_id["meta-quarter"] == "2026-09"
    assert p.text_by_id["kpi-revenue-value"] == money0(sep["revenue"]) == "¥550,000"
    # MoM: (550,000 - 480,000) / 480,000 = +14.58%
    change = (sep["revenue"] - aug["revenue"]) / aug["revenue"] * 100
    assert p.text_by_id["kpi-revenue-qoq"] == f"+{change:.1f}%" == "+14.6%"
    assert "Monthly review" in "".join(p.all_text)
    assert "MoM" in "".join(p.all_text)


def test_past_quarter_is_read_as_of_its_end(hand_warehouse, tmp_path):
    _, p = parse(render_pack(hand_warehouse, "2026Q2", tmp_path, options=OPTIONS).files["html"])
    assert p.text_by_id["meta-as-of"] == "2026-06-30"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    # load 1 (as of 2026-06-30): 100 of 1,000 rows quarantined
    assert p.text_by_id["share-quarantined"] == "10.00%"
    # F6 was still open at load 1 (first seen 1, last seen 2): counted in 2026Q2, not now
    by_rule = {r[0]: r[1:] for r in p.tables["dq-by-rule"][1:]}
    assert by_rule["required_missing"] == ["2", "0", "2"]


def test_past_quarter_and_monthly_pack(demo_db, demo_team, tmp_path):
    # 2026Q2 is read as of 2026-06-30: a snapshot only if the history reaches back that far
    (snapshots,) = query(
        demo_db,
        """select count(*) from marts.fct_pipeline_snapshots
           where level = 'company' and snapshot_date <= date '2026-06-30'""",
    )[0]
    pack = render_pack(demo_db, "2026Q2", tmp_path, options=OPTIONS)
    _, p = parse(pack.files["html"])
    said = p.text_by_id["pipeline-commentary"]
    assert ("no pipeline snapshot" in said) == (snapshots == 0)
    assert list(r[0] for r in p.tables["forecast-table"][1:])[-1] == "2026Q3"
    # a month: the team's monthly retention row
    pack = render_pack(demo_db, "2026-08", tmp_path, scope=f"team:{demo_team}", options=OPTIONS)
    _, p = parse(pack.files["html"])
    ret = one(
        demo_db,
        """select churned, repeat_purchase_rate from marts.fct_customer_retention
           where period_type = 'month' and period = '2026-08' and level = 'team'
             and scope_id = ?""",
        [demo_team],
    )
    values = {r[0]: r[1] for r in p.tables["customers-table"][1:]}
    assert values["Churned"] == f"{ret['churned']:,}"
    assert values["Repeat purchase rate"] == pct(ret["repeat_purchase_rate"])
    # next quarter after August is 2026Q4
    assert list(r[0] for r in p.tables["forecast-table"][1:])[-1] == "2026Q4"
