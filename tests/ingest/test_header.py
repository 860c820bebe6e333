"""Finding a file's header and cleaning its rows (pipelines/ingest/files/header.py,
clean.py): header problems, title blocks above the header, blank rows and report footers.
"""

from __future__ import annotations

import pytest

from pipelines.core.errors import FileRejected
from pipelines.ingest.files.header import find_header
from pipelines.ingest.files.read import read_table
from pipelines.ingest.files.table import ReadOptions
from tests.ingest.support import column, table_rows, write_export

# ------------------------------------------------------------------ header problems


def test_duplicate_headers_are_rejected_ignoring_case(tmp_path):
    text = "Owner,Amount,id,amount ,owner\n1,2,3,4,5\n"
    with pytest.raises(FileRejected) as info:
        read_table(write_export(tmp_path, "deals.csv", text.encode()))
    problem = info.value.problem
    assert problem.startswith("deals.csv: has the column(s) ")
    assert "'Owner' (columns 1 and 5)" in problem
    assert "'Amount' (columns 2 and 4)" in problem
    assert "more than once (names are compared ignoring case)" in problem
    assert "each header name appears once" in info.value.fix


def test_blank_header_over_data_is_rejected_naming_the_columns(tmp_path):
    text = "id,,name,\n1,,Ann,\n2,x,Bob,\n3,,Cy,y\n"
    with pytest.raises(FileRejected) as info:
        read_table(write_export(tmp_path, "deals.csv", text.encode()))
    assert "has data under blank header cell(s) in column(s) 2, 4 (first on row 3)" in str(
        info.value
    )
    assert "give every column that holds data a header name" in info.value.fix


def test_blank_header_over_an_empty_column_is_dropped(tmp_path):
    text = "id,,name,\n1,,Ann,\n2, ,Bob,\n"  # trailing delimiter on every line
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.headers == ["id", "name"]
    assert table_rows(table) == [(2, "1", "Ann"), (3, "2", "Bob")]
    assert "2 unnamed empty column(s) dropped (2, 4)" in table.notes


# ------------------------------------------------------------------ title blocks


def test_csv_title_block_is_skipped(tmp_path):
    text = (
        "Opportunities export\n"
        "Generated 2026-03-01 09:30\n"
        "\n"
        "id,name,amount\n"
        "00042,Ann,10\n"
        "00043,Bob,20\n"
    )
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.header_row == 4
    assert column(table, "_row_index") == [5, 6]
    assert any(n.startswith("header found on row 4 under a title block") for n in table.notes)


def test_declared_header_row(tmp_path):
    text = "report,march\nwhatever,x\nid,name\n1,Ann\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()), ReadOptions(header_row=3))
    assert table.header_row == 3 and table.headers == ["id", "name"]
    assert table_rows(table) == [(4, "1", "Ann")]
    with pytest.raises(FileRejected, match="has no row 9"):
        read_table(write_export(tmp_path, "b.csv", text.encode()), ReadOptions(header_row=9))


def test_plain_file_with_text_only_data_keeps_row_1_as_header():
    assert find_header([["id", "name"], ["a", "b"], ["c", "d"]], str.strip) == 1
    # a blank header over data: row 1 is still the header (and the reader rejects it)
    assert find_header([["id", "name", ""], ["a", "b", "c"], ["d", "e", "f"]], str.strip) == 1


def test_find_header_title_rules():
    is_text = lambda v: isinstance(v, str) and bool(v.strip())  # noqa: E731
    titled = [["Deals"], ["Region:", "APAC"], [], ["id", "name", "owner"], ["1", "a", "b"]]
    assert find_header(titled, is_text) == 4
    # key-value rows running straight into the table: no guessing, row 1
    run_in = [["Region:", "APAC"], ["id", "name", "owner"], [1, "a", "b"]]
    assert find_header(run_in, is_text) == 1
    assert find_header([[], [None, "  "]], is_text) is None


def test_first_row_without_any_column_name_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match=r"has no header row \(row 2, the first non-blank row"):
        read_table(write_export(tmp_path, "a.csv", b",,\n1,2,3\n4,5,6\n"))


def test_title_with_a_comma_right_above_the_header_asks_for_header_row(tmp_path):
    text = "Pipeline, March 2026\nid,name,amount\n1,Ann,10\n"
    path = write_export(tmp_path, "a.csv", text.encode())
    with pytest.raises(FileRejected) as info:
        read_table(path)
    assert "row 2 has 3 cells but the header has 2" in info.value.problem
    assert "if the column names are not on row 1, set header_row: in the profile" in info.value.fix
    assert read_table(path, ReadOptions(header_row=2)).headers == ["id", "name", "amount"]


def test_report_footer_after_a_blank_line_is_not_read_as_records(tmp_path):
    path = tmp_path / "Users.csv"
    path.write_bytes(
        b'"User ID","Full Name","Role"\r\n"U1","Ann Lee","AE"\r\n"U2","Bo","AE"\r\n\r\n'
        b'"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\r\n'
        b'"Confidential Information - Do Not Distribute"\r\n'
    )
    table = read_table(path)
    assert table.frame["_row_index"].to_list() == [2, 3]
    assert any("2 footer line(s) after the data ignored (from row 5" in n for n in table.notes)


def test_a_last_record_with_one_cell_but_no_blank_line_before_it_stays(tmp_path):
    path = tmp_path / "Users.csv"
    path.write_bytes(b"User ID,Full Name,Role\nU1,Ann,AE\nU2,,\n")
    table = read_table(path)
    assert table.frame["_row_index"].to_list() == [2, 3]
