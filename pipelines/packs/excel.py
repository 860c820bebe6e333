"""Excel packs: one workbook per pack, one sheet per section (openpyxl).

The sheets follow the pack's sections (``document.build_context``); each
section's tables (``RenderedSection.tables``, typed values) are its sheet, written
below the section's commentary: a bold title row, a header row, then the rows.
Numbers stay numbers with a number format (money: ``Decimal`` written as a
number with the currency format; rates: percent; counts: integers; dates:
dates). The first table's header row is frozen. CRM text is written as text,
never as a formula (a name starting with ``=`` stays a string).
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.packs.formatting import CURRENCY_SYMBOLS
from pipelines.packs.tables import Kind, Table

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=12)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def number_format(kind: Kind, currency: str) -> str | None:
    if kind == "money":
        symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
        return f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00'
    if kind == "pct":
        return "0.0%"
    if kind == "count":
        return "#,##0"
    if kind in ("days", "number"):
        return "#,##0.0"
    if kind == "date":
        return "yyyy-mm-dd"
    return None


def _excel_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "money" and isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number, digits as given
    if kind in ("pct", "days", "number") and isinstance(value, float):
        return Decimal(repr(value))
    return value


def _set(cell: Cell, value: Any, kind: Kind, currency: str) -> None:
    cell.value = _excel_value(value, kind)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the CRM text starts with
        return
    fmt = number_format(kind, currency)
    if fmt and isinstance(cell.value, int | float | Decimal | date):
        cell.number_format = fmt


def _sheet_name(title: str, used: set[str]) -> str:
    name = _SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "Sheet"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _write_table(ws, row: int, table: Table, currency: str, freeze: bool, title: bool) -> int:
    if title:
        ws.cell(row=row, column=1, value=table.title).font = TITLE_FONT
        row += 1
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=row, column=col, value=column.label)
        cell.data_type = "s"
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=1)
    for i, values in enumerate(table.rows):
        row += 1
        for col, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            kind = column.kind
            if table.row_kinds is not None and column.kind != "text":
                kind = table.row_kinds[i]
            _set(ws.cell(row=row, column=col), value, kind, currency)
    return row + 2


def workbook(context: dict[str, Any]) -> Workbook:
    """The workbook of one pack, from the context ``build_context`` made."""
    t = context["t"]
    header = context["header"]
    currency = header["currency"]
    wb = Workbook()
    about = wb.active
    used: set[str] = set()
    about.title = _sheet_name(t("excel.sheet_about"), used)
    facts = [
        (t("excel.pack"), context["document_title"]),
        (t("excel.scope"), header["company"]),
        (t("excel.period"), f"{header['quarter']} ({header['period']})"),
        (t("excel.as_of"), header["as_of"]),
        (t("excel.generated_at"), header["generated_at"]),
        (t("excel.currency"), currency),
    ]
    for r, (label, value) in enumerate(facts, start=1):
        about.cell(row=r, column=1, value=label).font = Font(bold=True)
        about.cell(row=r, column=2, value=value).data_type = "s"
    r = len(facts) + 2
    for sentence in context["summary"]:
        about.cell(row=r, column=1, value=sentence).data_type = "s"
        r += 1
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 60

    for section in context["sections"]:
        ws = wb.create_sheet(_sheet_name(f"{section.number} {section.title}", used))
        ws.cell(row=1, column=1, value=section.title).font = Font(bold=True, size=14)
        ws.cell(
            row=2, column=1, value=t("fmt.sentence_sep").join(section.commentary)
        ).data_type = "s"
        ws.cell(row=2, column=1).alignment = Alignment(wrap_text=False)
        row = 4
        for i, table in enumerate(section.tables):
            row = _write_table(
                ws, row, table, currency, freeze=i == 0, title=table.title != section.title
            )
        for col in range(1, max((len(tb.columns) for tb in section.tables), default=1) + 1):
            ws.column_dimensions[get_column_letter(col)].width = 18 if col > 1 else 28
    return wb


def workbook_bytes(context: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    wb = workbook(context)
    wb.properties.creator = "salesops-warehouse"
    wb.save(buf)
    return buf.getvalue()
