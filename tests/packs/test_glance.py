"""The "At a glance" list at the top of a pack: one sentence each for pipeline coverage
entering next quarter, receivables (DSO, overdue exposure), customers (new, churned) and
data-quality trust, in English and 中文.

The warehouse is the shared demo night (tests/conftest.py: a real nightly run, dbt included,
business date 2026-09-30). Every expected figure is queried here straight from the marts and
meta tables (never through pipelines/packs/sections) and put into the sentences written out
below; a second part takes figures away and checks that their sentence goes with them.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from html import unescape
from pathlib import Path

import duckdb
import pytest

from pipelines.core.i18n import load_strings
from pipelines.packs import render_pack
from pipelines.packs.formatting import Formatter
from pipelines.packs.sections.customers import glance_customers
from pipelines.packs.sections.pipeline import CoverageSnapshot, PipelineCoverage, glance_pipeline
from pipelines.packs.sections.receivables import (
    AgingBucket,
    Receivables,
    ReceivablesKpis,
    glance_receivables,
)
from tests.packs.support import OPTIONS, QUARTER, D, half_up, money0, parse, pct, query

AS_OF = date(2026, 9, 30)


#: The sentences, written out here (not read from the toml).
SENTENCES = {
    "en": {
        "pipeline": "Pipeline entering {q}: {open} open on {date}, {cov}× its revenue target"
        " of {target}.",
        "receivables": "Receivables: DSO for {period} is {dso} days; {overdue} overdue on {date}"
        " ({share} of the {total} outstanding).",
        "customers": "Customers: {new} new and {churned} churned in {period}; {active} active"
        " on {date}.",
        "trust": "Data trust is {level}: {share} of the rows in the latest load were quarantined,"
        " and {open}.",
        "open": lambda n: (
            f"{n} quarantine finding is still open"
            if n == 1
            else f"{n} quarantine findings are still open"
        ),
        "levels": {"high": "high", "moderate": "moderate", "low": "low"},
    },
    "zh": {
        "pipeline": "进入 {q} 的管道：{date} 在途 {open}，为收入目标 {target} 的 {cov} 倍。",
        "receivables": "应收账款：{period} 的应收周转天数为 {dso} 天；{date} 逾期 {overdue}"
        "（占未收 {total} 的 {share}）。",
        "customers": "客户：{period} 新增首单客户 {new} 个，流失 {churned} 个；{date} 活跃客户"
        " {active} 个。",
        "trust": "数据可信度为{level}：最近一次加载中 {share} 的行被隔离，{open}。",
        "open": lambda n: f"仍有 {n} 条隔离问题未解决",
        "levels": {"high": "高", "moderate": "中", "low": "低"},
    },
}


def in_scope(level: str) -> str:
    """SQL predicate on a rep column ``rep`` for the scope parameter (company: all rows)."""
    if level == "company":
        return "(? = 'all')"
    return "rep in (select rep_id from marts.dim_sales_reps where team = ?)"


def expected_sentences(db: Path, level: str, scope_id: str, lang: str) -> dict[str, str]:
    w = SENTENCES[lang]
    (snap,) = query(
        db,
        """select next_quarter, next_quarter_open_pipeline, next_quarter_revenue_target,
                  next_quarter_coverage
           from marts.fct_pipeline_snapshots
           where snapshot_date = ? and level = ? and scope_id = ?""",
        [AS_OF, level, scope_id],
    )
    q, open_pipeline, target, coverage = snap
    assert coverage is not None, "the demo night should give the scope a coverage"
    ((dso,),) = query(
        db,
        """select dso_days from marts.fct_receivables_kpis
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    ((total, overdue),) = query(
        db,
        f"""select sum(outstanding), sum(outstanding) filter (where aging_bucket <> 'not_due')
            from (select *, rep_id as rep from marts.fct_receivables_aging
                  where as_of_date = (select max(as_of_date) from marts.fct_receivables_aging
                                      where as_of_date <= ?))
            where {in_scope(level)}""",
        [AS_OF, scope_id],
    )
    assert total > 0 and overdue > 0
    ((churned, active, measured),) = query(
        db,
        """select churned, active_at_end, measure_date from marts.fct_customer_retention
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    ((new,),) = query(
        db,
        """select new_customers from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    # trust: the latest load's loaded files, and the scope's open quarantine findings
    ((quarantined, rows_in),) = query(
        db,
        """select sum(rows_quarantined), sum(rows_in) from meta.load_files
           where status = 'loaded'
             and load_id = (select max(load_id) from meta.load_files where status = 'loaded')""",
    )
    ((open_quarantine,),) = query(
        db,
        f"""select count(*) from (select *, owner_rep_id as rep from marts.fct_dq_findings)
            where is_open and severity = 'quarantine' and {in_scope(level)}""",
        [scope_id],
    )
    share = D(quarantined) / D(rows_in)
    # TrustPolicy written out: high < 1% and <= 10 open; moderate < 5% and <= 50; else low
    if share < D("0.01") and open_quarantine <= 10:
        trust_level = "high"
    elif share < D("0.05") and open_quarantine <= 50:
        trust_level = "moderate"
    else:
        trust_level = "low"
    return {
        "pipeline": w["pipeline"].format(
            q=q,
            open=money0(open_pipeline),
            date="2026-09-30",
            cov=half_up(coverage, "0.01"),
            target=money0(target),
        ),
        "receivables": w["receivables"].format(
            period=QUARTER,
            dso=half_up(dso, "0.1"),
            overdue=money0(overdue),
            date="2026-09-30",
            share=pct(overdue / total),
            total=money0(total),
        ),
        "customers": w["customers"].format(
            new=f"{new:,}",
            churned=f"{churned:,}",
            period=QUARTER,
            active=f"{active:,}",
            date=measured.isoformat(),
        ),
        "trust": w["trust"].format(
            level=w["levels"][trust_level],
            share=pct(share, "0.01"),
            open=w["open"](open_quarantine),
        ),
    }


def glance(pack) -> list[str]:
    """The sentences of the pack's "At a glance" list (``<ul id="summary">``), as text."""
    html, _ = parse(pack.files["html"])
    block = html.split('<ul id="summary">', 1)[1].split("</ul>", 1)[0]
    items = [li.split("</li>", 1)[0] for li in block.split("<li>")[1:]]
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", li)).split()) for li in items]


@pytest.mark.parametrize("level", ["company", "team"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_glance_sentences_state_the_marts_figures(demo_db, demo_team, tmp_path, level, lang):
    scope_id = "all" if level == "company" else demo_team
    scope = "company" if level == "company" else f"team:{demo_team}"
    pack = render_pack(
        demo_db, QUARTER, tmp_path, scope=scope, lang=lang, formats=["html"], options=OPTIONS
    )
    items = glance(pack)
    expected = expected_sentences(demo_db, level, scope_id, lang)
    for key in ("pipeline", "receivables", "customers", "trust"):
        assert expected[key] in items, (key, items)
    # in the order of the sections, trust last
    positions = [
        items.index(expected[k]) for k in ("pipeline", "receivables", "customers", "trust")
    ]
    assert positions == sorted(positions) and positions[-1] == len(items) - 1


def test_missing_figures_give_no_sentence(demo_db, tmp_path):
    """No snapshot coverage, no DSO, no aging snapshot, no retention row: those sentences go;
    the trust sentence stays (it always has its figures)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_db, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        """update intermediate.int_pipeline_snapshots set next_quarter_coverage = null
           where level = 'company'"""
    )
    con.execute("delete from marts.fct_receivables_kpis where level = 'company'")
    con.execute("delete from marts.fct_receivables_aging")
    con.execute("delete from marts.fct_customer_retention where level = 'company'")
    con.close()
    for lang, starts in (
        ("en", ("Pipeline entering", "Receivables:", "Customers:")),
        ("zh", ("进入 ", "应收账款：", "客户：")),
    ):
        items = glance(
            render_pack(
                copy, QUARTER, tmp_path / lang, lang=lang, formats=["html"], options=OPTIONS
            )
        )
        assert not [s for s in items if s.startswith(starts)], items
        assert items[-1].startswith({"en": "Data trust is ", "zh": "数据可信度为"}[lang])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_sentence_is_left_out_without_its_figure(lang):
    t = load_strings(lang)
    fmt = Formatter(t, "CNY")
    snap = CoverageSnapshot(AS_OF, "2026Q4", D("1500.00"), D("600.00"), D("1000.00"), 1.5)
    assert glance_pipeline(None, fmt, t) is None
    assert glance_pipeline(PipelineCoverage(None, []), fmt, t) is None
    no_target = CoverageSnapshot(AS_OF, "2026Q4", D("1500.00"), D("600.00"), None, None)
    assert glance_pipeline(PipelineCoverage(no_target, []), fmt, t) is None
    assert "1.50" in glance_pipeline(PipelineCoverage(snap, []), fmt, t)

    no_snapshot = Receivables(None, [AgingBucket("not_due", D("0.00"), 0)], [], 0)
    assert glance_receivables(no_snapshot, None, QUARTER, fmt, t) is None
    kpis = ReceivablesKpis(AS_OF, 92, D("100.00"), D("50.00"), None, D("0"), D("0"), None)
    assert glance_receivables(no_snapshot, kpis, QUARTER, fmt, t) is None
    # 300 outstanding, 75 of it not yet due: 225 overdue = 75.0%
    aging = Receivables(
        AS_OF,
        [AgingBucket("not_due", D("75.00"), 1), AgingBucket("1_30", D("225.00"), 2)],
        [],
        0,
    )
    only_overdue = glance_receivables(aging, None, QUARTER, fmt, t)
    assert "¥225" in only_overdue and "75.0%" in only_overdue and "¥300" in only_overdue
    assert "DSO" not in only_overdue and "周转" not in only_overdue

    assert glance_customers(None, 3, QUARTER, fmt, t) is None
