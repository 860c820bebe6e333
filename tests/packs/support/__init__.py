"""Shared helpers of the pack tests: reading rendered packs, querying the marts, writing out
expected figures the way the packs print them (never through the packs' own code).

The hand-made warehouse is in ``hand_warehouse.py``; the fixtures (warehouses, rendered
packs) in ``tests/packs/conftest.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.core.paths import PROJECT_ROOT
from pipelines.packs import PackOptions

D = Decimal
GENERATED_AT = datetime(2026, 10, 2, 8, 30, tzinfo=UTC)
OPTIONS = PackOptions(generated_at=GENERATED_AT)
#: The quarter of the shared demo night (tests/conftest.py: business date 2026-09-30).
QUARTER = "2026Q3"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
I18N = PROJECT_ROOT / "reports" / "i18n"

#: Units and headings of the two languages, written out here (not read from the toml).
WORDS = {
    "en": {"days": "{} days", "times": "{}×", "pipeline": "Pipeline coverage for next quarter"},
    "zh": {"days": "{} 天", "times": "{} 倍", "pipeline": "下季度管道覆盖率"},
}
#: (level, lang) of the demo packs rendered once per session (conftest ``demo_packs``).
PACK_CASES = [(level, lang) for level in ("company", "team") for lang in ("en", "zh")]

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing: run scripts/bootstrap.sh"
)

# --------------------------------------------------------------------------- HTML reading


class PackParser(HTMLParser):
    """Collects the text of every element with an id, table rows, and all start tags."""

    VOID = {"meta", "link", "br", "hr", "img", "input", "source", "wbr", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, str | None, list[str]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.all_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag not in self.VOID:
            self._stack.append((tag, a.get("id"), []))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        while self._stack:
            name, id_, buf = self._stack.pop()
            if id_:
                self.text_by_id[id_] = " ".join("".join(buf).split())
            if name == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        for _, id_, buf in self._stack:
            if id_:
                buf.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> tuple[str, PackParser]:
    html = path.read_text(encoding="utf-8")
    p = PackParser()
    p.feed(html)
    p.close()
    return html, p


def string_keys(path: Path) -> set[str]:
    """The dotted keys of a strings table (``reports/i18n/<lang>.toml``)."""

    def keys(table, prefix=""):
        out = set()
        for k, v in table.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    return keys(tomllib.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- the marts


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(db: Path, sql: str, params: list | None = None) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        assert len(rows) == 1, (sql, params, rows)
        return dict(zip(cols, rows[0], strict=True))
    finally:
        con.close()


def perf(db: Path, period: str, level: str, scope: str) -> dict:
    """The scope's row of ``fct_sales_performance`` for the period, by column name."""
    return one(
        db,
        """select * from marts.fct_sales_performance
           where period = ? and level = ? and scope_id = ?""",
        [period, level, scope],
    )


# --------------------------------------------------------------------------- as the packs print


def half_up(x, places: str) -> Decimal:
    return D(str(x)).quantize(D(places), rounding=ROUND_HALF_UP)


def money0(d: Decimal) -> str:
    """A headline amount: whole units."""
    return f"¥{half_up(d, '1'):,}"


def money2(d: Decimal | None) -> str:
    """An amount in a table: two decimals."""
    return "n/a" if d is None else ("-" if d < 0 else "") + f"¥{abs(d):,.2f}"


def pct(x, places: str = "0.1") -> str:
    return f"{half_up(D(str(x)) * 100, places)}%"


# --------------------------------------------------------------------------- workbooks, PDFs


def cell_values(path: Path) -> list[object]:
    wb = load_workbook(path)
    return [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]


def sheet_rows(path: Path, html: str, key: str) -> list[tuple]:
    """Rows of the workbook sheet of section ``key`` (sheets are named 'N title')."""
    start = html.index(f'id="{key}-h"')
    number = html[start:].split('class="num-h">', 1)[1].split("<", 1)[0]
    wb = load_workbook(path)
    name = next(n for n in wb.sheetnames if n.startswith(f"{number} "))
    return [tuple(c.value for c in row) for row in wb[name].iter_rows()]


def titled_sheet_rows(path: Path, title: str) -> list[tuple]:
    """Rows of the one workbook sheet whose name contains ``title``."""
    wb = load_workbook(path)
    (name,) = [n for n in wb.sheetnames if title in n]
    return [tuple(c.value for c in row) for row in wb[name].iter_rows()]


def table_body(sheet: list[tuple], first_header: str) -> list[tuple]:
    """Rows below the header row whose first cell is ``first_header``, up to a blank row."""
    start = next(i for i, r in enumerate(sheet) if r[0] == first_header) + 1
    body = []
    for r in sheet[start:]:
        if r[0] is None:
            break
        body.append(r)
    return body


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
