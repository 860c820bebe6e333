"""Rendering: files and their names, the index, the CLI, errors, determinism, read-only,
and a self-contained, escaped HTML.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipelines.cli import main
from pipelines.packs import render_pack, render_period, render_quarterly_pack
from tests.packs.support import (
    GENERATED_AT,
    I18N,
    OPTIONS,
    parse,
    pdf_text,
    query,
    string_keys,
)
from tests.packs.support.hand_warehouse import FORMULA_NAME, IMG_VALUE, SCRIPT_NAME, build_warehouse


def test_writes_one_file_with_expected_name(hand_pack):
    out, html, p = hand_pack
    assert out.name == "review-pack_2026Q3_company.html"
    assert out.parent.name == "out"
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in html
    assert p.text_by_id["meta-quarter"] == "2026Q3"
    assert p.text_by_id["meta-as-of"] == "2026-09-30"  # quarter end = latest load
    assert p.text_by_id["meta-generated-at"] == "2026-10-02 08:30 UTC"
    assert p.text_by_id["meta-currency"] == "CNY"


def test_crm_text_is_escaped(hand_pack):
    _, html, p = hand_pack
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT_NAME in "".join(p.all_text)
    assert not any(tag in ("script", "img", "iframe", "object", "embed") for tag, _ in p.tags)
    assert any(IMG_VALUE in row[1] for row in p.tables["dq-oldest"][1:])  # a record name, as text


def test_self_contained_no_external_urls(hand_pack):
    _, html, p = hand_pack
    for tag, attrs in p.tags:
        assert tag != "link", attrs
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#"), (tag, name, value)
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(http" not in html
    assert "<style>" in html
    svgs = [a for tag, a in p.tags if tag == "svg"]
    assert len(svgs) == 3  # trend, funnel, aging
    assert {a["id"] for a in svgs} == {"chart-trend", "chart-funnel", "chart-aging"}


def test_crm_text_stays_text_in_html_excel_and_pdf(hand_warehouse, tmp_path):
    pack = render_pack(
        hand_warehouse, "2026Q3", tmp_path, formats=["html", "pdf", "xlsx"], options=OPTIONS
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


def test_deterministic_output(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    a = render_quarterly_pack(db, "2026Q3", tmp_path / "a", generated_at=GENERATED_AT).read_bytes()
    b = render_quarterly_pack(db, "2026Q3", tmp_path / "b", generated_at=GENERATED_AT).read_bytes()
    assert a == b


def test_rep_pack_html_is_deterministic(hand_warehouse, tmp_path):
    a = render_pack(hand_warehouse, "2026Q3", tmp_path / "a", scope="rep:R001", lang="zh",
                    options=OPTIONS).files["html"].read_bytes()  # fmt: skip
    b = render_pack(hand_warehouse, "2026Q3", tmp_path / "b", scope="rep:R001", lang="zh",
                    options=OPTIONS).files["html"].read_bytes()  # fmt: skip
    assert a == b
    assert date(2026, 9, 30).isoformat().encode() in a


def test_opens_the_warehouse_read_only(tmp_path, monkeypatch):
    db = build_warehouse(tmp_path / "w.duckdb")
    calls = []
    real_connect = duckdb.connect

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    render_quarterly_pack(db, "2026Q3", tmp_path / "out", generated_at=GENERATED_AT)
    assert calls and all(c.get("read_only") is True for c in calls)


def test_index_links_every_scope_of_the_period(hand_warehouse, tmp_path):
    packs, index = render_period(hand_warehouse, "2026Q3", tmp_path, options=OPTIONS)
    expected = query(
        hand_warehouse,
        """select level, scope_id from marts.fct_sales_performance
           where period_type = 'quarter' and period = '2026Q3'""",
    )
    assert {(k.scope.level, k.scope.scope_id) for k in packs} == set(expected)
    assert len(expected) == 1 + 2 + 3 + 5  # company, 2 regions, 3 teams, 5 reps
    _, p = parse(index)
    hrefs = [a["href"] for tag, a in p.tags if tag == "a"]
    assert sorted(hrefs) == sorted(k.files["html"].name for k in packs)
    assert all((tmp_path / h).is_file() for h in hrefs)


def test_report_command_period_scope_lang_format(hand_warehouse, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(hand_warehouse, home / "warehouse.duckdb")
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


@pytest.mark.parametrize("bad", ["2026-Q3", "2026Q5", "26Q3", "2026q3", "", "2026Q3 "])
def test_malformed_quarter_raises(tmp_path, bad):
    with pytest.raises(ValueError, match="quarter"):
        render_quarterly_pack(tmp_path / "missing.duckdb", bad, tmp_path)


def test_unknown_language_raises(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="language"):
        render_quarterly_pack(db, "2026Q3", tmp_path, lang="xx")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(period="2026-13"), "2026Q3.*2026-07"),
        (dict(period="2026Q3", scope="team:不存在"), "unknown scope team:不存在"),
        (dict(period="2026Q3", formats=["docx"]), "docx"),
        (dict(period="2024-01"), "no data for month 2024-01"),
    ],
)
def test_clear_errors(hand_warehouse, tmp_path, kwargs, match):
    period = kwargs.pop("period")
    with pytest.raises(ValueError, match=match):
        render_pack(hand_warehouse, period, tmp_path, **kwargs)


def test_every_language_has_every_string():
    tables = {p.stem: string_keys(p) for p in I18N.glob("*.toml")}
    assert "en" in tables
    for lang, k in tables.items():
        assert k == tables["en"], lang


def test_every_language_has_exactly_the_keys_of_english():
    en = string_keys(I18N / "en.toml")
    zh = string_keys(I18N / "zh.toml")
    assert zh == en, (sorted(en - zh), sorted(zh - en))
