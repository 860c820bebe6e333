"""PDF packs: sections, page numbers, embedded fonts; a page of each kept under
test-artifacts/ for a person to look at.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
The last test reads the shared demo night.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from pipelines.packs import render_pack
from tests.packs.support import (
    ARTIFACTS,
    OPTIONS,
    QUARTER,
    half_up,
    keep_first_page_png,
    money0,
    money2,
    needs_poppler,
    one,
    pdf_text,
    perf,
    query,
)
from tests.packs.support.hand_warehouse import SCRIPT_NAME


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_has_sections_numbers_and_embedded_fonts(hand_warehouse, tmp_path, lang):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, lang=lang, formats=["pdf"], options=OPTIONS
    )
    pdf = pack.files["pdf"]
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    company = perf(hand_warehouse, "2026Q3", "company", "all")
    assert money0(company["revenue"]) in flat
    (total,) = query(
        hand_warehouse,
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
def test_a_page_of_every_pack_kept_for_review(hand_warehouse, tmp_path):
    """Scope levels and periods not rendered to PDF elsewhere; first pages kept under
    test-artifacts/ (with those of the company and rep packs of the tests above)."""
    for period, scope, lang in (("2026Q3", "region:华东", "en"), ("2026-09", "company", "zh")):
        pdf = render_pack(
            hand_warehouse,
            period,
            tmp_path,
            scope=scope,
            lang=lang,
            formats=["pdf"],
            options=OPTIONS,
        ).files["pdf"]
        png = keep_first_page_png(pdf)
        assert png.parent == ARTIFACTS


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_new_sections_in_the_pdf(demo_db, tmp_path):
    pack = render_pack(demo_db, QUARTER, tmp_path, lang="zh", formats=["pdf"], options=OPTIONS)
    text = subprocess.run(
        ["pdftotext", str(pack.files["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    k = one(
        demo_db,
        """select dso_days from marts.fct_receivables_kpis
           where period_type = 'quarter' and period = ? and level = 'company'""",
        [QUARTER],
    )
    headings = ("下季度管道覆盖率", "统计预测", "客户：价值分层、新增与流失")
    headings += ("线索来源与销售渠道",)
    assert [h for h in headings if h not in text] == []
    assert f"{half_up(k['dso_days'], '0.1')} 天" in text
