"""Hostile export files: each limit at its edge, a decompression bomb refused alone with its
temporary files under HOME, refused files' rows counted, and the hints a rejection gives."""

from __future__ import annotations

import gzip
import math
import tempfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipelines.core.errors import FileRejected
from pipelines.ingest.files.header import missing_column_hint
from pipelines.ingest.files.read import read_table, temp_folder
from tests.ingest.support import load_file, write_export

MIB = 1 << 20
REPS_HEADER = "rep_id,rep_name,team,region\n"


def reps_csv(size: int) -> bytes:
    """A valid sales_reps export of exactly ``size`` bytes (the last name padded)."""
    rows = [REPS_HEADER]
    n, total = 0, len(REPS_HEADER)
    while total < size - 100:
        n += 1
        rows.append(f"R{n},Rep {n},East,North\n")
        total += len(rows[-1])
    text = "".join(rows)
    pad = size - len(text) - len(f"R{n + 1},,East,North\n")
    text += f"R{n + 1},{'x' * pad},East,North\n"
    assert len(text) == size
    return text.encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def refused(path: Path) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_table(path)
    return caught.value


def test_file_size_limit_at_its_edge(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_MAX_FILE_MB", "1")
    assert read_table(write_export(tmp_path, "ok.csv", reps_csv(MIB))).frame.height > 0
    exc = refused(write_export(tmp_path, "big.csv", reps_csv(MIB + 1)))
    assert exc.status == "refused" and exc.reason == "file_too_large" and exc.size == MIB + 1
    text = str(exc)
    assert "big.csv" in text and "SALESOPS_MAX_FILE_MB=1" in text and "1,048,577 bytes" in text


def test_decompressed_size_limit_at_its_edge(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSED_MB", "1")
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSION_RATIO", "100000")
    assert read_table(write_export(tmp_path, "ok.csv.gz", gz(reps_csv(MIB)))).frame.height > 0
    exc = refused(write_export(tmp_path, "big.csv.gz", gz(reps_csv(MIB + 1))))
    assert exc.status == "refused" and exc.reason == "decompressed_too_large"
    assert "big.csv.gz" in str(exc) and "SALESOPS_MAX_DECOMPRESSED_MB=1" in str(exc)


def test_decompression_ratio_limit_at_its_edge(tmp_path, monkeypatch):
    data = reps_csv(3 * MIB)
    packed = gz(data)
    ratio = len(data) / len(packed)
    assert ratio != int(ratio)
    path = write_export(tmp_path, "reps.csv.gz", packed)
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSION_RATIO", str(math.ceil(ratio)))
    assert read_table(path).frame.height > 0
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSION_RATIO", str(math.floor(ratio)))
    exc = refused(path)
    assert exc.reason == "decompression_ratio" and "reps.csv.gz" in str(exc)
    assert f"SALESOPS_MAX_DECOMPRESSION_RATIO={math.floor(ratio)}" in str(exc)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_length_limit_at_its_edge(tmp_path, monkeypatch, ending):
    monkeypatch.setenv("SALESOPS_MAX_LINE_KB", "1")

    def export(name: str, length: int) -> Path:
        line = "R1,Ann," + "e" * (length - len("R1,Ann,,North")) + ",North"
        assert len(line) == length
        text = ending.join(["rep_id,rep_name,team,region", "R0,Bo,East,North", line, ""])
        return write_export(tmp_path, name, text.encode())

    assert read_table(export("ok.csv", 1024)).frame.height == 2
    exc = refused(export("long.csv", 1025))
    assert exc.reason == "line_too_long" and "line 3" in str(exc)
    assert "long.csv" in str(exc) and "SALESOPS_MAX_LINE_KB=1" in str(exc)


def test_a_workbook_expanding_past_the_limit_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSED_MB", "1")
    book = Workbook()
    sheet = book.active
    sheet.append(["rep_id", "rep_name", "team", "region"])
    for i in range(20_000):
        sheet.append([f"R{i}", f"Rep {i}", "East", "North"])
    book.save(tmp_path / "reps.xlsx")
    exc = refused(tmp_path / "reps.xlsx")
    assert exc.reason == "decompressed_too_large" and "reps.xlsx" in str(exc)
    monkeypatch.setenv("SALESOPS_MAX_DECOMPRESSED_MB", "64")
    assert read_table(tmp_path / "reps.xlsx").frame.height == 20_000


def bomb(path: Path, expanded_mib: int) -> Path:
    """A gzip file of ``expanded_mib`` MiB of one repeated short line, written in a stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"a,b\n" * (MIB // 4)
    with path.open("wb") as out:
        for _ in range(expanded_mib):
            out.write(packer.compress(block))
        out.write(packer.flush())
    return path


def test_a_gzip_bomb_is_refused_alone_its_temporary_files_under_home(con, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    before = set(Path(tempfile.gettempdir()).glob("salesops-*"))
    path = bomb(inbox / "accounts.csv.gz", 256)
    reps = write_export(inbox, "sales_reps.csv", REPS_HEADER + "R1,Ann,East,North\n")

    result = load_file(con, "accounts", path, 1)
    assert result.status == "refused" and result.rows_in == 0
    assert "SALESOPS_MAX_DECOMPRESSION_RATIO=100" in result.message
    assert load_file(con, "sales_reps", reps, 1).status == "loaded"
    rows = con.execute(
        "select entity, status, rows_loaded, message from meta.load_files order by entity"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("accounts", "refused", 0),
        ("sales_reps", "loaded", 1),
    ]
    assert "accounts.csv.gz" in rows[0][3]
    # nothing left in the system's temporary folder or beside the warehouse
    assert not set(Path(tempfile.gettempdir()).glob("salesops-*")) - before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "w.duckdb", "w.duckdb.wal"] or (
        sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "w.duckdb"]
    )


def test_temporary_copies_go_to_the_folder_the_load_names(tmp_path, monkeypatch):
    home_tmp = tmp_path / "home" / "work"
    home_tmp.mkdir(parents=True)
    seen: list[Path] = []
    real = tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        seen.append(Path(kwargs.get("dir") or tempfile.gettempdir()))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    path = write_export(tmp_path, "reps.csv.gz", gz(REPS_HEADER.encode() + b"R1,Ann,East,North\n"))
    with temp_folder(home_tmp):
        assert read_table(path).frame.height == 1
    assert seen == [home_tmp]


def test_rows_of_a_rejected_file_are_counted_as_refused(con, tmp_path):
    rows = [f"R{i},East,North" for i in range(1, 8)] + [""]  # no rep_name column
    path = write_export(tmp_path, "sales_reps.csv", "rep_id,team,region\n" + "\n".join(rows))
    result = load_file(con, "sales_reps", path, 1)
    assert result.status == "rejected" and result.rows_in == 7
    assert con.execute("select status, rows_in, rows_loaded from meta.load_files").fetchall() == [
        ("rejected", 7, 0)
    ]


def test_rows_of_a_mostly_ragged_file_are_counted_as_refused(con, tmp_path):
    data = [f"R{i},Rep {i},East,North,extra,more" for i in range(1, 13)]
    path = write_export(tmp_path, "sales_reps.csv", REPS_HEADER + "\n".join(data) + "\n")
    result = load_file(con, "sales_reps", path, 1)
    assert result.status == "rejected" and result.rows_in == 12


def test_a_semicolon_header_read_at_commas_names_the_delimiter():
    hint, close, delimiter = missing_column_hint(
        ["rep_id;rep_name;team;region"], ["rep_name"], ["rep_id", "rep_name"], ","
    )
    assert delimiter == ";" and close is None
    assert "';'-delimited" in hint and "not ','-delimited" in hint
    hint, _, delimiter = missing_column_hint(
        ["rep_id\trep_name"], ["rep_name"], ["rep_id", "rep_name"], None
    )
    assert delimiter == "\t" and "TAB-delimited" in hint


def test_a_file_without_a_header_row_is_named_so(con, tmp_path):
    path = write_export(tmp_path, "payments.csv", "P1,O1,2026-09-01,120.50,CNY\n")
    hint, _, _ = missing_column_hint(["P1", "O1", "2026-09-01", "120.50", "CNY"], ["x"], [], ",")
    assert "no header row" in hint
    result = load_file(con, "payments", path, 1)
    assert result.status == "rejected" and "no header row" in result.message


def test_only_a_close_header_is_offered_for_a_missing_column(con, tmp_path):
    path = write_export(tmp_path, "sales_reps.csv", "rep_id,team,region\nR1,East,North\n")
    message = load_file(con, "sales_reps", path, 1).message
    assert "closest header" not in message and "'region'" in message  # listed, not offered
    assert "e.g.  rep_name: 'Your Header'" in message
    hint, close, _ = missing_column_hint(["Rep Name", "team"], ["rep_name"], [], ",")
    assert close == "Rep Name" and "closest header found: 'Rep Name'" in hint
    _, close, _ = missing_column_hint(["rep_nmae", "team"], ["rep_name"], [], ",")
    assert close == "rep_nmae"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path, codec):
    text = "rep_id,rep_name,team,region\nR1,Zoë Ångström,East,North\n"
    table = read_table(write_export(tmp_path, "reps.csv", text.encode(codec)))
    assert table.encoding == codec
    assert table.headers == ["rep_id", "rep_name", "team", "region"]
    assert table.frame["rep_name"].to_list() == ["Zoë Ångström"]
