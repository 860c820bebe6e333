"""Amounts with no rate into the reporting currency are NULL in the marts (each one a
``missing_fx_rate`` finding): a pack shows them as n/a and never crashes on them.

The demo night's warehouse is copied and every money column of its marts set to NULL, as a
night whose amounts all lack a rate leaves them; every section then renders, in HTML and in
the workbook, for the company and a rep.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.packs import render_pack
from tests.packs.support import OPTIONS, QUARTER, parse

#: Money columns end this way or are named so (rates, days and scores are not money).
NOT_MONEY = ("_days", "rate", "score", "quantity", "units")


def _unconverted_copy(db: Path, to: Path) -> Path:
    shutil.copy2(db, to)
    con = duckdb.connect(str(to))
    try:
        columns = con.execute(
            """select c.table_name, c.column_name
               from information_schema.columns c
               join information_schema.tables t using (table_schema, table_name)
               where c.table_schema = 'marts' and c.data_type like 'DECIMAL%'
                 and t.table_type = 'BASE TABLE'"""
        ).fetchall()
        for table, column in columns:
            if not any(marker in column for marker in NOT_MONEY):
                con.execute(f'update marts.{table} set "{column}" = null')  # noqa: S608
    finally:
        con.close()
    return to


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_pack_of_unconverted_amounts_renders_them_as_na(demo_db, tmp_path, lang):
    db = _unconverted_copy(demo_db, tmp_path / "warehouse.duckdb")
    rep = duckdb.connect(str(db), read_only=True)
    try:
        rep_id = rep.execute("select min(rep_id) from marts.dim_sales_reps").fetchone()[0]
    finally:
        rep.close()
    for scope in ("company", f"rep:{rep_id}"):
        pack = render_pack(
            db, QUARTER, tmp_path / "out", scope=scope, lang=lang,
            formats=("html", "xlsx"), options=OPTIONS,
        )  # fmt: skip
        html, parser = parse(pack.files["html"])
        assert pack.files["xlsx"].stat().st_size > 0
        na = "n/a" if lang == "en" else "无"
        assert parser.text_by_id["kpi-revenue-value"] == na
        # No amount made up: the receivables say why there are no totals.
        if scope == "company":
            said = {"en": "no outstanding amount could be converted", "zh": "没有任何未收金额"}
            assert said[lang] in html
