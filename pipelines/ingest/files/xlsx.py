"""Read one worksheet of an Excel ``.xlsx`` workbook as rows of text.

Cells become the text a person would type to get the same value, never a
float rendering: ``1234.5`` stays ``1234.5``, a whole number stored as
``42.0`` becomes ``42``, a date becomes ``2026-03-01``, a date with a time
``2026-03-01 09:30:00``, a time ``09:30:00``, booleans ``true``/``false``.
Formulas give their last computed value (as Excel saved it). A merged cell
holds its value in its top-left cell only; the other cells are empty.
:func:`open_xlsx` opens the sheet as a :class:`TableStream` like a CSV file's.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from pipelines.core import refusals
from pipelines.core.errors import FileRejected
from pipelines.ingest.files.clean import cleaner_for
from pipelines.ingest.files.header import choose_header
from pipelines.ingest.files.table import ReadOptions, TableStream
from pipelines.ingest.values.parse import ROW_INDEX

Cell = str | int | float | bool | dt.date | dt.time | dt.timedelta | None

_REEXPORT = (
    "open the file in Excel and save it again as an Excel Workbook (.xlsx), "
    "or export the sheet as CSV UTF-8"
)


def column_label(index: int) -> str:
    """Spreadsheet column letter for a 0-based position (0 -> A)."""
    return get_column_letter(index + 1)


def cell_text(value: Cell) -> str | None:
    """The text of one cell value (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # 15 significant digits is what Excel keeps; print without exponent.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, dt.datetime):
        stamp = value + dt.timedelta(microseconds=500)  # to whole milliseconds
        stamp = stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
        if stamp.time() == dt.time(0) and stamp.tzinfo is None:
            return stamp.date().isoformat()
        millis = f".{stamp.microsecond // 1000:03d}" if stamp.microsecond else ""
        return stamp.strftime("%Y-%m-%d %H:%M:%S") + millis
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def read_sheet(path: Path, file_name: str, sheet: str | None) -> tuple[str, list[str], list[list]]:
    """(sheet title, all sheet titles, rows of raw cell values).

    ``rows[i]`` is worksheet row ``i + 1`` (empty rows are empty lists), so row
    numbers stay true. Without ``sheet`` the first visible worksheet is read.
    Raises :class:`FileRejected` when the workbook cannot be opened or has no
    such sheet.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileRejected(
            file_name,
            f"cannot be opened as an Excel .xlsx workbook ({exc})",
            _REEXPORT,
            reason=refusals.BAD_XLSX,
        ) from exc
    try:
        sheets = workbook.worksheets
        titles = [ws.title for ws in sheets]
        if not sheets:
            raise FileRejected(file_name, "has no worksheets", _REEXPORT, reason=refusals.BAD_XLSX)
        if sheet is None:
            visible = [ws for ws in sheets if ws.sheet_state == "visible"]
            worksheet = (visible or sheets)[0]
        else:
            matches = [ws for ws in sheets if ws.title == sheet] or [
                ws for ws in sheets if ws.title.strip().casefold() == sheet.strip().casefold()
            ]
            if len(matches) != 1:
                existing = ", ".join(f"'{t}'" for t in titles)
                raise FileRejected(
                    file_name,
                    f"has no sheet named '{sheet}' (its sheets: {existing})",
                    "set sheet: to one of those names in the profile, or rename the sheet",
                    reason=refusals.BAD_XLSX,
                )
            worksheet = matches[0]
        worksheet.reset_dimensions()  # some writers record a wrong used range
        rows: list[list] = []
        for cells in worksheet.iter_rows():
            values = [cell.value for cell in cells]
            while values and values[-1] is None:
                values.pop()
            rows.append(values)
        return worksheet.title, titles, rows
    finally:
        workbook.close()


def xlsx_is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def open_xlsx(source: Path, name: str, options: ReadOptions) -> TableStream:
    """Open a worksheet (read whole: a sheet holds at most about a million rows)."""
    title, titles, rows = read_sheet(source, name, options.sheet)
    notes = []
    if len(titles) > 1:
        others = ", ".join(f"'{t}'" for t in titles if t != title)
        notes.append(f"sheet '{title}' of {len(titles)} (others: {others})")
    header_row = choose_header(name, rows, options, notes, xlsx_is_text, cell_text)
    width = max([len(r) for r in rows[header_row - 1 :]] + [0])

    def batches(batch_rows: int) -> Iterator[pl.DataFrame]:
        for start in range(header_row, len(rows), batch_rows):
            data = rows[start : start + batch_rows]
            yield pl.DataFrame(
                {
                    f"_c{i}": [cell_text(r[i]) if i < len(r) else None for r in data]
                    for i in range(width)
                },
                schema={f"_c{i}": pl.String for i in range(width)},
            ).with_row_index(ROW_INDEX, offset=start + 1)

    headers, cleaner = cleaner_for(
        name, rows[header_row - 1], width, options, notes, cell_text, column_label
    )
    return TableStream(
        headers=headers,
        file_format="xlsx",
        compressed=False,
        encoding=None,
        encoding_detected=False,
        delimiter=None,
        sheet=title,
        header_row=header_row,
        notes=notes,
        _rows=batches,
        _clean=cleaner.run,
    )
