"""Receivables aging, the top overdue orders, DSO and on-time collection.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
The DSO test reads the shared demo night.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from pipelines.packs.scope import Scope
from pipelines.packs.sections.receivables import receivables
from tests.packs.support import (
    PACK_CASES,
    QUARTER,
    WORDS,
    D,
    half_up,
    money2,
    one,
    parse,
    pct,
    sheet_rows,
)
from tests.packs.support.hand_warehouse import AGING_Q3_END, SCRIPT_NAME, build_warehouse


def test_aging_bucket_totals_from_the_quarter_end_snapshot(hand_pack):
    _, _, p = hand_pack
    assert "2026-09-30" in p.text_by_id["receivables-snapshot"]
    rows = {r[0]: r for r in p.tables["aging-table"][1:]}
    labels = {
        "not_due": "Not yet due",
        "1_30": "1–30 days",
        "31_60": "31–60 days",
        "61_90": "61–90 days",
        "over_90": "Over 90 days",
    }
    assert list(rows)[:5] == list(labels.values())  # bucket order
    for bucket, label in labels.items():
        expected = sum((r[5] for r in AGING_Q3_END if r[7] == bucket), D("0.00"))
        assert rows[label][1] == money2(expected), bucket
    # by hand: 75,000.00 / 51,500.00 / 20,000.50 / 0.00 / 17,000.25
    assert rows["1–30 days"][1] == "¥51,500.00"
    assert rows["61–90 days"][1] == "¥0.00"
    assert rows["Total"][1] == money2(sum(r[5] for r in AGING_Q3_END)) == "¥163,500.75"


def test_top_overdue_list(hand_pack):
    _, _, p = hand_pack
    rows = p.tables["overdue-top"][1:]
    overdue = sorted((r for r in AGING_Q3_END if r[6] > 0), key=lambda r: -r[5])
    assert len(overdue) == 11 and len(rows) == 10
    assert [r[0] for r in rows] == [r[0] for r in overdue[:10]]
    first = rows[0]
    assert first[0] == "O-1002"
    assert first[1] == SCRIPT_NAME  # account name shown as text
    assert first[2] == "李娜"  # owner: the rep on the order
    assert first[4] == "20"
    assert first[5] == "¥30,000.00"


def test_a_team_pack_ages_the_orders_its_reps_took_while_in_the_team(tmp_path):
    """R003 is in 华东二组 now; an order R003 took while in 华东一组 stays in 华东一组's aging
    (the mart's team at the order date), not in 华东二组's, and the rep's own pack keeps it."""

    db = build_warehouse(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(db))
    con.execute(
        "insert into marts.fct_receivables_aging values (date '2026-09-30', 'O-1300', 'A003',"
        " 'R003', '华东一组', '华东', 'CNY', date '2026-09-10', 4321.00, 0, 4321.00, 4321.00,"
        " 20, '1_30')"
    )
    cutoff = date(2026, 9, 30)

    def orders(scope: str) -> dict[str, Decimal]:
        found = receivables(con, cutoff, Scope.parse(scope))
        return {item.order_id: item.outstanding for item in found.top_overdue}

    # by hand from AGING_Q3_END: 华东一组 (R001, R002) is owed O-1002 and O-1004, plus O-1300;
    # 华东二组 (R003) only O-1003; R003's own pack holds both of R003's overdue orders.
    assert orders("team:华东一组") == {
        "O-1002": D("30000.00"),
        "O-1004": D("12000.00"),
        "O-1300": D("4321.00"),
    }
    assert orders("team:华东二组") == {"O-1003": D("20000.50")}
    assert orders("rep:R003") == {"O-1003": D("20000.50"), "O-1300": D("4321.00")}
    assert sum(orders("region:华东").values()) == D("66321.50")
    con.close()


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_receivables_dso_and_on_time_rate(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    k = one(
        demo_db,
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
