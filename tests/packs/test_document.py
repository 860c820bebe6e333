"""The pack as a whole, per scope: the header, the sections a scope gets, and a rep's pack
holding no other rep's rows.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
The last test reads the shared demo night (tests/conftest.py).
"""

from __future__ import annotations

import shutil

import duckdb
from openpyxl import load_workbook

from pipelines.packs import render_pack, render_quarterly_pack
from tests.packs.support import (
    GENERATED_AT,
    OPTIONS,
    QUARTER,
    D,
    cell_values,
    keep_first_page_png,
    money0,
    money2,
    one,
    parse,
    pdf_text,
    perf,
    query,
)
from tests.packs.support.hand_warehouse import (
    DDL,
    INSERT_PERF,
    Q_DATES,
    REPS,
    SCRIPT_NAME,
    perf_row,
)


def test_team_pack_figures_equal_the_marts(hand_warehouse, tmp_path):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, scope="team:华东一组", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    assert pack.files["html"].name == "review-pack_2026Q3_team-华东一组.html"
    _, p = parse(pack.files["html"])
    team = perf(hand_warehouse, "2026Q3", "team", "华东一组")
    assert p.text_by_id["kpi-revenue-value"] == money0(team["revenue"]) == "¥800,000"
    assert p.text_by_id["kpi-revenue_target-value"] == money0(team["revenue_target"])
    assert p.text_by_id["meta-company"] == "Team 华东一组"
    # reps of the team, by attainment, from the marts
    reps = query(
        hand_warehouse,
        """select coalesce(r.rep_name, p.scope_id), p.revenue
           from marts.fct_sales_performance p join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.period = '2026Q3' and p.level = 'rep' and r.team = '华东一组'
           order by p.revenue / p.revenue_target desc""",
    )
    rows = p.tables["ranking-reps"][1:]
    assert [r[1] for r in rows] == [name for name, _ in reps] == ["张伟", "李娜"]
    assert [r[3] for r in rows] == [money2(rev) for _, rev in reps]
    assert "ranking-teams" not in p.tables  # a team's pack ranks no other team
    # receivables of the team's reps only: snapshot 2026-09-30
    (total,) = query(
        hand_warehouse,
        """select sum(a.outstanding) from marts.fct_receivables_aging a
           join marts.dim_sales_reps r on r.rep_id = a.rep_id
           where a.as_of_date = date '2026-09-30' and r.team = '华东一组'""",
    )[0]
    aging = {r[0]: r for r in p.tables["aging-table"][1:]}
    # by hand: R001 50,000 + 12,000 + 60,000 (O-1201) and R002 30,000 = 152,000.00
    assert aging["Total"][1] == money2(total) == "¥152,000.00"
    # Excel: the same figures, as numbers
    wb = load_workbook(pack.files["xlsx"])
    kpis = wb[wb.sheetnames[1]]
    revenue_row = next(r for r in kpis.iter_rows() if r[0].value == "Revenue")
    assert D(str(revenue_row[1].value)) == team["revenue"]
    assert "¥" in revenue_row[1].number_format


OTHER_REPS = [r for r in REPS if r[0] != "R001"]


