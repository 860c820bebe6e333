"""Pack sections on the funnel/pipeline and customer/receivables marts, checked on a dbt build.

The warehouse is the shared demo night (tests/conftest.py: a real nightly run, dbt
included, business date 2026-09-30, the last day of 2026Q3). Every expected value is
queried here straight from the marts (or worked out from another mart), never through
pipelines/packs/data.py or data_outlook.py, and formatted by the small helpers below.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.packs import PackOptions, render_pack
from tests.conftest import DEMO_AS_OF
from tests.packs.test_report import GENERATED_AT, parse
from tests.support import oracle

D = Decimal
QUARTER = "2026Q3"
OPTIONS = PackOptions(generated_at=GENERATED_AT)
#: Headings and units of the two languages, written out here (not read from the toml).
WORDS = {
    "en": {"days": "{} days", "times": "{}×", "pipeline": "Pipeline coverage for next quarter"},
    "zh": {"days": "{} 天", "times": "{} 倍", "pipeline": "下季度管道覆盖率"},
}


def money2(d: Decimal | None) -> str:
    return "n/a" if d is None else ("-" if d < 0 else "") + f"¥{abs(d):,.2f}"


def money0(d: Decimal) -> str:
    return f"¥{half_up(d, '1'):,}"


def half_up(x, places: str) -> Decimal:
    return D(str(x)).quantize(D(places), rounding=ROUND_HALF_UP)


def pct(x) -> str:
    return f"{half_up(D(str(x)) * 100, '0.1')}%"


def times(x, lang: str) -> str:
    return WORDS[lang]["times"].format(half_up(x, "0.01"))


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(db: Path, sql: str, params: list | None = None) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        assert len(rows) == 1, (sql, params, rows)
        return dict(zip(cols, rows[0], strict=True))
    finally:
        con.close()


def sheet_rows(path: Path, html: str, key: str) -> list[tuple]:
    """Rows of the workbook sheet of section ``key`` (sheets are named 'N title')."""
    start = html.index(f'id="{key}-h"')
    number = html[start:].split('class="num-h">', 1)[1].split("<", 1)[0]
    wb = load_workbook(path)
    name = next(n for n in wb.sheetnames if n.startswith(f"{number} "))
    return [tuple(c.value for c in row) for row in wb[name].iter_rows()]


@pytest.fixture(scope="module")
def db(demo) -> Path:
    return demo["home"] / "warehouse.duckdb"


@pytest.fixture(scope="module")
def team(db) -> str:
    """The team with the most 2026Q3 revenue."""
    return query(
        db,
        """select scope_id from marts.fct_sales_performance
           where period = ? and level = 'team' order by revenue desc, scope_id limit 1""",
        [QUARTER],
    )[0][0]


@pytest.fixture(scope="module")
def packs(db, team, tmp_path_factory):
    """HTML and Excel of the company and the team pack, English and 中文."""
    out = tmp_path_factory.mktemp("sections")
    rendered = {}
    for scope, level, scope_id in (("company", "company", "all"), (f"team:{team}", "team", team)):
        for lang in ("en", "zh"):
            pack = render_pack(
                db, QUARTER, out, scope=scope, lang=lang, formats=["html", "xlsx"], options=OPTIONS
            )
            rendered[(level, lang)] = (scope_id, pack)
    return rendered


CASES = [(level, lang) for level in ("company", "team") for lang in ("en", "zh")]


@pytest.mark.parametrize("level,lang", CASES)
def test_pipeline_coverage_entering_next_quarter(db, packs, level, lang):
    scope_id, pack = packs[(level, lang)]
    html, p = parse(pack.files["html"])
    assert WORDS[lang]["pipeline"] in html
    # coverage entering 2026Q4 = the snapshot of the day before it starts
    snap = one(
        db,
        """select * from marts.fct_pipeline_snapshots
           where snapshot_date = date '2026-09-30' and level = ? and scope_id = ?""",
        [level, scope_id],
    )
    assert snap["next_quarter"] == "2026Q4"
    row = p.tables["coverage-table"][1]
    assert row[:5] == [
        "2026-09-30",
        "2026Q4",
        money2(snap["next_quarter_open_pipeline"]),
        money2(snap["next_quarter_weighted_pipeline"]),
        money2(snap["next_quarter_revenue_target"]),
    ]
    if snap["next_quarter_coverage"] is not None:
        assert row[5] == times(snap["next_quarter_coverage"], lang)
        # the coverage is the open pipeline over the target (a second way to the same number)
        assert half_up(
            snap["next_quarter_open_pipeline"] / snap["next_quarter_revenue_target"], "0.01"
        ) == half_up(snap["next_quarter_coverage"], "0.01")
    # the commentary names the same amounts (headline: whole currency units)
    said = p.text_by_id["pipeline-commentary"]
    assert money0(snap["next_quarter_open_pipeline"]) in said and "2026Q4" in said
    for key in ("pipeline", "forecast", "customers", "channels", "receivables"):
        assert "{" not in p.text_by_id[key], key  # every placeholder filled
    # open pipeline by expected-close quarter, from 2026Q3 on
    periods = query(
        db,
        """select period, open_pipeline, remaining_target from marts.fct_pipeline
           where period_type = 'quarter' and level = ? and scope_id = ?
             and period_start >= date '2026-07-01' order by period_start limit 4""",
        [level, scope_id],
    )
    assert p.tables["pipeline-table"][0][6] == {"en": "Remaining target", "zh": "剩余目标"}[lang]
    table = p.tables["pipeline-table"][1:]
    assert [(r[0], r[2], r[6]) for r in table] == [
        (q, money2(o), money2(rem)) for q, o, rem in periods
    ]
    # Excel: the same coverage as a number
    cov_row = next(r for r in sheet_rows(pack.files["xlsx"], html, "pipeline") if r[1] == "2026Q4")
    assert D(str(cov_row[2])) == snap["next_quarter_open_pipeline"]


@pytest.mark.parametrize("level,lang", CASES)
def test_forecast_band_next_quarter_and_actuals(db, packs, level, lang):
    scope_id, pack = packs[(level, lang)]
    html, p = parse(pack.files["html"])
    rows = {r[0]: r for r in p.tables["forecast-table"][1:]}
    nxt = one(
        db,
        """select * from marts.fct_revenue_forecast
           where forecast_quarter = '2026Q4' and level = ? and scope_id = ?""",
        [level, scope_id],
    )
    assert list(rows)[-1] == "2026Q4"
    assert rows["2026Q4"][2:5] == [
        money2(nxt["trend_forecast"]),
        money2(nxt["pipeline_forecast"]),
        "n/a" if lang == "en" else "无",
    ]
    # 2026Q3 has ended: its actual is the scope's revenue of fct_sales_performance
    (revenue,) = query(
        db,
        """select revenue from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    assert rows[QUARTER][4] == money2(revenue)
    # the figures are the scope's own: no "whole company" note in any pack
    company_note = {"en": "whole company", "zh": "全公司口径"}[lang]
    assert company_note not in html


