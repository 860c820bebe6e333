"""Lead sources and sales channels.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, PACK_CASES, QUARTER, D, money2, parse, query, sheet_rows


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_sales_channels_and_lead_sources(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    by_channel = dict(
        query(
            demo_db,
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
        demo_db,
        """select revenue from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    assert sum(by_channel.values()) == revenue
    sources = query(
        demo_db,
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


def test_crm_text_in_channels_is_escaped(demo_db, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_db, copy)
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
