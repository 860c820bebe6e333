"""The workbook: one sheet per section, typed numbers, frozen headers.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, D, perf, query


def test_workbook_sheets_typed_numbers_and_frozen_headers(hand_warehouse, tmp_path):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, formats=["html", "xlsx"], options=OPTIONS
    )
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
        query(
            hand_warehouse,
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
    rep = perf(hand_warehouse, "2026Q3", "rep", "R001")
    assert zhang[4].value == pytest.approx(rep["revenue_attainment"])
    assert D(str(zhang[2].value)) == rep["revenue"]
