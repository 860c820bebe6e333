"""Attainment ranking: order, and a region's pack ranking only its teams.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, money0, parse, perf


def test_ranking_order(hand_pack):
    _, _, p = hand_pack
    teams = p.tables["ranking-teams"][1:]
    # 122.2%, 106.7%, 60.0%
    assert [r[1] for r in teams] == ["华北一组", "华东一组", "华东二组"]
    assert [r[5] for r in teams] == ["122.2%", "106.7%", "60.0%"]
    reps = p.tables["ranking-reps"][1:]
    # 125.0% 张伟, 100.0% 刘洋, 85.7% 李娜, 60.0% 王芳, then 陈静 without target (and left)
    assert [r[1] for r in reps] == ["张伟", "刘洋", "李娜", "王芳", "陈静 left"]
    assert [r[2] for r in reps] == ["华东一组", "华北一组", "华东一组", "华东二组", "华北一组"]
    assert [r[5] for r in reps] == ["125.0%", "100.0%", "85.7%", "60.0%", "n/a"]
    assert reps[0][3] == "¥500,000.40"


def test_region_pack_ranks_only_its_teams(hand_warehouse, tmp_path):
    pack = render_pack(hand_warehouse, "2026Q3", tmp_path, scope="region:华东", options=OPTIONS)
    _, p = parse(pack.files["html"])
    region = perf(hand_warehouse, "2026Q3", "region", "华东")
    # by hand: 500,000.40 + 300,000 + 180,000 = 980,000.40
    assert p.text_by_id["kpi-revenue-value"] == money0(region["revenue"]) == "¥980,000"
    assert sorted(r[1] for r in p.tables["ranking-teams"][1:]) == ["华东一组", "华东二组"]
    assert {r[2] for r in p.tables["ranking-reps"][1:]} == {"华东一组", "华东二组"}
