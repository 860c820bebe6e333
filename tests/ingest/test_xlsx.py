"""Excel workbooks (pipelines/ingest/files/xlsx.py): title blocks, cell types as text, row
numbers, sheets, header problems named by column letter, gzip, files that are not workbooks.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from pipelines.core.errors import FileRejected
from pipelines.ingest.files.read import read_table
from pipelines.ingest.files.table import ReadOptions
from pipelines.ingest.files.xlsx import cell_text
from tests.ingest.support import table_rows, write_export

# ------------------------------------------------------------------ XLSX


def make_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws["A1"] = "Pipeline report Q1"
    ws.merge_cells("A1:F1")
    ws["A2"] = "Exported 2026-03-01"
    ws.merge_cells("A2:F2")
    # row 3 blank
    for col, name in enumerate(["Deal ID", "Account", "Amount", "Close date", "Created", "Won"], 1):
        ws.cell(row=4, column=col, value=name)
    ws.append(
        ["00042", "Müller GmbH", 1234.5, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30), True]
    )
    ws.append(
        ["00043", "上海星辰", 42, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 2, 17, 5, 7), False]
    )
    ws.append([])  # row 7 blank
    ws.append(["00044", "  Café  ", 42.0, None, None, None])
    notes = wb.create_sheet("Notes")
    notes.append(["key", "value"])
    notes.append(["source", "crm"])
    wb.save(path)
    return path


def test_xlsx_title_block_types_and_row_numbers(tmp_path):
    table = read_table(make_workbook(tmp_path / "deals.xlsx"))
    assert (table.file_format, table.sheet, table.header_row) == ("xlsx", "Deals", 4)
    assert table.encoding is None and table.delimiter is None and not table.compressed
    assert table.headers == ["Deal ID", "Account", "Amount", "Close date", "Created", "Won"]
    assert all(
        dtype == pl.String for name, dtype in table.frame.schema.items() if name != "_row_index"
    )
    assert table_rows(table) == [
        (5, "00042", "Müller GmbH", "1234.5", "2026-03-01", "2026-03-01 09:30:00", "true"),
        (6, "00043", "上海星辰", "42", "2026-03-02", "2026-03-02 17:05:07", "false"),
        (8, "00044", "Café", "42", None, None, None),
    ]
    assert "sheet 'Deals' of 2 (others: 'Notes')" in table.notes
    assert any(
        n.startswith("header found on row 4 under a title block") and "Pipeline report Q1" in n
        for n in table.notes
    )


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path):
    path = make_workbook(tmp_path / "deals.xlsx")
    table = read_table(path, ReadOptions(sheet="Notes"))
    assert table.sheet == "Notes" and table.header_row == 1
    assert table_rows(table) == [(2, "source", "crm")]
    with pytest.raises(FileRejected) as info:
        read_table(path, ReadOptions(sheet="Pipeline"))
    assert "has no sheet named 'Pipeline' (its sheets: 'Deals', 'Notes')" in info.value.problem


def test_xlsx_declared_header_row(tmp_path):
    path = make_workbook(tmp_path / "deals.xlsx")
    assert read_table(path, ReadOptions(header_row=4)).frame.height == 3


def test_xlsx_header_problems_name_column_letters(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "Amount", "AMOUNT"])
    ws.append([1, 2, 3])
    wb.save(tmp_path / "dup.xlsx")
    with pytest.raises(FileRejected, match=r"'Amount' \(columns B and C\) more than once"):
        read_table(tmp_path / "dup.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.append(["id", None, "name"])
    ws.append([1, None, "a"])
    ws.append([2, None, "b", None, "stray"])
    wb.save(tmp_path / "blank.xlsx")
    with pytest.raises(FileRejected, match=r"in column\(s\) E \(first on row 3\)"):
        read_table(tmp_path / "blank.xlsx")


def test_xlsx_gzipped(tmp_path):
    path = make_workbook(tmp_path / "deals.xlsx")
    gz = write_export(tmp_path, "deals.xlsx.gz", gzip.compress(path.read_bytes()))
    table = read_table(gz)
    assert table.compressed and table.file_format == "xlsx" and table.frame.height == 3


def test_cell_text_has_no_float_artefacts():
    assert cell_text(1234.5) == "1234.5"
    assert cell_text(42.0) == "42"
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(1e20) == "100000000000000000000"
    assert cell_text(1.5e-7) == "0.00000015"
    assert cell_text(-0.25) == "-0.25"
    assert cell_text(True) == "true"
    assert cell_text(dt.datetime(2026, 3, 1, 9, 29, 59, 999_999)) == "2026-03-01 09:30:00"
    assert cell_text(dt.datetime(2026, 3, 1, 9, 30, 0, 250_000)) == "2026-03-01 09:30:00.250"
    assert cell_text(dt.time(9, 30)) == "09:30:00"


def test_not_a_workbook_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match="cannot be opened as an Excel .xlsx workbook"):
        read_table(write_export(tmp_path, "a.xlsx", b"id,name\n1,Ann\n"))
    with pytest.raises(FileRejected, match=r"old-format \(.xls\)"):
        read_table(write_export(tmp_path, "a.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100))
    with pytest.raises(FileRejected, match="does not exist"):
        read_table(tmp_path / "missing.csv")
