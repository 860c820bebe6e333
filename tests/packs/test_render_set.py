"""A set of packs (every scope of a period) reads the warehouse once, lays the packs out in
worker processes, and holds exactly what each pack rendered alone holds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.core.i18n import load_strings
from pipelines.packs import render as render_module
from pipelines.packs import render_pack, render_period
from tests.packs.support import OPTIONS, QUARTER, query

needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils missing",
)


def scopes_of(db: Path) -> list[str]:
    """Every scope of the quarter, in the set's order (company, regions, teams, reps)."""
    rows = query(
        db,
        """select level, scope_id from marts.fct_sales_performance
           where period_type = 'quarter' and period = ?""",
        [QUARTER],
    )
    order = {"company": 0, "region": 1, "team": 2, "rep": 3}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    return ["company" if level == "company" else f"{level}:{sid}" for level, sid in rows]


def cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in book}


def test_a_set_holds_what_each_pack_rendered_alone_holds(hand_warehouse, tmp_path):
    """Every scope, both languages: the HTML byte for byte, the workbook cell for cell."""
    packs, _ = render_period(
        hand_warehouse,
        QUARTER,
        tmp_path / "set",
        langs=["en", "zh"],
        formats=["html", "xlsx"],
        options=OPTIONS,
        workers=2,
    )
    expected = [(s, lang) for s in scopes_of(hand_warehouse) for lang in ("en", "zh")]
    assert [(p.scope.label, p.lang) for p in packs] == expected  # deterministic order
    for pack in packs:
        alone = render_pack(
            hand_warehouse,
            QUARTER,
            tmp_path / "alone",
            scope=pack.scope,
            lang=pack.lang,
            formats=["html", "xlsx"],
            options=OPTIONS,
        )
        assert pack.files["html"].name == alone.files["html"].name
        assert pack.files["html"].read_bytes() == alone.files["html"].read_bytes(), pack.scope
        assert cells(pack.files["xlsx"]) == cells(alone.files["xlsx"]), pack.scope


class CountingConnection:
    """The real warehouse connection, counting the statements that read the marts."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.marts_statements = 0

    def execute(self, sql: str, *args, **kwargs):
        if "marts." in sql:
            self.marts_statements += 1
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._con.close()


def test_the_warehouse_is_read_once_per_set_not_once_per_scope(
    hand_warehouse, tmp_path, monkeypatch
):
    opened: list[CountingConnection] = []
    real_open = render_module._open

    def counting_open(path):
        opened.append(CountingConnection(real_open(path)))
        return opened[-1]

    monkeypatch.setattr(render_module, "_open", counting_open)
    scopes = scopes_of(hand_warehouse)
    assert len(scopes) == 11
    for chosen in (scopes[:1], scopes):
        render_period(
            hand_warehouse,
            QUARTER,
            tmp_path / str(len(chosen)),
            scopes=chosen,
            options=OPTIONS,
            workers=1,
        )
    one_scope, every_scope = (c.marts_statements for c in opened)
    assert every_scope == one_scope <= 1


def test_progress_every_n_packs_and_the_set_order(hand_warehouse, tmp_path, capsys):
    packs, index = render_period(
        hand_warehouse, QUARTER, tmp_path, options=OPTIONS, workers=2, progress_every=4
    )
    assert [p.scope.label for p in packs] == scopes_of(hand_warehouse)
    lines = [line for line in capsys.readouterr().out.splitlines() if "[report]" in line]
    assert [line.split("] ", 1)[1].split(" (")[0] for line in lines] == [
        f"{QUARTER}: {n}/11 packs" for n in (4, 8, 11)
    ]
    assert index.is_file()


def test_workers_must_be_positive(hand_warehouse, tmp_path):
    with pytest.raises(ValueError, match="workers"):
        render_period(hand_warehouse, QUARTER, tmp_path, options=OPTIONS, workers=0)


@needs_poppler
def test_the_set_pdfs_in_chinese_carry_cjk_glyphs(hand_warehouse, tmp_path):
    """PDFs laid out by the workers embed the Noto CJK font and their text is the pack's."""
    t = load_strings("zh")
    packs, _ = render_period(
        hand_warehouse,
        QUARTER,
        tmp_path,
        scopes=["company", scopes_of(hand_warehouse)[-1]],
        langs=["zh"],
        formats=["pdf"],
        options=OPTIONS,
        workers=2,
    )
    for pack in packs:
        pdf = str(pack.files["pdf"])
        fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True)
        cjk = [line for line in fonts.stdout.splitlines() if "CJK" in line]
        assert cjk and all(line.split()[-5:-3] == ["yes", "yes"] for line in cjk), fonts.stdout
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
        flat = "".join(text.split())
        assert "".join(t("section.kpis").split()) in flat
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        title = next(line for line in info.splitlines() if line.startswith("Title:"))
        assert title.removeprefix("Title:").strip() == pack.title
