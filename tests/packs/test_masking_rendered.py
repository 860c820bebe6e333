"""No contact detail survives into a rendered pack: HTML (as text) and Excel (every cell, read
with openpyxl), company and rep packs, English and 中文.

The hand-made warehouse (tests/packs/support/hand_warehouse.py) with hostile CRM text put where
readers see it: lead sources (funnel table, commentary, glance), account names (receivables),
a rep's name (ranking, rep pack header) and data-quality findings (record, value, message).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.packs import PackOptions, render_pack
from tests.alerts.test_alert_masking import EMAILS, PHONES, assert_no_contacts
from tests.packs.support import GENERATED_AT, OPTIONS, cell_values
from tests.packs.support.hand_warehouse import build_warehouse, extend_warehouse

HOSTILE = [*PHONES, *EMAILS]


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory):
    db = extend_warehouse(build_warehouse(tmp_path_factory.mktemp("hostile") / "w.duckdb"))
    con = duckdb.connect(str(db))
    sources = [
        r[0]
        for r in con.execute(
            "select distinct source from marts.fct_lead_sources order by source"
        ).fetchall()
    ]
    for old, new in zip(sources, HOSTILE, strict=False):
        con.execute("update marts.fct_lead_sources set source = ? where source = ?", [new, old])
    accounts = [
        r[0]
        for r in con.execute(
            "select account_id from marts.dim_accounts order by account_id"
        ).fetchall()
    ]
    for i, account in enumerate(accounts):
        con.execute(
            "update marts.dim_accounts set account_name = ? where account_id = ?",
            [f"客户{HOSTILE[i % len(HOSTILE)]}", account],
        )
    con.execute("update marts.dim_sales_reps set rep_name = '李13611112222' where rep_id = 'R001'")
    con.execute(
        "update marts.fct_dq_findings set record_name = ?, value_seen = ?, message = ?",
        [HOSTILE[0], HOSTILE[2], f"see {HOSTILE[-1]} or {HOSTILE[3]}"],
    )
    con.close()
    return db


def texts(pack) -> dict[str, str]:
    out = {"html": pack.files["html"].read_text(encoding="utf-8")}
    out["xlsx"] = "\n".join(str(v) for v in cell_values(pack.files["xlsx"]))
    return out


@pytest.mark.parametrize("scope", ["company", "rep:R001"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rendered_packs_show_no_contact_details(hostile_warehouse, tmp_path, scope, lang):
    pack = render_pack(
        hostile_warehouse,
        "2026Q3",
        tmp_path,
        scope=scope,
        lang=lang,
        formats=["html", "xlsx"],
        options=OPTIONS,
    )
    for fmt, text in texts(pack).items():
        assert_no_contacts(text, f"{scope} {lang} {fmt}")
        assert "***" in text  # the details were there, masked


def test_lead_sources_are_masked_in_tables_and_sentences(hostile_warehouse, tmp_path):
    pack = render_pack(
        hostile_warehouse, "2026Q3", tmp_path, formats=["html", "xlsx"], options=OPTIONS
    )
    html = texts(pack)["html"]
    assert "转介绍-李*******2222" in html and "联系人张先生*******5678" in html
    # The hostile values do reach every output (so the tests above test something), and the
    # one switch (report_unmask_contacts) prints them as written.
    pack = render_pack(
        hostile_warehouse,
        "2026Q3",
        tmp_path / "u",
        formats=["html", "xlsx"],
        options=PackOptions(generated_at=GENERATED_AT, unmask_contacts=True),
    )
    shown = texts(pack)
    for raw in ("转介绍-李13611112222", "联系人张先生13812345678"):
        assert raw in shown["html"] and raw in shown["xlsx"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_the_pdf_shows_no_contact_details(hostile_warehouse, tmp_path):
    import subprocess

    pack = render_pack(hostile_warehouse, "2026Q3", tmp_path, formats=["pdf"], options=OPTIONS)
    text = subprocess.run(
        ["pdftotext", str(pack.files["pdf"]), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert_no_contacts(text, "pdf")
