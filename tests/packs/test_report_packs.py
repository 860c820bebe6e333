"""Review packs by period, scope, language and format, checked against the marts.

The warehouse is the hand-made one of tests/packs/test_report.py plus region rows, a
few CRM texts with contact details and a formula-like account name. Expected
numbers are queried from the marts here (or worked out by hand in comments),
never taken from the renderer's data layer. A page of every PDF is rendered to
PNG under test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.packs import PackOptions, render_pack, render_period
from tests.packs.test_report import (
    GENERATED_AT,
    IMG_VALUE,
    PERF_COLUMNS,
    REPS,
    SCRIPT_NAME,
    build_warehouse,
    parse,
)

D = Decimal
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EMAIL = "zhang.wei@example.com"
PHONE = "+86 138-0013-8000"
FORMULA_NAME = '=HYPERLINK("http://x.invalid","click")'
OPTIONS = PackOptions(generated_at=GENERATED_AT)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing: run scripts/bootstrap.sh"
)


def _extend(db: Path) -> Path:
    """Region rows (sums of their reps), contact details and a formula-like account."""
    con = duckdb.connect(str(db))
    con.execute(
        f"""insert into marts.fct_sales_performance ({PERF_COLUMNS})
           select p.period_type, p.period, p.period_start, p.period_end, 'region', r.region,
                  sum(p.revenue), sum(p.collections), sum(p.orders), sum(p.new_customers),
                  null, sum(p.revenue_target),
                  sum(p.revenue)::double / nullif(sum(p.revenue_target), 0)::double,
                  sum(p.won), sum(p.lost), null, null, null, null
           from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.level = 'rep'
           group by all"""
    )
    con.execute(
        "insert into marts.dim_accounts values ('A009', ?, 'retail', 'S', '华东', 'direct', 'R001',"
        " timestamptz '2025-01-01 00:00:00+00')",
        [FORMULA_NAME],
    )
    con.execute(
        "insert into marts.fct_receivables_aging values (date '2026-09-30', 'O-1201', 'A009',"
        " 'R001', ?, ?, 'CNY', date '2026-09-01', 60000, 0, 60000, 60000, 29, '1_30')",
        next([team, region] for rid, _, team, region, _ in REPS if rid == "R001"),
    )
    con.execute(
        """insert into marts.dq_findings values
           ('F8', 'phone_malformed', 'quarantine', 'accounts', 'A001', ?, 'R001', 'phone', ?,
            'see rule', 1, 2, true)""",
        [f"联系人 {EMAIL}", PHONE],
    )
    # load 1 is the last load of 2026Q2: a 2026Q2 pack reads data quality as of it
    con.execute("update meta.loads set as_of_date = date '2026-06-30' where load_id = 1")
    con.close()
    return db


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return _extend(build_warehouse(tmp_path_factory.mktemp("packs") / "warehouse.duckdb"))


def marts(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def perf(db: Path, period: str, level: str, scope: str) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(
            """select * from marts.fct_sales_performance
               where period = ? and level = ? and scope_id = ?""",
            [period, level, scope],
        )
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchall()[0], strict=True))
    finally:
        con.close()


def money0(d: Decimal) -> str:
    return f"¥{d.quantize(D('1')):,}"


def money2(d: Decimal) -> str:
    return f"¥{d:,.2f}"


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def keep_first_page_png(pdf: Path) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / pdf.stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    png = Path(f"{stem}.png")
    assert png.stat().st_size > 10_000
    return png


def cell_values(path: Path) -> list[object]:
    wb = load_workbook(path)
    return [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]


# --------------------------------------------------------------------------- scopes


def test_team_pack_figures_equal_the_marts(warehouse, tmp_path):
    pack = render_pack(
        warehouse, "2026Q3", tmp_path, scope="team:华东一组", formats=["html", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    assert pack.files["html"].name == "review-pack_2026Q3_team-华东一组.html"
    _, p = parse(pack.files["html"])
    team = perf(warehouse, "2026Q3", "team", "华东一组")
    assert p.text_by_id["kpi-revenue-value"] == money0(team["revenue"]) == "¥800,000"
    assert p.text_by_id["kpi-revenue_target-value"] == money0(team["revenue_target"])
    assert p.text_by_id["meta-company"] == "Team 华东一组"
    # reps of the team, by attainment, from the marts
    reps = marts(
        warehouse,
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
    (total,) = marts(
        warehouse,
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


def test_region_pack_ranks_only_its_teams(warehouse, tmp_path):
    pack = render_pack(warehouse, "2026Q3", tmp_path, scope="region:华东", options=OPTIONS)
    _, p = parse(pack.files["html"])
    region = perf(warehouse, "2026Q3", "region", "华东")
    # by hand: 500,000.40 + 300,000 + 180,000 = 980,000.40
    assert p.text_by_id["kpi-revenue-value"] == money0(region["revenue"]) == "¥980,000"
    assert sorted(r[1] for r in p.tables["ranking-teams"][1:]) == ["华东一组", "华东二组"]
    assert {r[2] for r in p.tables["ranking-reps"][1:]} == {"华东一组", "华东二组"}


OTHER_REPS = [r for r in REPS if r[0] != "R001"]


def test_rep_pack_holds_no_other_reps_rows(warehouse, tmp_path):
    pack = render_pack(
        warehouse, "2026Q3", tmp_path, scope="rep:R001", formats=["html", "pdf", "xlsx"],
        options=OPTIONS,
    )  # fmt: skip
    html, p = parse(pack.files["html"])
    text = " ".join("".join(p.all_text).split())
    texts = {"html": text, "xlsx": " ".join(map(str, cell_values(pack.files["xlsx"])))}
    if shutil.which("pdftotext"):
        texts["pdf"] = pdf_text(pack.files["pdf"])
        keep_first_page_png(pack.files["pdf"])
    other_orders = [o for o, *_ in marts(
        warehouse, "select order_id from marts.fct_receivables_aging where rep_id <> 'R001'"
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
    rep = perf(warehouse, "2026Q3", "rep", "R001")
    assert p.text_by_id["kpi-revenue-value"] == money0(rep["revenue"]) == "¥500,000"
    team_reps = marts(
        warehouse,
        """select p.revenue, p.revenue_target from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.period = '2026Q3' and p.level = 'rep' and r.team = '华东一组'""",
    )
    mean = sum(r[0] for r in team_reps) / len(team_reps)  # (500,000.40 + 300,000) / 2
    assert p.text_by_id["kpi-revenue-team"] == money0(mean) == "¥400,000"
    team = perf(warehouse, "2026Q3", "team", "华东一组")
    assert p.text_by_id["kpi-revenue_attainment-team"] == (
        f"{D(repr(team['revenue_attainment'])) * 100:.1f}%"
    )
    assert "ranking" not in {tag_id for tag_id in p.text_by_id}
    assert p.text_by_id["meta-company"] == "张伟 (R001), team 华东一组"


def test_index_links_every_scope_of_the_period(warehouse, tmp_path):
    packs, index = render_period(warehouse, "2026Q3", tmp_path, options=OPTIONS)
    expected = marts(
        warehouse,
        """select level, scope_id from marts.fct_sales_performance
           where period_type = 'quarter' and period = '2026Q3'""",
    )
    assert {(k.scope.level, k.scope.scope_id) for k in packs} == set(expected)
    assert len(expected) == 1 + 2 + 3 + 5  # company, 2 regions, 3 teams, 5 reps
    _, p = parse(index)
    hrefs = [a["href"] for tag, a in p.tags if tag == "a"]
    assert sorted(hrefs) == sorted(k.files["html"].name for k in packs)
    assert all((tmp_path / h).is_file() for h in hrefs)


# --------------------------------------------------------------------------- periods


def test_monthly_company_pack(warehouse, tmp_path):
    _, p = parse(render_pack(warehouse, "2026-09", tmp_path, options=OPTIONS).files["html"])
    sep, aug = (
        perf(warehouse, "2026-09", "company", "all"),
        perf(warehouse, "2026-08", "company", "all"),
    )
    assert p.text_by_id["meta-quarter"] == "2026-09"
    assert p.text_by_id["kpi-revenue-value"] == money0(sep["revenue"]) == "¥550,000"
    # MoM: (550,000 - 480,000) / 480,000 = +14.58%
    change = (sep["revenue"] - aug["revenue"]) / aug["revenue"] * 100
    assert p.text_by_id["kpi-revenue-qoq"] == f"+{change:.1f}%" == "+14.6%"
    assert "Monthly review" in "".join(p.all_text)
    assert "MoM" in "".join(p.all_text)


def test_past_quarter_is_read_as_of_its_end(warehouse, tmp_path):
    _, p = parse(render_pack(warehouse, "2026Q2", tmp_path, options=OPTIONS).files["html"])
    assert p.text_by_id["meta-as-of"] == "2026-06-30"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    # load 1 (as of 2026-06-30): 100 of 1,000 rows quarantined
    assert p.text_by_id["share-quarantined"] == "10.00%"
    # F6 was still open at load 1 (first seen 1, last seen 2): counted in 2026Q2, not now
    by_rule = {r[0]: r[1:] for r in p.tables["dq-by-rule"][1:]}
    assert by_rule["required_missing"] == ["2", "0", "2"]


# --------------------------------------------------------------------------- 中文


def test_chinese_pack_with_wan(warehouse, tmp_path):
    pack = render_pack(
        warehouse, "2026Q3", tmp_path, lang="zh", formats=["html", "xlsx"],
        options=PackOptions(generated_at=GENERATED_AT, wan_units=True),
    )  # fmt: skip
    assert pack.files["html"].name == "review-pack_2026Q3_company.zh.html"
    html, p = parse(pack.files["html"])
    assert '<html lang="zh-CN">' in html
    company = perf(warehouse, "2026Q3", "company", "all")
    # 1,530,000.40 + 60,000 is not in the company row: the row is the mart's, 1,530,000.40
    # -> 153.00004 万 -> headline with one decimal
    assert p.text_by_id["kpi-revenue-value"] == f"¥{company['revenue'] / 10000:.1f}万" == "¥153.0万"
    reps = p.tables["ranking-reps"][1:]
    assert reps[0][3] == "¥50.00万"  # 500,000.40 in tables: two decimals of 万
    assert p.text_by_id["kpis-h"].endswith("核心指标与目标")
    assert "季度业务回顾" in html and "Revenue" not in "".join(p.all_text)
    # the workbook keeps the exact amount, whatever the display unit
    wb = load_workbook(pack.files["xlsx"])
    row = next(r for r in wb[wb.sheetnames[1]].iter_rows() if r[0].value == "收入")
    assert D(str(row[1].value)) == company["revenue"]


def test_wan_is_off_by_default_and_never_in_english(warehouse, tmp_path):
    zh = render_pack(warehouse, "2026Q3", tmp_path, lang="zh", options=OPTIONS)
    assert parse(zh.files["html"])[1].text_by_id["kpi-revenue-value"] == "¥1,530,000"
    en = render_pack(
        warehouse,
        "2026Q3",
        tmp_path,
        options=PackOptions(generated_at=GENERATED_AT, wan_units=True),
    )
    assert parse(en.files["html"])[1].text_by_id["kpi-revenue-value"] == "¥1,530,000"


# --------------------------------------------------------------------------- PDF


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_has_sections_numbers_and_embedded_fonts(warehouse, tmp_path, lang):
    pack = render_pack(warehouse, "2026Q3", tmp_path, lang=lang, formats=["pdf"], options=OPTIONS)
    pdf = pack.files["pdf"]
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    company = perf(warehouse, "2026Q3", "company", "all")
    assert money0(company["revenue"]) in flat
    (total,) = marts(
        warehouse,
        "select sum(outstanding) from marts.fct_receivables_aging"
        " where as_of_date = date '2026-09-30'",
    )[0]
    assert money2(total) in flat  # aging total: 163,500.75 + 60,000 = 223,500.75
    sections = {
        "en": ["Contents", "Headline KPIs vs target", "Monthly trend", "Funnel conversion",
               "Attainment ranking", "Receivables aging", "Data-quality appendix"],
        "zh": ["目录", "核心指标与目标", "月度趋势", "漏斗转化", "目标达成排名", "应收账龄",
               "附录：数据质量"],
    }[lang]  # fmt: skip
    for title in sections:
        assert title.replace(" ", "") in text.replace(" ", ""), title
    assert SCRIPT_NAME in "".join(text.split())  # escaped in HTML, printed as text (wrapped)
    pages = text.count("\f")
    assert pages >= 3 and re.search(rf"\b1\s*/\s*{pages}\b", flat)  # page numbers "n / N"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    embedded = [line for line in fonts.stdout.splitlines()[2:] if line.split()[-5:-4] == ["yes"]]
    assert embedded and all(" yes " in line for line in fonts.stdout.splitlines()[2:])
    if lang == "zh":
        assert any("CJK" in line for line in embedded), fonts.stdout
    # A4 portrait: 595 x 842 pt
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "595.276 x 841.89 pts (A4)" in info.stdout or "(A4)" in info.stdout
    keep_first_page_png(pdf)


@needs_poppler
def test_a_page_of_every_pack_kept_for_review(warehouse, tmp_path):
    """Scope levels and periods not rendered to PDF elsewhere; first pages kept under
    test-artifacts/ (with those of the company and rep packs of the tests above)."""
    for period, scope, lang in (("2026Q3", "region:华东", "en"), ("2026-09", "company", "zh")):
        pdf = render_pack(
            warehouse, period, tmp_path, scope=scope, lang=lang, formats=["pdf"], options=OPTIONS
        ).files["pdf"]
        png = keep_first_page_png(pdf)
        assert png.parent == ARTIFACTS


# --------------------------------------------------------------------------- Excel


def test_workbook_sheets_typed_numbers_and_frozen_headers(warehouse, tmp_path):
    pack = render_pack(warehouse, "2026Q3", tmp_path, formats=["html", "xlsx"], options=OPTIONS)
    wb = load_workbook(pack.files["xlsx"])
    # an About sheet, then one sheet per section, numbered like the pack
    assert wb.sheetnames == [
        "About",
        "1 Headline KPIs vs target",
        "2 Monthly trend",
        "3 Funnel conversion",
        "4 Attainment ranking",
        "5 Rep scorecard",
        "6 Process activity",
        "7 Receivables aging",
        "8 Data-quality appendix",
    ]
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes is not None, ws.title
    aging = wb[next(n for n in wb.sheetnames if n.endswith(" Receivables aging"))]
    rows = {r[0].value: r for r in aging.iter_rows() if r[0].value}
    buckets = dict(
        marts(
            warehouse,
            """select aging_bucket, sum(outstanding) from marts.fct_receivables_aging
               where as_of_date = date '2026-09-30' group by 1""",
        )
    )
    assert D(str(rows["1–30 days"][1].value)) == buckets["1_30"]  # 51,500 + 60,000
    assert rows["1–30 days"][1].number_format.startswith('"¥"#,##0.00')
    assert rows["1–30 days"][3].number_format == "0.0%"
    assert isinstance(rows["1–30 days"][2].value, int)
    # reps sheet: attainment as a number in % format, equal to the mart's
    ranking = wb[wb.sheetnames[4]]
    zhang = next(r for r in ranking.iter_rows() if r[0].value == "张伟")
    rep = perf(warehouse, "2026Q3", "rep", "R001")
    assert zhang[4].value == pytest.approx(rep["revenue_attainment"])
    assert D(str(zhang[2].value)) == rep["revenue"]


# --------------------------------------------------------------------------- safety


def test_crm_text_stays_text_in_html_excel_and_pdf(warehouse, tmp_path):
    pack = render_pack(
        warehouse, "2026Q3", tmp_path, formats=["html", "pdf", "xlsx"], options=OPTIONS
    )
    html, p = parse(pack.files["html"])
    assert "<script" not in html.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not any(tag in ("script", "img") for tag, _ in p.tags)
    wb = load_workbook(pack.files["xlsx"])
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert any(c.value == SCRIPT_NAME and c.data_type == "s" for c in cells)
    formula_like = [c for c in cells if c.value == FORMULA_NAME]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    assert any(isinstance(c.value, str) and IMG_VALUE in c.value for c in cells)
    if shutil.which("pdftotext"):
        assert SCRIPT_NAME in "".join(pdf_text(pack.files["pdf"]).split())


def test_contact_details_masked_by_default(warehouse, tmp_path):
    masked = render_pack(warehouse, "2026Q3", tmp_path / "m", formats=["html", "xlsx"],
                         options=OPTIONS)  # fmt: skip
    html = masked.files["html"].read_text(encoding="utf-8")
    cells = " ".join(map(str, cell_values(masked.files["xlsx"])))
    for content in (html, cells):
        assert EMAIL not in content and PHONE not in content
        assert "z***@example.com" in content
        assert "*********8000" in content  # 13 digits, the last four kept
        assert "2026-01-01" in content  # nor is a date
    unmasked = render_pack(
        warehouse, "2026Q3", tmp_path / "u", formats=["html"],
        options=PackOptions(generated_at=GENERATED_AT, unmask_contacts=True),
    )  # fmt: skip
    text = unmasked.files["html"].read_text(encoding="utf-8")
    assert EMAIL in text and PHONE in text


def test_mask_contacts_rules():
    from pipelines.packs.masking import mask_contacts

    assert mask_contacts("call 13800138000 or mail li.na@corp.cn") == (
        "call *******8000 or mail l***@corp.cn"
    )
    assert mask_contacts("021-6234 5678") == "*******5678"  # 11 digits, the last four kept
    assert mask_contacts("O-1001 on 2026-09-30, amount 9000000") == (
        "O-1001 on 2026-09-30, amount 9000000"
    )
    assert mask_contacts(None) is None


# --------------------------------------------------------------------------- CLI and errors


def test_report_command_period_scope_lang_format(warehouse, tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(warehouse, home / "warehouse.duckdb")
    result = CliRunner().invoke(
        main,
        ["report", "--home", str(home), "--period", "2026Q3", "--scope", "team:华东一组",
         "--lang", "zh", "--format", "html,xlsx"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = home / "reports" / "2026Q3"
    assert (out / "review-pack_2026Q3_team-华东一组.zh.html").is_file()
    assert (out / "review-pack_2026Q3_team-华东一组.zh.xlsx").is_file()
    assert (out / "index_2026Q3.html").is_file()
    # --quarter still works: every scope of the quarter and the index
    old = CliRunner().invoke(main, ["report", "--home", str(home), "--quarter", "2026Q3"])
    assert old.exit_code == 0, old.output
    assert (out / "review-pack_2026Q3_company.html").is_file()
    assert (out / "review-pack_2026Q3_rep-R005.html").is_file()
    bad = CliRunner().invoke(
        main, ["report", "--home", str(home), "--period", "2026Q3", "--scope", "division:x"]
    )
    assert bad.exit_code == 2 and "team:NAME" in bad.output
    unknown = CliRunner().invoke(
        main, ["report", "--home", str(home), "--period", "2026Q3", "--scope", "rep:R999"]
    )
    assert unknown.exit_code == 1 and "R999" in unknown.output


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(period="2026-13"), "2026Q3.*2026-07"),
        (dict(period="2026Q3", scope="team:不存在"), "unknown scope team:不存在"),
        (dict(period="2026Q3", formats=["docx"]), "docx"),
        (dict(period="2024-01"), "no data for month 2024-01"),
    ],
)
def test_clear_errors(warehouse, tmp_path, kwargs, match):
    period = kwargs.pop("period")
    with pytest.raises(ValueError, match=match):
        render_pack(warehouse, period, tmp_path, **kwargs)


def test_every_language_has_exactly_the_keys_of_english():
    import tomllib

    i18n = Path(__file__).resolve().parents[2] / "reports" / "i18n"

    def keys(table, prefix=""):
        out = set()
        for k, v in table.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    en = keys(tomllib.loads((i18n / "en.toml").read_text(encoding="utf-8")))
    zh = keys(tomllib.loads((i18n / "zh.toml").read_text(encoding="utf-8")))
    assert zh == en, (sorted(en - zh), sorted(zh - en))


def test_rep_pack_html_is_deterministic(warehouse, tmp_path):
    a = render_pack(warehouse, "2026Q3", tmp_path / "a", scope="rep:R001", lang="zh",
                    options=OPTIONS).files["html"].read_bytes()  # fmt: skip
    b = render_pack(warehouse, "2026Q3", tmp_path / "b", scope="rep:R001", lang="zh",
                    options=OPTIONS).files["html"].read_bytes()  # fmt: skip
    assert a == b
    assert date(2026, 9, 30).isoformat().encode() in a


# --------------------------------------------------------------------------- Dagster


def test_quarter_partitions_follow_the_fiscal_year():
    from pipelines.core.settings import Settings
    from pipelines.packs.defs import partition_period_label, period_partitions

    settings = Settings(report_first_month="2025-01", report_time="04:30")
    monthly, quarterly = period_partitions(settings, fiscal_start=1)
    assert monthly.get_partition_keys()[:2] == ["2025-01", "2025-02"]
    assert quarterly.get_partition_keys()[:2] == ["2025-01-01", "2025-04-01"]
    assert quarterly.cron_schedule == "30 4 1 1,4,7,10 *"
    assert partition_period_label("2026-07-01", 1) == "2026Q3"
    assert partition_period_label("2026-07", 1) == "2026-07"
    # fiscal year from February: quarters start Feb, May, Aug, Nov; Feb 2026 opens FY2026 Q1
    _, fiscal = period_partitions(settings, fiscal_start=2)
    assert fiscal.get_partition_keys()[:2] == ["2025-02-01", "2025-05-01"]
    assert fiscal.cron_schedule == "30 4 1 2,5,8,11 *"
    assert partition_period_label("2026-02-01", 2) == "2026Q1"
    assert partition_period_label("2026-11-01", 2) == "2026Q4"
    assert partition_period_label("2027-01-01", 2) == "2026Q4"  # Jan is in the Nov-Jan quarter


def test_monthly_pack_asset_renders_a_partition(warehouse, tmp_path, monkeypatch):
    import dagster as dg

    from pipelines.ops.definitions import build_definitions
    from pipelines.packs.defs import build_period_packs
    from pipelines.warehouse.resource import WarehouseResource

    monkeypatch.setenv("SALESOPS_REPORT_FORMATS", "html")
    monkeypatch.setenv("SALESOPS_REPORT_LANGUAGES", "en")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(warehouse, home / "warehouse.duckdb")
    graph = build_definitions().resolve_asset_graph()
    dbt_assets = next(
        graph.get(k).assets_def for k in graph.get_all_asset_keys()
        if k.path[-1] == "fct_sales_performance"
    )  # fmt: skip
    packs = build_period_packs(dbt_assets)
    result = dg.materialize(
        [packs.assets[0]],
        partition_key="2026-09",
        resources={"warehouse": WarehouseResource(home=str(home))},
    )
    assert result.success
    out = home / "reports" / "2026-09"
    # the month has only a company row in this warehouse
    assert (out / "review-pack_2026-09_company.html").is_file()
    assert (out / "index_2026-09.html").is_file()
    (mat,) = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert mat.partition == "2026-09"
    meta = mat.metadata
    assert meta["period"].value == "2026-09" and meta["packs"].value == 1
