"""Amounts in 万 (中文 CNY packs, SALESOPS_REPORT_WAN_UNITS) and a 中文 pack's wording.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

from openpyxl import load_workbook

from pipelines.packs import PackOptions, render_pack
from tests.packs.support import GENERATED_AT, OPTIONS, D, parse, perf


def test_chinese_pack_with_wan(hand_warehouse, tmp_path):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, lang="zh", formats=["html", "xlsx"],
        options=PackOptions(generated_at=GENERATED_AT, wan_units=True),
    )  # fmt: skip
    assert pack.files["html"].name == "review-pack_2026Q3_company.zh.html"
    html, p = parse(pack.files["html"])
    assert '<html lang="zh-CN">' in html
    company = perf(hand_warehouse, "2026Q3", "company", "all")
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


def test_wan_is_off_by_default_and_never_in_english(hand_warehouse, tmp_path):
    zh = render_pack(hand_warehouse, "2026Q3", tmp_path, lang="zh", options=OPTIONS)
    assert parse(zh.files["html"])[1].text_by_id["kpi-revenue-value"] == "¥1,530,000"
    en = render_pack(
        hand_warehouse,
        "2026Q3",
        tmp_path,
        options=PackOptions(generated_at=GENERATED_AT, wan_units=True),
    )
    assert parse(en.files["html"])[1].text_by_id["kpi-revenue-value"] == "¥1,530,000"
