"""The scorecard section's target governance on the demo night: the sentence and the Excel
table give the checks of marts.fct_targets for the quarter's targets (the quarter and its
months) in the pack's scope, English and 中文.

Expected counts are queried from the mart here with the scope worked out from the reps
(sales_reps of the drop), never taken from the section's own SQL.
"""

from __future__ import annotations

from tests.packs.support import QUARTER, parse, query, table_body, titled_sheet_rows


def expected_counts(db, scope_rows: set[tuple[str, str]] | None) -> dict[str, int]:
    """Counts over the quarter's quarter and month targets; ``scope_rows``: the (level,
    scope_id) pairs of the scope (None: the company, every target)."""
    found = query(
        db,
        """select level, scope_id, add_up_status, period_add_up_status, is_judged,
                  is_unreasonable
           from marts.fct_targets
           where (period_type = 'quarter' and period = ?)
              or (period_type = 'month' and period in (?, ?, ?))""",
        [QUARTER, "2026-07", "2026-08", "2026-09"],
    )
    found = [r for r in found if scope_rows is None or (r[0], r[1]) in scope_rows]
    return {
        "targets": len(found),
        "levels_checked": sum(r[2] in ("adds_up", "differs") for r in found),
        "levels_differ": sum(r[2] == "differs" for r in found),
        "periods_checked": sum(r[3] in ("adds_up", "differs") for r in found),
        "periods_differ": sum(r[3] == "differs" for r in found),
        "judged": sum(bool(r[4]) for r in found),
        "unreasonable": sum(bool(r[5]) for r in found),
    }


def test_company_pack_shows_the_target_governance(demo_db, demo_packs):
    c = expected_counts(demo_db, None)
    assert c["levels_checked"] > 0 and c["periods_checked"] > 0 and c["judged"] > 0
    _, pack = demo_packs[("company", "en")]
    _, p = parse(pack.files["html"])
    assert (
        f"Targets behind the scores ({c['targets']:,} of the period in this scope): "
        f"{c['levels_differ']} of {c['levels_checked']:,} team, region and company targets "
        f"differ from the sum of the level below; {c['periods_differ']} of "
        f"{c['periods_checked']:,} quarter and year targets differ from their months or "
        f"quarters; {c['unreasonable']} of {c['judged']:,} quarter targets judged are far "
        "from the trailing four-quarter run rate"
    ) in p.text_by_id["scorecard-commentary"]
    # the section's sheet holds the governance table below the scorecard
    sheet = titled_sheet_rows(pack.files["xlsx"], "Rep scorecard")
    assert any(r[0] == "Target governance" for r in sheet)
    body = table_body(sheet, "Check")
    assert [tuple(r[1:3]) for r in body] == [
        (c["levels_checked"], c["levels_differ"]),
        (c["periods_checked"], c["periods_differ"]),
        (c["judged"], c["unreasonable"]),
    ]

    _, zh = demo_packs[("company", "zh")]
    _, pz = parse(zh.files["html"])
    assert (
        f"{c['judged']:,} 项参与评判的季度目标中 {c['unreasonable']} 项明显偏离"
        in pz.text_by_id["scorecard-commentary"]
    )


def test_team_pack_counts_the_team_and_its_reps_targets(demo, demo_db, demo_packs):
    team, pack = demo_packs[("team", "en")]
    reps = {r["rep_id"] for r in demo["drop"].rows("sales_reps") if r["team"] == team}
    c = expected_counts(demo_db, {("team", team)} | {("rep", r) for r in reps})
    _, p = parse(pack.files["html"])
    assert (
        f"Targets behind the scores ({c['targets']:,} of the period in this scope): "
        f"{c['levels_differ']} of {c['levels_checked']:,} team, region and company targets"
    ) in p.text_by_id["scorecard-commentary"]
    assert c["targets"] > c["levels_checked"] > 0