def test_rep_pack_holds_no_other_reps_rows(hand_warehouse, tmp_path):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, scope="rep:R001", formats=["html", "pdf", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    html, p = parse(pack.files["html"])
    text = " ".join("".join(p.all_text).split())
    texts = {"html": text, "xlsx": " ".join(map(str, cell_values(pack.files["xlsx"])))}
    if shutil.which("pdftotext"):
        texts["pdf"] = pdf_text(pack.files["pdf"])
        keep_first_page_png(pack.files["pdf"])
    other_orders = [o for o, *_ in query(
        hand_warehouse, "select order_id from marts.fct_receivables_aging where rep_id <> 'R001'"
    )]  # fmt: skip
    for fmt, content in texts.items():
        content = content if fmt != "pdf" else "".join(content.split())  # cells wrap in PDF
        for rep_id, name, *_ in OTHER_REPS:
            assert name not in content, (fmt, name)
            assert rep_id not in content, (fmt, rep_id)
        for order in other_orders:
            assert order not in content, (fmt, order)
        assert SCRIPT_NAME.replace(" ", "") not in content  # R002's account, R002's order
    # the rep's own figures beside the team average
    rep = perf(hand_warehouse, "2026Q3", "rep", "R001")
    assert p.text_by_id["kpi-revenue-value"] == money0(rep["revenue"]) == "¥500,000"
    team_reps = query(
        hand_warehouse,
        """select p.revenue, p.revenue_target from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.period = '2026Q3' and p.level = 'rep' and r.team = '华东一组'""",
    )
    mean = sum(r[0] for r in team_reps) / len(team_reps)  # (500,000.40 + 300,000) / 2
    assert p.text_by_id["kpi-revenue-team"] == money0(mean) == "¥400,000"
    team = perf(hand_warehouse, "2026Q3", "team", "华东一组")
    assert p.text_by_id["kpi-revenue_attainment-team"] == (
        f"{D(repr(team['revenue_attainment'])) * 100:.1f}%"
    )
    assert "ranking" not in {tag_id for tag_id in p.text_by_id}
    assert p.text_by_id["meta-company"] == "张伟 (R001), team 华东一组"


def test_sparse_warehouse_renders_with_na(tmp_path):
    """Only one company quarter row, nothing else: every section degrades to text, no crash."""
    db = tmp_path / "sparse.duckdb"
    con = duckdb.connect(str(db))
    for ddl in DDL:
        con.execute(ddl)
    start, end = Q_DATES["2026Q3"]
    con.execute(
        INSERT_PERF,
        perf_row("quarter", "2026Q3", start, end, "company", "all", D("1000.00"), None),
    )
    con.close()
    _, p = parse(render_quarterly_pack(db, "2026Q3", tmp_path, generated_at=GENERATED_AT))
    assert p.text_by_id["kpi-revenue-value"] == "¥1,000"
    assert p.text_by_id["kpi-revenue-qoq"] == "n/a"
    assert p.text_by_id["kpi-revenue-yoy"] == "n/a"
    assert p.text_by_id["kpi-revenue_attainment-value"] == "n/a"
    assert "no company revenue target" in p.text_by_id["kpis-commentary"]
    assert "funnel-weakest" not in p.text_by_id
    assert "chart-trend" not in p.text_by_id and "ranking-reps" not in p.tables
    assert p.text_by_id["trust-statement"].startswith("Trust: unknown.")
    assert (
        "There is no receivables snapshot on or before 2026-09-30."
        in (p.text_by_id["receivables-commentary"])
    )


def test_rep_pack_new_sections_hold_only_the_rep(demo_db, tmp_path):
    rep_id, name = query(
        demo_db,
        """select r.rep_id, r.rep_name from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.period = ? and p.level = 'rep' order by p.revenue desc limit 1""",
        [QUARTER],
    )[0]
    pack = render_pack(demo_db, QUARTER, tmp_path, scope=f"rep:{rep_id}", options=OPTIONS)
    html, p = parse(pack.files["html"])
    snap = one(
        demo_db,
        """select next_quarter_open_pipeline from marts.fct_pipeline_snapshots
           where snapshot_date = date '2026-09-30' and level = 'rep' and scope_id = ?""",
        [rep_id],
    )
    assert p.tables["coverage-table"][1][2] == money2(snap["next_quarter_open_pipeline"])
    names = query(demo_db, "select rep_name from marts.dim_sales_reps where rep_id <> ?", [rep_id])
    others = [n for (n,) in names if n and n != name and n not in name]
    for key in ("pipeline", "forecast", "customers", "channels"):
        start = html.index(f'<section id="{key}"')
        body = html[start : html.index("</section>", start)]
        assert not [n for n in others if n in body], key
