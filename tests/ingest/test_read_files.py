"""Reading real-world export files: encodings, delimiters, gzip, ragged rows, streaming.

Every fixture is written as real bytes (encoded, compressed or saved with
openpyxl) inside the test, so the reader sees what an export would contain. Headers and
title blocks: test_header.py; Excel: test_xlsx.py.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from pathlib import Path

import polars as pl
import pytest

from pipelines.core.errors import FileRejected
from pipelines.ingest.files import encodings
from pipelines.ingest.files.read import open_table, read_table
from pipelines.ingest.files.table import RAGGED, ReadOptions
from pipelines.ingest.values.parse import ROW_INDEX
from tests.ingest.support import column, table_rows, write_export

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


# ------------------------------------------------------------------ encodings

CHINESE = (
    "客户名称,商机金额,负责人\n"
    "上海星辰科技有限公司,120000.50,张伟\n"
    "北京华信（集团）,88000,李娜\n"
    "深圳市前海数据服务,5000,王芳\n"
)
CP1252_TEXT = (
    "id,account,city,note\n"
    "00042,Müller GmbH,Köln,€ 1.200 offen\n"
    "00043,Café Zürich,Zürich,“Premium” Kunde\n"
    "00044,Société Générale,Paris,déjà payé\n"
)
CP850_TEXT = (
    "id,account,city\n1,Società Rossi,Milano\n2,Fiskeri AS,Ålesund\n3,Bäckerei Weiß,Straße 5\n"
)


def test_utf8_is_detected(tmp_path):
    path = write_export(tmp_path, "a.csv", "id,name\n1,Zoë\n".encode())
    table = read_table(path)
    assert (table.encoding, table.encoding_detected) == ("utf-8", True)
    assert table.file_format == "csv" and not table.compressed
    assert column(table, "name") == ["Zoë"]
    assert "encoding utf-8 (detected, confidence high)" in table.notes


@pytest.mark.parametrize("declared", [None, "utf-8", "UTF8"])
def test_utf8_bom_never_reaches_the_first_header(tmp_path, declared):
    path = write_export(tmp_path, "a.csv", "id,name\n1,Zoë\n".encode("utf-8-sig"))
    table = read_table(path, ReadOptions(encoding=declared))
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["id", "name"]
    assert table.frame.columns == ["_row_index", "id", "name"]
    assert table_rows(table) == [(2, "1", "Zoë")]


def test_gb18030_chinese_headers_are_detected(tmp_path):
    path = write_export(tmp_path, "商机.csv", CHINESE.encode("gb18030"))
    table = read_table(path)
    assert (table.encoding, table.encoding_detected) == ("gb18030", True)
    assert table.headers == ["客户名称", "商机金额", "负责人"]
    assert column(table, "客户名称")[1] == "北京华信（集团）"
    assert column(table, "商机金额") == ["120000.50", "88000", "5000"]
    assert column(table, "负责人") == ["张伟", "李娜", "王芳"]
    assert any(n.startswith("encoding gb18030 (detected") for n in table.notes)


def test_gbk_declared_reads_with_gb18030(tmp_path):
    path = write_export(tmp_path, "a.csv", CHINESE.encode("gbk"))
    table = read_table(path, ReadOptions(encoding="GBK"))
    assert (table.encoding, table.encoding_detected) == ("gb18030", False)
    assert column(table, "负责人") == ["张伟", "李娜", "王芳"]


def test_cp1252_is_detected(tmp_path):
    path = write_export(tmp_path, "a.csv", CP1252_TEXT.encode("cp1252"))
    table = read_table(path)
    assert (table.encoding, table.encoding_detected) == ("cp1252", True)
    assert column(table, "id") == ["00042", "00043", "00044"]
    assert column(table, "account") == ["Müller GmbH", "Café Zürich", "Société Générale"]
    assert column(table, "note") == ["€ 1.200 offen", "“Premium” Kunde", "déjà payé"]
    assert any(n.startswith("encoding cp1252 (detected") for n in table.notes)


def test_cp850_is_detected(tmp_path):
    path = write_export(tmp_path, "a.csv", CP850_TEXT.encode("cp850"))
    table = read_table(path)
    assert (table.encoding, table.encoding_detected) == ("cp850", True)
    assert column(table, "account") == ["Società Rossi", "Fiskeri AS", "Bäckerei Weiß"]
    assert column(table, "city") == ["Milano", "Ålesund", "Straße 5"]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("name\nMüller\nBäcker\nJürgen\n", "cp1252"),
        ("name\nBerguvsvägen\nMartín\nCataluña\n", "cp850"),
    ],
)
def test_western_text_that_also_decodes_as_gb18030_is_not_taken_for_chinese(
    tmp_path, text, encoding
):
    raw = text.encode(encoding)
    raw.decode("gb18030")  # the trap: these bytes are "valid" GB18030
    table = read_table(write_export(tmp_path, "a.csv", raw))
    assert table.encoding == encoding
    assert column(table, "name") == text.splitlines()[1:]


LATIN1_TEXT = (
    "id,account,city,note\n"
    "1,Telefónica S.A.,Madrid,Señor Muñoz\n"
    "2,Açaí Comércio Ltda,São Paulo,ação\n"
    "3,Ørsted A/S,Fredericia,Ærø\n"
)


@pytest.mark.parametrize("stray", ["", "\x8d", "\x81\x90"])
def test_iso_8859_1_is_read_as_written_never_as_cp850(tmp_path, stray):
    """ISO-8859-1 text reads correctly, also when it holds a byte (0x81, 0x8D, 0x8F, 0x90,
    0x9D: control characters in latin-1) that cp1252 cannot decode, which used to leave cp850
    as the only candidate ("Telef¾nica")."""
    text = LATIN1_TEXT + f"4,Nota{stray},Lisboa,x\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode("latin-1")))
    assert table.encoding == ("latin-1" if stray else "cp1252")
    assert column(table, "account")[:3] == ["Telefónica S.A.", "Açaí Comércio Ltda", "Ørsted A/S"]
    assert column(table, "note")[:3] == ["Señor Muñoz", "ação", "Ærø"]
    (note,) = [n for n in table.notes if n.startswith("encoding ")]
    assert "confidence high" in note or "confidence medium" in note


def test_a_guess_reports_low_confidence(tmp_path):
    table = read_table(write_export(tmp_path, "a.csv", "name\nWeiß\n".encode("cp850")))
    (note,) = [n for n in table.notes if n.startswith("encoding ")]
    assert "confidence low" in note


def test_mixed_utf8_and_cp1252_lines_are_each_read_in_their_encoding(tmp_path):
    """Rows appended by another tool in UTF-8 to a cp1252 export: no name garbled ("Ã©"),
    and the note names the first line of each encoding."""
    raw = (
        b"id,account\n"
        + "1,Müller GmbH\n".encode("cp1252")
        + "2,Société Générale\n".encode()
        + "3,Café Zürich\n".encode("cp1252")
        + "4,Zoë Ærø\n".encode()
    )
    table = read_table(write_export(tmp_path, "a.csv", raw))
    assert table.encoding == "utf-8+cp1252"
    assert column(table, "account") == ["Müller GmbH", "Société Générale", "Café Zürich", "Zoë Ærø"]
    (note,) = [n for n in table.notes if n.startswith("mixed encodings")]
    assert "first: line 3" in note and "first: line 2" in note


def test_a_chinese_gb18030_file_is_never_called_mixed(tmp_path):
    # many short Chinese names: some GB18030 byte pairs are also valid UTF-8 by chance
    common = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
        "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
        "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    )
    names = [a + b for a in common for b in common[:40]]
    text = "id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(names))
    table = read_table(write_export(tmp_path, "a.csv", text.encode("gb18030")))
    assert table.encoding == "gb18030"
    assert column(table, "name") == names


def test_ambiguous_cp1252_cp850_is_reported_as_a_guess(tmp_path):
    # ß in cp850 is á in cp1252: both read as plausible words.
    table = read_table(write_export(tmp_path, "a.csv", "name\nWeiß\n".encode("cp850")))
    assert table.encoding in ("cp1252", "cp850")
    assert any("a guess" in n for n in table.notes)


def test_declared_encoding_that_does_not_decode_is_rejected_with_the_offset(tmp_path):
    raw = CP1252_TEXT.encode("cp1252")
    path = write_export(tmp_path, "deals.csv", raw)
    with pytest.raises(FileRejected) as info:
        read_table(path, ReadOptions(encoding="utf-8"))
    offset = raw.index("ü".encode("cp1252"))
    assert info.value.file_name == "deals.csv"
    assert f"is not valid utf-8 text (first bad byte at offset {offset})" in info.value.problem
    assert "re-export as UTF-8 or set encoding: cp1252 in the profile" in info.value.fix


def test_declared_cp1252_rejects_bytes_cp1252_lacks(tmp_path):
    raw = CP850_TEXT.encode("cp850")  # Å is 0x8F, undefined in cp1252
    with pytest.raises(FileRejected, match=r"is not valid cp1252 text \(first bad byte at offset"):
        read_table(write_export(tmp_path, "a.csv", raw), ReadOptions(encoding="cp1252"))


def test_gzipped_file_with_a_bad_byte_reports_the_decompressed_offset(tmp_path):
    raw = b"id,name\n1," + "Müller".encode("cp1252") + b"\n"
    path = write_export(tmp_path, "a.csv.gz", gzip.compress(raw))
    with pytest.raises(FileRejected, match=f"first bad byte at offset {raw.index(0xFC)}"):
        read_table(path, ReadOptions(encoding="utf-8"))


def test_unknown_encoding_and_binary_files_are_rejected(tmp_path):
    path = write_export(tmp_path, "a.csv", b"id\n1\n")
    with pytest.raises(FileRejected, match="encoding 'klingon' is unknown"):
        read_table(path, ReadOptions(encoding="klingon"))
    with pytest.raises(FileRejected, match="is not a text file"):
        read_table(write_export(tmp_path, "b.csv", b"id\x00\x01\x02\n"))


def test_utf16_with_bom_is_read(tmp_path):
    path = write_export(tmp_path, "a.txt", "id\tname\n1\tZoë\n".encode("utf-16"))
    table = read_table(path)
    assert table.encoding == "utf-16" and table.delimiter == "\t"
    assert table_rows(table) == [(2, "1", "Zoë")]


def test_a_utf16_byte_order_mark_wins_over_a_declared_utf8(tmp_path):
    """The canonical profile declares UTF-8; a file starting with a UTF-16 byte-order mark
    (Excel's "Unicode Text") is UTF-16 whatever the profile says, and the note says so (it
    used to be rejected as invalid UTF-8)."""
    path = write_export(tmp_path, "a.csv", "id,name\n1,Zoë\n".encode("utf-16"))
    table = read_table(path, ReadOptions(encoding="utf-8"))
    assert table.encoding == "utf-16"
    assert table_rows(table) == [(2, "1", "Zoë")]
    assert any("byte-order mark says utf-16" in n for n in table.notes)


def test_non_ascii_beyond_the_first_megabyte_still_decides_the_encoding(tmp_path):
    filler = "".join(f"{i:06d},plain ascii row\n" for i in range(80_000)).encode()
    assert len(filler) > encodings.CHUNK
    raw = b"id,name\n" + filler + "999999,Köln Süd\n".encode("cp1252")
    table = read_table(write_export(tmp_path, "big.csv", raw))
    assert table.encoding == "cp1252"
    assert column(table, "name")[-1] == "Köln Süd"
    assert table.frame.height == 80_001


# ------------------------------------------------------------------ delimiters


@pytest.mark.parametrize(
    ("delimiter", "note"),
    [(",", None), (";", "delimiter ';' (detected)"), ("\t", "delimiter '\\t' (detected)"),
     ("|", "delimiter '|' (detected)")],
)  # fmt: skip
def test_each_delimiter_is_detected_and_quoted_delimiters_stay_in_the_value(
    tmp_path, delimiter, note
):
    d = delimiter
    text = f'id{d}name{d}amount\r\n1{d}"Smith, Jones; Tab\tand | Co"{d}12.50\r\n2{d}Plain{d}7\r\n'
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.delimiter == delimiter
    assert table.headers == ["id", "name", "amount"]
    assert column(table, "name") == ["Smith, Jones; Tab\tand | Co", "Plain"]
    assert column(table, "amount") == ["12.50", "7"]
    if note:
        assert note in table.notes


def test_semicolon_file_with_decimal_commas_is_split_on_semicolons(tmp_path):
    text = "id;amount;rate\n1;1,50;0,2\n2;2,75;0,3\n3;3,00;0,4\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.delimiter == ";"
    assert column(table, "amount") == ["1,50", "2,75", "3,00"]


def test_excel_sep_line_sets_the_delimiter(tmp_path):
    text = "sep=;\nid;name\n1;Ann\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.delimiter == ";" and table.header_row == 2
    assert table_rows(table) == [(3, "1", "Ann")]


def test_declared_delimiter_wins(tmp_path):
    text = "id;name,with comma\n1;Ann, B\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()), ReadOptions(delimiter=";"))
    assert table.headers == ["id", "name,with comma"]
    assert table_rows(table) == [(2, "1", "Ann, B")]


# ------------------------------------------------------------------ values and row numbers


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize("last_break", ["\r", ""])
def test_cr_only_line_endings_lose_no_row(tmp_path, encoding, last_break):
    """Classic Mac OS / some Excel exports end lines with a bare CR: every row is read (it
    used to load 0 rows, reported as loaded), and the note says how the lines ended."""
    names = [f"Café {i}" for i in range(166)]
    text = "id,name,amount\r" + "\r".join(f"{i},{n},{i}.50" for i, n in enumerate(names))
    table = read_table(write_export(tmp_path, "a.csv", (text + last_break).encode(encoding)))
    assert column(table, "name") == names
    assert column(table, "_row_index") == list(range(2, 168))
    assert any(n.startswith("line endings: CR only") for n in table.notes)


@pytest.mark.parametrize("break_in_cell", ["\n", "\r\n", "\r"])
def test_cr_only_line_endings_with_a_line_break_inside_a_quoted_value(tmp_path, break_in_cell):
    """A CR-only file whose quoted cell holds an LF is still a CR-only file: the LF is the
    cell's (it used to be taken for the file's line ending and the whole file read as its
    header, 0 rows, reported as loaded)."""
    rows = [(str(i), f"line a{break_in_cell}line b" if i == 1 else f"n{i}") for i in range(5)]
    text = "id,note\r" + "\r".join(f'{i},"{n.replace(chr(34), chr(34) * 2)}"' for i, n in rows)
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert column(table, "id") == [i for i, _ in rows]
    assert column(table, "note")[1] == "line a\nline b"  # one break, as LF


def test_quoted_line_breaks_count_as_one_record_with_crlf(tmp_path):
    text = (
        'id,note,amount\r\n'
        '1,"first line\r\nsecond line",10\r\n'
        '2,"a ""quoted"" word, and a comma",20\r\n'
        '3,plain,30\r\n'
    )  # fmt: skip
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert column(table, "_row_index") == [2, 3, 4]
    assert column(table, "note") == [
        "first line\r\nsecond line",
        'a "quoted" word, and a comma',
        "plain",
    ]
    assert column(table, "amount") == ["10", "20", "30"]  # no stray \r


def test_values_stay_text_trimmed_with_nulls(tmp_path):
    text = "id,amount,flag,owner\n00042,  1.50 ,TRUE,NULL\n007,1e3,no,null\n0100,,N/A,  Ann  \n"
    path = write_export(tmp_path, "a.csv", text.encode())
    table = read_table(path, ReadOptions(null_values=("NULL", "N/A")))
    assert table.frame.schema == pl.Schema(
        {"_row_index": pl.Int64, "id": pl.String, "amount": pl.String, "flag": pl.String,
         "owner": pl.String}
    )  # fmt: skip
    assert table_rows(table) == [
        (2, "00042", "1.50", "TRUE", None),
        (3, "007", "1e3", "no", "null"),  # null_values are case-sensitive
        (4, "0100", None, None, "Ann"),
    ]


def test_blank_rows_are_dropped_but_row_numbers_stay_true(tmp_path):
    text = "id,name\n1,Ann\n\n,\n  ,  \n2,Bob\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table_rows(table) == [(2, "1", "Ann"), (6, "2", "Bob")]
    assert "3 blank row(s) skipped" in table.notes


def test_short_rows_read_missing_cells_as_null(tmp_path):
    table = read_table(write_export(tmp_path, "a.csv", b"id,name,city\n1,Ann\n2,Bob,Rome\n"))
    assert table_rows(table) == [(2, "1", "Ann", None), (3, "2", "Bob", "Rome")]


def test_header_names_are_trimmed_and_whitespace_collapsed(tmp_path):
    text = '  Deal   Name ,"Amount\n(USD)",\tOwner\n1,2,3\n'
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table.headers == ["Deal Name", "Amount (USD)", "Owner"]


def test_header_without_data_gives_zero_rows(tmp_path):
    table = read_table(write_export(tmp_path, "a.csv", b"id,name\r\n"))
    assert table.headers == ["id", "name"]
    assert table.frame.height == 0
    assert table.frame.columns == ["_row_index", "id", "name"]


@pytest.mark.parametrize("content", [b"", b"\n\n\r\n", b",,\n,,\n"])
def test_empty_file_is_rejected(tmp_path, content):
    with pytest.raises(FileRejected, match="is empty \\(no header row found\\)") as info:
        read_table(write_export(tmp_path, "empty.csv", content))
    assert info.value.file_name == "empty.csv"


def test_bare_quote_inside_a_value_is_kept_as_written(tmp_path):
    text = 'id,product\n1,27" monitor\n2,desk\n'
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert table_rows(table) == [(2, "1", '27" monitor'), (3, "2", "desk")]


# ------------------------------------------------------------------ gzip


def test_gzip_by_name_with_legacy_encoding_inside(tmp_path):
    path = write_export(tmp_path, "deals.csv.gz", gzip.compress(CHINESE.encode("gb18030")))
    table = read_table(path)
    assert table.compressed and table.encoding == "gb18030"
    assert table.headers == ["客户名称", "商机金额", "负责人"]
    assert table.frame.height == 3


def test_gzip_detected_by_magic_bytes(tmp_path):
    path = write_export(tmp_path, "deals.csv", gzip.compress(b"id,name\n00042,Ann\n"))
    table = read_table(path)
    assert table.compressed
    assert table_rows(table) == [(2, "00042", "Ann")]


def test_broken_gzip_is_rejected(tmp_path):
    data = gzip.compress(b"id,name\n" + b"1,Ann\n" * 1000)
    with pytest.raises(FileRejected, match="is not a readable gzip file"):
        read_table(write_export(tmp_path, "a.csv.gz", data[: len(data) // 2]))


def ragged(table) -> dict[int, dict]:
    """Row number -> marker of the ragged rows of a file read whole."""
    if RAGGED not in table.frame.columns:
        return {}
    marked = table.frame.filter(pl.col(RAGGED).is_not_null())
    return dict(zip(marked[ROW_INDEX], marked[RAGGED], strict=True))


def test_ragged_row_is_marked_with_its_cell_counts_and_the_record_as_written(tmp_path):
    text = 'id,name,city\n1,"Smith, John",Rome\n2,Doe, Jane,Oslo\n3,Ann,Bern\n'
    table = read_table(write_export(tmp_path, "contacts.csv", text.encode()))
    assert table.frame.height == 3
    assert ragged(table) == {
        3: {"cells": 4, "header_cells": 3, "record": "2,Doe, Jane,Oslo"},
    }
    assert table.frame.filter(pl.col(ROW_INDEX) == 3).select("id", "name", "city").row(0) == (
        "2",
        "Doe",
        "Jane",
    )
    assert any("1 row(s) with more cells than the header's 3" in n for n in table.notes)


def test_smallest_ragged_file_is_read_not_rejected(tmp_path):
    table = read_table(write_export(tmp_path, "a.csv", b"a,b\n1,x,y\n"))
    assert ragged(table) == {2: {"cells": 3, "header_cells": 2, "record": "1,x,y"}}


def test_ragged_row_number_counts_records_not_lines(tmp_path):
    text = 'id,note\n1,"two\nlines"\n2,x,EXTRA\n3,"a\r\nb",c\n4,ok\n'
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert ragged(table) == {
        3: {"cells": 3, "header_cells": 2, "record": "2,x,EXTRA"},
        4: {"cells": 3, "header_cells": 2, "record": '3,"a\r\nb",c'},
    }
    assert table.frame[ROW_INDEX].to_list() == [2, 3, 4, 5]


def test_a_ragged_row_is_neither_a_blank_row_nor_a_footer(tmp_path):
    text = "id,name,city\n1,Ann,Rome\n2,Bob,Oslo\n\n,,,late cell\n"
    table = read_table(write_export(tmp_path, "a.csv", text.encode()))
    assert ragged(table) == {5: {"cells": 4, "header_cells": 3, "record": ",,,late cell"}}


@pytest.mark.parametrize(("ragged_rows", "rows", "rejected"), [(10, 19, True), (10, 20, False)])
def test_a_file_with_mostly_ragged_rows_is_rejected_naming_the_delimiter(
    tmp_path, ragged_rows, rows, rejected
):
    """More than half the rows, and at least 2, with more cells than the header: the
    delimiter or the header row is wrong, and the file is rejected; half of them is not."""
    body = [f"{i},x" for i in range(rows - ragged_rows)] + [f"{i},x,y" for i in range(ragged_rows)]
    path = write_export(tmp_path, "a.csv", ("id,name\n" + "\n".join(body) + "\n").encode())
    if not rejected:
        assert len(ragged(read_table(path))) == ragged_rows
        return
    with pytest.raises(FileRejected) as info:
        read_table(path)
    first = rows - ragged_rows + 2
    assert info.value.problem.endswith(
        f"has {ragged_rows} of {rows} rows with more cells than the header when split at the "
        f"delimiter ',' (first: row {first} has 3 cells but the header has 2): the delimiter "
        "or the header row is not the file's"
    )
    assert "set delimiter: in the profile" in info.value.fix


def test_extra_cells_that_are_empty_are_ignored(tmp_path):
    table = read_table(write_export(tmp_path, "a.csv", b"id,name\n1,Ann,,\n2,Bob\n"))
    assert table_rows(table) == [(2, "1", "Ann"), (3, "2", "Bob")]
    assert any("empty cells beyond the last header column" in n for n in table.notes)


# ------------------------------------------------------------------ real exports


def realdata(folder: str) -> Path:
    path = REALDATA / folder
    if not path.is_dir():
        pytest.skip(
            f"real data sets not available at {REALDATA} (see ../shared/realdata/README.md)"
        )
    return path


def test_kaggle_sales_sample_is_detected_as_cp850():
    (path,) = realdata("kaggle_sales_data_sample").glob("*.csv")
    raw = path.read_bytes()
    table = read_table(path)
    assert (table.encoding, table.encoding_detected) == ("cp850", True)
    records = list(csv.reader(io.StringIO(codecs.decode(raw, "cp850"), newline="")))
    assert table.frame.height == len(records) - 1
    assert table.headers == records[0]
    # First value holding a non-ASCII byte, decoded independently with codecs.
    lines = raw.split(b"\n")
    number, line = next((i + 1, ln) for i, ln in enumerate(lines) if not ln.isascii())
    cells = next(csv.reader([codecs.decode(line, "cp850")]))
    position, expected = next((i, c) for i, c in enumerate(cells) if not c.isascii())
    header = records[0][position]
    got = table.frame.filter(pl.col("_row_index") == number)[header].item()
    assert got == expected.strip()
    assert got != codecs.decode(line, "cp1252").split(",")[position].strip()
    assert any(ch in got for ch in "äíñ")


def test_maven_crlf_files_read_with_true_row_counts():
    folder = realdata("maven_crm_sales_opportunities")
    for path in sorted(folder.glob("*.csv")):
        raw = path.read_bytes()
        assert b"\r\n" in raw
        with path.open(encoding="utf-8-sig", newline="") as fh:
            records = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
        table = read_table(path)
        assert table.frame.height == len(records) - 1, path.name
        assert table.headers == [c.strip() for c in records[0]]
        last = table.headers[-1]
        assert not table.frame.filter(pl.col(last).str.ends_with("\r")).height, path.name


def test_northwind_unquoted_commas_mark_each_ragged_row_and_read_the_others():
    """customers.csv and orders.csv: every record with more cells than the header (csv
    module) is marked with its record number, cell count and line as written; the other
    records are read with their cells in their columns."""
    folder = realdata("northwind")
    for name in ("customers.csv", "orders.csv"):
        path = folder / name
        with path.open(encoding="utf-8", newline="") as fh:
            records = list(csv.reader(fh))
        lines = path.read_text(encoding="utf-8").splitlines()
        width = len(records[0])
        expected = {
            number: {"cells": len(r), "header_cells": width, "record": lines[number - 1]}
            for number, r in enumerate(records, start=1)
            if len(r) > width
        }
        table = read_table(path, ReadOptions(null_values=("NULL",)))
        assert table.frame.height == len(records) - 1, name
        assert expected and ragged(table) == expected, name
        first = records[0][0]
        assert table.frame[first].to_list() == [r[0] for r in records[1:]], name
        well_formed = [r for r in records[1:] if len(r) == width]
        last = records[0][-1]
        got = table.frame.filter(pl.col(RAGGED).is_null())[last].to_list()
        assert got == [None if r[-1] == "NULL" else r[-1].strip() or None for r in well_formed]


def test_batches_cover_every_record_once_even_when_the_strict_parser_takes_over(tmp_path):
    """A trailing delimiter deep in the file stops the fast reader mid-stream; the strict
    parser carries on from the next unread record, so numbering and content are unbroken."""

    body = [f"{i},x{i}" for i in range(100)] + ["100,y,"] + [f"{i},z{i}" for i in range(101, 131)]
    path = write_export(tmp_path, "a.csv", ("id,name\n" + "\n".join(body) + "\n").encode())
    with open_table(path) as stream:
        batches = list(stream.batches(7))
        notes = list(stream.notes)
    assert len(batches) > 10
    frame = pl.concat(batches)
    assert frame["_row_index"].to_list() == list(range(2, 133))  # header is record 1
    assert frame["id"].to_list() == [str(i) for i in range(131)]
    assert frame["name"][100] == "y" and frame["name"][130] == "z130"
    assert any("strict fallback parser" in n for n in notes)
    assert "1 row(s) had empty cells beyond the last header column; ignored" in notes
