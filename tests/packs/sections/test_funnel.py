"""Funnel conversion and lead sources.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
The last test reads the shared demo night.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.packs.sections.funnel import FunnelStage, weakest_stage
from tests.packs.support import QUARTER, parse, pct, query


def test_weakest_stage_named_with_previous_rate(hand_pack):
    _, _, p = hand_pack
    # 2026Q3: 80/100=80%, 48/80=60%, 20/48=41.7%, 12/20=60% -> proposal -> negotiation
    assert p.text_by_id["funnel-weakest-stage"] == "Proposal → Negotiation"
    # previous quarter at that stage: 21/49 = 42.9%
    assert (
        "The weakest stage is Proposal → Negotiation at 41.7% (previous quarter: 42.9%)"
        in (p.text_by_id["funnel-commentary"])
    )
    rows = p.tables["funnel-table"][1:]
    assert [r[3] for r in rows] == ["80.0%", "60.0%", "41.7%", "60.0%"]


def test_weakest_stage_tie_goes_to_earliest_stage():
    stages = [
        FunnelStage(1, "qualified", "discovery", 10, 5, 0.5),
        FunnelStage(2, "discovery", "proposal", 10, 4, 0.4),
        FunnelStage(3, "proposal", "negotiation", 10, 4, 0.4),
        FunnelStage(4, "negotiation", "won", 0, 0, None),
    ]
    assert weakest_stage(stages).stage_order == 2


def _funnel_and_leads(db: Path, level: str, scope_id: str) -> tuple[list[tuple], list[tuple]]:
    funnel = query(
        db,
        """select reached_from, reached_to, conversion_rate from marts.fct_funnel_conversion
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?
           order by stage_order""",
        [QUARTER, level, scope_id],
    )
    leads = query(
        db,
        """select source, leads, converted, lead_conversion_rate from marts.fct_lead_sources
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?
           order by leads desc, source""",
        [QUARTER, level, scope_id],
    )
    return funnel, leads


def test_team_pack_funnel_and_lead_sources_are_the_teams(demo_db, demo_packs, demo_team):
    """The team pack shows the team's rows of the funnel and lead-source marts, which differ
    from the company's on the demo data; the note says who counts, not "company-wide"."""
    funnel, leads = _funnel_and_leads(demo_db, "team", demo_team)
    company_funnel, company_leads = _funnel_and_leads(demo_db, "company", "all")
    assert funnel and leads, "the demo team has a Q3 cohort and leads"
    assert funnel != company_funnel and leads != company_leads
    for level in ("team", "company"):
        html, p = parse(demo_packs[(level, "en")][1].files["html"])
        want_funnel, want_leads = funnel, leads
        if level == "company":
            want_funnel, want_leads = company_funnel, company_leads
        assert [r[1:4] for r in p.tables["funnel-table"][1:]] == [
            [f"{a:,}", f"{b:,}", "n/a" if rate is None else pct(rate)] for a, b, rate in want_funnel
        ]
        assert p.tables["leads-table"][1:] == [
            [source, f"{n:,}", f"{c:,}", pct(rate)] for source, n, c, rate in want_leads
        ]
        note = p.text_by_id.get("funnel-scope-note", "")
        assert ("without an owner" in note) == (level == "team")
        assert "Company-wide" not in html
