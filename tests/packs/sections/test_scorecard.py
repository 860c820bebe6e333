"""Rep scorecard: a team's scorecard, a rep's own row beside the team average, 中文.

The warehouse is a copy of the shared demo night's with process targets (conftest
``targets_warehouse``). Expected figures are queried from the marts here and, where the pack
derives something (order, attainment, team average, the commentary's picks), worked out a
second way in plain Python; never taken from the pack's own code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, QUARTER, D, parse, query, table_body, titled_sheet_rows


def score_text(v: Decimal | None) -> str:
    return "n/a" if v is None else f"{v:,.2f}"


def scorecard_rows(db: Path, team: str) -> list[tuple]:
    return query(
        db,
        """select coalesce(r.rep_name, s.rep_id), s.team, s.result_score, s.process_score,
                  s.capability_score, s.scorecard_score, s.rank_in_team, s.rank_in_company
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team = ?""",
        [QUARTER, team],
    )


def test_team_pack_scorecard_equals_the_marts(targets_warehouse, scored_team, scored_team_pack):
    pack = scored_team_pack
    _, p = parse(pack.files["html"])
    expected = scorecard_rows(targets_warehouse, scored_team)
    # best score first, unscored last: sorted here by a plain key
    expected.sort(key=lambda r: (r[5] is None, -(r[5] or 0), r[0]))
    html = p.tables["scorecard-table"][1:]
    assert [r[0] for r in html] == [e[0] for e in expected]
    for row, e in zip(html, expected, strict=True):
        assert row[2:6] == [score_text(v) for v in e[2:6]]
        assert row[6:8] == [str(v) if v is not None else "n/a" for v in e[6:8]]
    top = max((e for e in expected if e[5] is not None), key=lambda e: e[5])
    assert (
        f"{top[0]} ({top[1]}) has the highest scorecard score, {score_text(top[5])}"
        in (p.text_by_id["scorecard-commentary"])
    )

    sheet = titled_sheet_rows(pack.files["xlsx"], "Rep scorecard")
    body = table_body(sheet, "Rep")
    assert [r[0] for r in body] == [e[0] for e in expected]
    for row, e in zip(body, expected, strict=True):
        values = [D(str(v)) if v is not None else None for v in row[2:6]]
        assert values == list(e[2:6])
        assert list(row[6:8]) == list(e[6:8])


def test_rep_pack_shows_only_the_reps_own_row_and_the_team_average(
    targets_warehouse, scored_team, tmp_path
):
    team_rows = query(
        targets_warehouse,
        """select s.rep_id, coalesce(r.rep_name, s.rep_id), s.team, s.scorecard_score
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team = ?
             and s.scorecard_score is not null and s.team = r.team
           order by s.rep_id""",
        [QUARTER, scored_team],
    )
    rep_id, name, ranked_team, score = team_rows[0]
    reps = query(targets_warehouse, "select rep_id, rep_name from marts.dim_sales_reps")
    others = [n for r, n in reps if r != rep_id and n and n != name]
    pack = render_pack(
        targets_warehouse, QUARTER, tmp_path, scope=f"rep:{rep_id}", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    _, p = parse(pack.files["html"])
    for table in ("scorecard-table", "process-table"):
        body = p.tables[table][1:]
        assert [r[0] for r in body if not r[0].startswith("Team ")] == [name]
        assert not any(o in cell for r in body for cell in r for o in others)
    assert p.tables["scorecard-table"][1][5] == score_text(score)
    # the team average: every scored rep of the team the rep was ranked in, by hand
    scores = [
        s for (s,) in query(
            targets_warehouse,
            """select scorecard_score from marts.fct_rep_scorecard
               where period_type = 'quarter' and period = ? and team = ?
                 and scorecard_score is not null""",
            [QUARTER, ranked_team],
        )
    ]  # fmt: skip
    average = (sum(scores) / len(scores)).quantize(D("0.01"), ROUND_HALF_UP)
    assert p.text_by_id["scorecard-team-average"] == (
        f"Team {ranked_team} average {score_text(average)}"
    )
    assert (
        f"averages {score_text(average)} over its {len(scores)} scored reps"
        in (p.text_by_id["scorecard-commentary"])
    )
    for title in ("Rep scorecard", "Process activity"):
        sheet = titled_sheet_rows(pack.files["xlsx"], title)
        text = [str(v) for r in sheet for v in r if v is not None]
        assert not any(o in v for v in text for o in others)
        assert any(v == name for v in text)


def test_chinese_pack_renders_both_sections(targets_warehouse, scored_team, tmp_path):
    pack = render_pack(
        targets_warehouse, QUARTER, tmp_path, scope=f"team:{scored_team}", lang="zh",
        formats=["html", "xlsx"], options=OPTIONS,
    )  # fmt: skip
    html, p = parse(pack.files["html"])
    assert "销售综合评分" in p.text_by_id["scorecard-h"]
    assert "过程活动" in p.text_by_id["process-h"]
    assert "综合得分最高" in p.text_by_id["scorecard-commentary"]
    assert "名销售共记录" in p.text_by_id["process-commentary"]
    assert p.tables["scorecard-table"][0][:3] == ["销售", "团队", "结果"]
    assert len(p.tables["scorecard-table"]) - 1 == len(
        scorecard_rows(targets_warehouse, scored_team)
    )
    assert "{" not in p.text_by_id["scorecard-commentary"] + p.text_by_id["process-commentary"]
    wb = load_workbook(pack.files["xlsx"])
    assert any("销售综合评分" in n for n in wb.sheetnames)
    assert any("过程活动" in n for n in wb.sheetnames)