@pytest.mark.parametrize("level,lang", CASES)
def test_customers_movement_and_tiers(db, packs, level, lang):
    scope_id, pack = packs[(level, lang)]
    html, p = parse(pack.files["html"])
    ret = one(
        db,
        """select * from marts.fct_customer_retention
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    (new,) = query(
        db,
        """select new_customers from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    values = [r[1] for r in p.tables["customers-table"][1:]]
    assert values == [
        f"{ret['active_at_start']:,}",
        f"{ret['active_at_end']:,}",
        f"{new:,}",
        f"{ret['gained']:,}",
        f"{ret['churned']:,}",
        pct(ret["churn_rate"]),
        pct(ret["retention_rate"]),
        f"{ret['trailing_customers']:,}",
        f"{ret['repeat_customers']:,}",
        pct(ret["repeat_purchase_rate"]),
    ]
    # churn rate = churned / active at start (a second way)
    assert half_up(D(ret["churned"]) / ret["active_at_start"], "0.001") == half_up(
        ret["churn_rate"], "0.001"
    )
    # ABC tiers: the scope's account rows, counted and summed here in Python
    tiers: dict[str, list] = {"A": [0, D(0)], "B": [0, D(0)], "C": [0, D(0)]}
    for tier, revenue in query(
        db,
        """select value_tier, scope_trailing_revenue from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    ):
        tiers[tier][0] += 1
        tiers[tier][1] += revenue
    assert [r[:3] for r in p.tables["tiers-table"][1:]] == [
        [k, f"{n:,}", money2(rev)] for k, (n, rev) in tiers.items()
    ]
    assert sum(n for n, _ in tiers.values()) > 0
    # Excel: the churned count and tier A revenue as numbers
    rows = sheet_rows(pack.files["xlsx"], html, "customers")
    assert [r[1] for r in rows if r[0] in ("A", "B", "C")][:3] == [n for n, _ in tiers.values()]
    assert D(str(next(r[2] for r in rows if r[0] == "A"))) == tiers["A"][1]
    assert ret["churned"] in [r[1] for r in rows]


def _tiers_recomputed(db: Path, team: str) -> dict[str, tuple[int, Decimal]]:
    """Accounts and trailing revenue of ``team`` per company ABC tier, in plain Python from
    int_orders_enriched: rank every account by its company trailing revenue (12 months to
    2026-09-30), cut at the ABC shares, then sum the team's own orders per account."""
    months = int(oracle.dbt_var("trailing_months"))
    a_share = D(str(oracle.dbt_var("abc_a_share")))
    b_share = D(str(oracle.dbt_var("abc_b_share")))
    end = DEMO_AS_OF
    start = end.replace(year=end.year - months // 12)  # the window is (start, end]
    assert months % 12 == 0, "this recomputation assumes whole years"
    company: dict[str, Decimal] = defaultdict(D)
    in_team: dict[str, Decimal] = defaultdict(D)
    for account, team_then, amount in query(
        db,
        """select account_id, team, total_amount_reporting from intermediate.int_orders_enriched
           where is_booked and ordered_date > ? and ordered_date <= ?
             and total_amount_reporting is not null""",
        [start, end],
    ):
        company[account] += amount
        if team_then == team:
            in_team[account] += amount
    ranked = sorted((r for r in company.items() if r[1] > 0), key=lambda r: (-r[1], r[0]))
    total = sum(r for _, r in ranked)
    tier_of, before = {}, D(0)
    for account, amount in ranked:
        a_cut, b_cut = total * a_share, total * b_share
        tier_of[account] = "A" if before < a_cut else "B" if before < b_cut else "C"
        before += amount
    out = {k: (0, D("0.00")) for k in ("A", "B", "C")}
    for account, amount in in_team.items():
        if amount > 0 and account in tier_of:
            n, rev = out[tier_of[account]]
            out[tier_of[account]] = (n + 1, rev + amount)
    return out


def test_team_pack_tiers_are_the_teams_accounts(db, packs, team):
    """The team pack's tier table: the team's accounts under their company tier with the
    team's revenue, as the mart's team rows say and as recomputed from the orders."""
    html, p = parse(packs[("team", "en")][1].files["html"])
    shown = {r[0]: (r[1], r[2]) for r in p.tables["tiers-table"][1:]}
    mart = {
        tier: (n, rev)
        for tier, n, rev in query(
            db,
            """select value_tier, count(*), sum(scope_trailing_revenue)
               from marts.fct_customer_value_tiers
               where period_type = 'quarter' and period = ? and level = 'team' and scope_id = ?
               group by value_tier""",
            [QUARTER, team],
        )
    }
    expected = _tiers_recomputed(db, team)
    assert {k: v for k, v in expected.items() if v[0]} == mart
    assert shown == {k: (f"{n:,}", money2(rev)) for k, (n, rev) in expected.items()}
    # the team is not the company: fewer accounts than the company ranking holds
    (company_accounts,) = query(
        db,
        """select count(*) from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = ? and level = 'company'""",
        [QUARTER],
    )[0]
    assert 0 < sum(n for n, _ in expected.values()) < company_accounts
    assert "ABC value tiers (company ranking)" in html
    assert "each account keeps its tier in the company ranking" in html


@pytest.mark.parametrize("level,lang", CASES)
def test_receivables_dso_and_on_time_rate(db, packs, level, lang):
    scope_id, pack = packs[(level, lang)]
    html, p = parse(pack.files["html"])
    k = one(
        db,
        """select * from marts.fct_receivables_kpis
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    assert p.text_by_id["receivables-dso_days"] == WORDS[lang]["days"].format(
        half_up(k["dso_days"], "0.1")
    )
    # DSO = receivables / revenue × days measured (92 days in a closed quarter)
    assert k["days_measured"] == 92
    assert half_up(k["receivables_end"] / k["revenue"] * 92, "0.1") == half_up(k["dso_days"], "0.1")
    assert p.text_by_id["receivables-on_time_collection_rate"] == pct(k["on_time_collection_rate"])
    assert p.text_by_id["receivables-receivables_end"] == money2(k["receivables_end"])
    # Excel: DSO as a number on the receivables sheet
    rows = sheet_rows(pack.files["xlsx"], html, "receivables")
    dso_label = {"en": "DSO", "zh": "应收周转天数（DSO）"}[lang]
    assert D(str(next(r[1] for r in rows if r[0] == dso_label))) == k["dso_days"]


@pytest.mark.parametrize("level,lang", CASES)
def test_sales_channels_and_lead_sources(db, packs, level, lang):
    scope_id, pack = packs[(level, lang)]
    html, p = parse(pack.files["html"])
    by_channel = dict(
        query(
            db,
            """select channel, revenue from marts.fct_sales_channels
               where period_type = 'quarter' and period = ? and channel_type = 'sales_channel'
                 and level = ? and scope_id = ?""",
            [QUARTER, level, scope_id],
        )
    )
    table = p.tables["channels-sales-channel-table"][1:]
    assert {r[0]: r[-1] for r in table} == {c: money2(v) for c, v in by_channel.items()}
    # the channels add up to the scope's revenue of fct_sales_performance
    (revenue,) = query(
        db,
        """select revenue from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    assert sum(by_channel.values()) == revenue
    sources = query(
        db,
        """select channel, leads, won_amount from marts.fct_sales_channels
           where period_type = 'quarter' and period = ? and channel_type = 'lead_source'
             and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    shown = {r[0]: r for r in p.tables["channels-lead-source-table"][1:]}
    na = "n/a" if lang == "en" else "无"
    for channel, leads, won_amount in sources:
        assert shown[channel][1] == (na if leads is None else f"{leads:,}")
        assert shown[channel][6] == money2(won_amount)
    rows = sheet_rows(pack.files["xlsx"], html, "channels")
    heading = {"en": "By sales channel", "zh": "按销售渠道"}[lang]
    below = rows[[r[0] for r in rows].index(heading) + 2 :]  # title row, header row
    excel = {r[0]: [v for v in r if v is not None][-1] for r in below if r[0] in by_channel}
    assert {c: D(str(v)) for c, v in excel.items()} == by_channel


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


def test_team_pack_funnel_and_lead_sources_are_the_teams(db, packs, team):
    """The team pack shows the team's rows of the funnel and lead-source marts, which differ
    from the company's on the demo data; the note says who counts, not "company-wide"."""
    funnel, leads = _funnel_and_leads(db, "team", team)
    company_funnel, company_leads = _funnel_and_leads(db, "company", "all")
    assert funnel and leads, "the demo team has a Q3 cohort and leads"
    assert funnel != company_funnel and leads != company_leads
    for level in ("team", "company"):
        html, p = parse(packs[(level, "en")][1].files["html"])
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


def test_rep_pack_new_sections_hold_only_the_rep(db, tmp_path):
    rep_id, name = query(
        db,
        """select r.rep_id, r.rep_name from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.period = ? and p.level = 'rep' order by p.revenue desc limit 1""",
        [QUARTER],
    )[0]
    pack = render_pack(db, QUARTER, tmp_path, scope=f"rep:{rep_id}", options=OPTIONS)
    html, p = parse(pack.files["html"])
    snap = one(
        db,
        """select next_quarter_open_pipeline from marts.fct_pipeline_snapshots
           where snapshot_date = date '2026-09-30' and level = 'rep' and scope_id = ?""",
        [rep_id],
    )
    assert p.tables["coverage-table"][1][2] == money2(snap["next_quarter_open_pipeline"])
    names = query(db, "select rep_name from marts.dim_sales_reps where rep_id <> ?", [rep_id])
    others = [n for (n,) in names if n and n != name and n not in name]
    for key in ("pipeline", "forecast", "customers", "channels"):
        start = html.index(f'<section id="{key}"')
        body = html[start : html.index("</section>", start)]
        assert not [n for n in others if n in body], key


def test_crm_text_in_channels_is_escaped(db, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        """update marts.fct_sales_channels set channel = '<b>x</b> & =1+1'
           where channel = (select max(channel) from marts.fct_sales_channels
                            where period = ? and channel_type = 'lead_source')""",
        [QUARTER],
    )
    con.close()
    pack = render_pack(copy, QUARTER, tmp_path, formats=["html", "xlsx"], options=OPTIONS)
    html = pack.files["html"].read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; =1+1" in html and "<b>x</b>" not in html
    wb = load_workbook(pack.files["xlsx"])
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value == "<b>x</b> & =1+1"]
    assert cells and all(c.data_type == "s" for c in cells)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_new_sections_in_the_pdf(db, tmp_path):
    pack = render_pack(db, QUARTER, tmp_path, lang="zh", formats=["pdf"], options=OPTIONS)
    text = subprocess.run(
        ["pdftotext", str(pack.files["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    k = one(
        db,
        """select dso_days from marts.fct_receivables_kpis
           where period_type = 'quarter' and period = ? and level = 'company'""",
        [QUARTER],
    )
    headings = ("下季度管道覆盖率", "收入预测区间", "客户：价值分层、新增与流失")
    headings += ("线索来源与销售渠道",)
    assert [h for h in headings if h not in text] == []
    assert f"{half_up(k['dso_days'], '0.1')} 天" in text


def test_past_quarter_and_monthly_pack(db, team, tmp_path):
    # 2026Q2 is read as of 2026-06-30: a snapshot only if the history reaches back that far
    (snapshots,) = query(
        db,
        """select count(*) from marts.fct_pipeline_snapshots
           where level = 'company' and snapshot_date <= date '2026-06-30'""",
    )[0]
    pack = render_pack(db, "2026Q2", tmp_path, options=OPTIONS)
    _, p = parse(pack.files["html"])
    said = p.text_by_id["pipeline-commentary"]
    assert ("no pipeline snapshot" in said) == (snapshots == 0)
    assert list(r[0] for r in p.tables["forecast-table"][1:])[-1] == "2026Q3"
    # a month: the team's monthly retention row
    pack = render_pack(db, "2026-08", tmp_path, scope=f"team:{team}", options=OPTIONS)
    _, p = parse(pack.files["html"])
    ret = one(
        db,
        """select churned, repeat_purchase_rate from marts.fct_customer_retention
           where period_type = 'month' and period = '2026-08' and level = 'team'
             and scope_id = ?""",
        [team],
    )
    values = {r[0]: r[1] for r in p.tables["customers-table"][1:]}
    assert values["Churned"] == f"{ret['churned']:,}"
    assert values["Repeat purchase rate"] == pct(ret["repeat_purchase_rate"])
    # next quarter after August is 2026Q4
    assert list(r[0] for r in p.tables["forecast-table"][1:])[-1] == "2026Q4"
