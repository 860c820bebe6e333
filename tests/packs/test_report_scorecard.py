"""The scorecard and process sections of the review packs, on a warehouse dbt really built.

The warehouse is a copy of the shared demo night's (tests/conftest.py: a real nightly run,
dbt build included). Expected figures are queried from the marts here and, where the pack
derives something (order, attainment, team average, the commentary's picks), worked out a
second way in plain Python; never taken from the pack's data layer.
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.packs import render_pack
from tests.packs.test_report import parse
from tests.packs.test_report_packs import OPTIONS, marts

D = Decimal
PERIOD = "2026Q3"
ACTIVITIES = ("visits", "calls", "demos", "proposals", "quotes")
TARGETED = ("visits", "proposals", "quotes")


@pytest.fixture(scope="module")
def warehouse(demo, tmp_path_factory) -> Path:
    """A copy of the demo warehouse (the shared demo home is never written to).

    The demo drop sets no process targets: the copy gets visits and quotes targets for the
    quarter's rep rows (attainment = count / target, as the mart defines it), so the target
    and attainment columns and the lowest-attainment sentence have something to show.
    """
    db = tmp_path_factory.mktemp("scorecard") / "warehouse.duckdb"
    shutil.copy(demo["home"] / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        """update marts.fct_sales_performance
           set visits_target = 10, visits_attainment = visits / 10.0,
               quotes_target = 4, quotes_attainment = quotes / 4.0
           where period_type = 'quarter' and period = ? and level = 'rep'""",
        [PERIOD],
    )
    con.close()
    return db


@pytest.fixture(scope="module")
def team(warehouse) -> str:
    """The team (current, dim_sales_reps) with the most scored reps in the quarter."""
    rows = marts(
        warehouse,
        """select r.team, count(s.scorecard_score) as scored
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team is not null
           group by r.team order by scored desc, r.team limit 1""",
        [PERIOD],
    )
    assert rows and rows[0][1] >= 2, "the demo night should score at least two reps of a team"
    return rows[0][0]


def score_text(v: Decimal | None) -> str:
    return "n/a" if v is None else f"{v:,.2f}"


def pct_text(ratio: Decimal | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{(ratio * 100).quantize(D('0.1'), ROUND_HALF_UP):,}%"


def scorecard_rows(db: Path, team: str) -> list[tuple]:
    return marts(
        db,
        """select coalesce(r.rep_name, s.rep_id), s.team, s.result_score, s.process_score,
                  s.capability_score, s.scorecard_score, s.rank_in_team, s.rank_in_company
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team = ?""",
        [PERIOD, team],
    )


def process_rows(db: Path, team: str) -> dict[str, dict]:
    cols = ["name", *ACTIVITIES, *(f"{m}_target" for m in TARGETED)]
    rows = marts(
        db,
        f"""select coalesce(r.rep_name, p.scope_id), {", ".join(f"p.{c}" for c in cols[1:])}
            from marts.fct_sales_performance p
            join marts.dim_sales_reps r on r.rep_id = p.scope_id
            where p.period_type = 'quarter' and p.period = ? and p.level = 'rep'
              and r.team = ?""",
        [PERIOD, team],
    )
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


def sheet_rows(path: Path, title: str) -> list[tuple]:
    wb = load_workbook(path)
    (name,) = [n for n in wb.sheetnames if title in n]
    return [tuple(c.value for c in row) for row in wb[name].iter_rows()]


def table_body(sheet: list[tuple], first_header: str) -> list[tuple]:
    """Rows below the header row whose first cell is ``first_header``, up to a blank row."""
    start = next(i for i, r in enumerate(sheet) if r[0] == first_header) + 1
    body = []
    for r in sheet[start:]:
        if r[0] is None:
            break
        body.append(r)
    return body


def test_team_pack_scorecard_and_process_equal_the_marts(warehouse, team, tmp_path):
    pack = render_pack(
        warehouse, PERIOD, tmp_path, scope=f"team:{team}", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    _, p = parse(pack.files["html"])
    expected = scorecard_rows(warehouse, team)
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

    sheet = sheet_rows(pack.files["xlsx"], "Rep scorecard")
    body = table_body(sheet, "Rep")
    assert [r[0] for r in body] == [e[0] for e in expected]
    for row, e in zip(body, expected, strict=True):
        values = [D(str(v)) if v is not None else None for v in row[2:6]]
        assert values == list(e[2:6])
        assert list(row[6:8]) == list(e[6:8])

    # process: counts from the mart, attainment worked out here as count / target
    procs = process_rows(warehouse, team)
    html = {r[0]: r for r in p.tables["process-table"][1:]}
    assert set(html) == set(procs)
    ratios: list[tuple[Decimal, str, str]] = []
    for name, e in procs.items():
        cells = html[name][2:]
        i = 0
        for m in ACTIVITIES:
            assert cells[i] == f"{e[m]:,}"
            i += 1
            if m in TARGETED:
                target = e[f"{m}_target"]
                ratio = D(e[m]) / target if target else None
                assert cells[i] == ("n/a" if target is None else f"{target:,.0f}")
                assert cells[i + 1] == pct_text(ratio)
                if ratio is not None:
                    ratios.append((ratio, name, m))
                i += 2
    totals = {m: sum(e[m] for e in procs.values()) for m in ACTIVITIES}
    commentary = p.text_by_id["process-commentary"]
    assert f"{len(procs)} reps logged {totals['visits']:,} visits, {totals['calls']:,} calls" in (
        commentary
    )
    # the lowest ratio (any of the tied (rep, activity) pairs)
    low = min(r for r, _n, _m in ratios)
    assert any(
        f"is {name}'s {m.capitalize()}: {pct_text(low)}" in commentary
        for r, name, m in ratios
        if r == low
    )

    sheet = sheet_rows(pack.files["xlsx"], "Process activity")
    body = {r[0]: r for r in table_body(sheet, "Rep")}
    assert set(body) == set(procs)
    for name, e in procs.items():
        row = body[name]
        # Rep, Team, visits, target, attainment, calls, demos, proposals, target, att., quotes, ...
        assert [row[2], row[5], row[6], row[7], row[10]] == [
            e["visits"], e["calls"], e["demos"], e["proposals"], e["quotes"],
        ]  # fmt: skip
        for col, m in ((3, "visits"), (8, "proposals"), (11, "quotes")):
            target = e[f"{m}_target"]
            assert (D(str(row[col])) if row[col] is not None else None) == target
            if target:
                assert abs(D(str(row[col + 1])) - D(e[m]) / target) < D("1e-9")


def test_rep_pack_shows_only_the_reps_own_row_and_the_team_average(warehouse, team, tmp_path):
    team_rows = marts(
        warehouse,
        """select s.rep_id, coalesce(r.rep_name, s.rep_id), s.team, s.scorecard_score
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team = ?
             and s.scorecard_score is not null and s.team = r.team
           order by s.rep_id""",
        [PERIOD, team],
    )
    rep_id, name, ranked_team, score = team_rows[0]
    reps = marts(warehouse, "select rep_id, rep_name from marts.dim_sales_reps")
    others = [n for r, n in reps if r != rep_id and n and n != name]
    pack = render_pack(
        warehouse, PERIOD, tmp_path, scope=f"rep:{rep_id}", formats=["html", "xlsx"],
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
        s for (s,) in marts(
            warehouse,
            """select scorecard_score from marts.fct_rep_scorecard
               where period_type = 'quarter' and period = ? and team = ?
                 and scorecard_score is not null""",
            [PERIOD, ranked_team],
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
        sheet = sheet_rows(pack.files["xlsx"], title)
        text = [str(v) for r in sheet for v in r if v is not None]
        assert not any(o in v for v in text for o in others)
        assert any(v == name for v in text)


def test_rep_pack_kpi_team_average_is_the_mean_over_the_reps_of_the_period_team(
    warehouse, tmp_path
):
    """Beside a rep's KPIs: the mean over the reps who were in the rep's team on the quarter's
    last day (the hierarchy as it was, int_sales_rep_history) and have a rep row, worked out
    here from the rep rows of fct_sales_performance in plain Python."""
    on_day = marts(
        warehouse,
        """select rep_id, team from intermediate.int_sales_rep_history
           where valid_from <= date '2026-09-30' and date '2026-09-30' < valid_to""",
    )
    team_of = dict(on_day)
    assert len(team_of) == len(on_day), "one team per rep on a day"
    rows = marts(
        warehouse,
        """select scope_id, revenue, revenue_target, collections, orders, new_customers
           from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = 'rep'""",
        [PERIOD],
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
    }
    pack = render_pack(
        warehouse, PERIOD, tmp_path, scope=f"rep:{rep_id}", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    _, p = parse(pack.files["html"])
    for name in ("revenue", "revenue_target", "collections"):
        whole = expected[name].quantize(D("1"), ROUND_HALF_UP)
        assert p.text_by_id[f"kpi-{name}-team"] == f"¥{whole:,}", name
    assert (
        f"over the {len(members)} reps who were in team {team} at the end of {PERIOD}"
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
    }
    sheet = sheet_rows(pack.files["xlsx"], "Headline KPIs")
    found = {labels[r[0]]: r[-1] for r in sheet if r and r[0] in labels}
    assert {k: D(str(v)) for k, v in found.items()} == expected


def test_chinese_pack_renders_both_sections(warehouse, team, tmp_path):
    pack = render_pack(
        warehouse, PERIOD, tmp_path, scope=f"team:{team}", lang="zh", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    html, p = parse(pack.files["html"])
    assert "销售综合评分" in p.text_by_id["scorecard-h"]
    assert "过程活动" in p.text_by_id["process-h"]
    assert "综合得分最高" in p.text_by_id["scorecard-commentary"]
    assert "名销售共记录" in p.text_by_id["process-commentary"]
    assert p.tables["scorecard-table"][0][:3] == ["销售", "团队", "结果"]
    assert len(p.tables["scorecard-table"]) - 1 == len(scorecard_rows(warehouse, team))
    assert "{" not in p.text_by_id["scorecard-commentary"] + p.text_by_id["process-commentary"]
    wb = load_workbook(pack.files["xlsx"])
    assert any("销售综合评分" in n for n in wb.sheetnames)
    assert any("过程活动" in n for n in wb.sheetnames)
