"""CSV files: how they are written (encoding, delimiter, header) and their rows, streamed.

The encoding is resolved first (:mod:`.encodings`; a file in another encoding, or
compressed, is transcoded to a UTF-8 copy); the delimiter comes from the profile, an Excel
``sep=`` line, or the first records (:func:`detect_delimiter`). Polars' fast reader hands
out the rows in batches; where it fails, the strict parser (:mod:`.strict_csv`) takes over
from the same record on, so row numbers stay the export's.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.ingest.files import encodings
from pipelines.ingest.files.clean import cleaner_for
from pipelines.ingest.files.header import HEADER_SEARCH_ROWS, choose_header
from pipelines.ingest.files.strict_csv import read_with_csv_module
from pipelines.ingest.files.table import ReadLimits, ReadOptions, RoomyWriter, TableStream
from pipelines.ingest.values.parse import ROW_INDEX

#: Delimiters tried, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Text examined (at most) to find the delimiter and the header of a CSV file.
_HEAD_BYTES = 1 << 20
_HEAD_RECORDS = HEADER_SEARCH_ROWS + 20
_LOOKS_NUMERIC = re.compile(r"^[-+(]?[\d.,' ]*\d[\d.,' ]*%?\)?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def head_text(source: Path) -> tuple[str, bool]:
    """(start of the UTF-8 file as text, whether that is the whole file)."""
    with source.open("rb") as fh:
        data = fh.read(_HEAD_BYTES + 1)
    whole = len(data) <= _HEAD_BYTES
    text = data[:_HEAD_BYTES].decode("utf-8", errors="ignore" if not whole else "strict")
    return text.removeprefix("\ufeff"), whole


def uses_cr_line_endings(source: Path) -> bool:
    """The file ends its lines with a bare CR: in its first megabyte, outside quoted values,
    there is a bare CR and no LF (an LF inside a quoted value is a line break the exporting
    tool wrote in the cell, not the file's line ending)."""
    with source.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if b"\r" not in head:
        return False
    outside = b"".join(head.split(b'"')[::2])  # the bytes outside double quotes
    return b"\n" not in outside and b"\r" in outside


def lf_copy(source: Path, target: Path, limits: ReadLimits | None = None, name: str = "") -> Path:
    """``source`` with every CR (or CRLF) written as LF, streamed (a CR inside a quoted value
    too: in a CR-only file that is a line break the exporting tool wrote in the cell)."""
    carry = b""  # a CR that ends a chunk may begin a CRLF (one break inside a value)
    with source.open("rb") as src, target.open("wb") as file:
        out = RoomyWriter(file, target.parent, name or source.name, limits) if limits else file
        for chunk in iter(lambda: src.read(encodings.CHUNK), b""):
            chunk = carry + chunk
            chunk, carry = (chunk[:-1], b"\r") if chunk.endswith(b"\r") else (chunk, b"")
            out.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        out.write(carry.replace(b"\r", b"\n"))
    return target


def head_records(
    text: str, delimiter: str, whole: bool, limit: int = _HEAD_RECORDS
) -> list[list[str]]:
    """The first ``limit`` complete records of ``text`` (a blank line is ``[]``)."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > limit:
                return rows[:limit]
    except csv.Error:
        return rows
    if not whole and rows:
        rows.pop()  # may be cut off by the end of the sample
    return rows


def detect_delimiter(text: str, whole: bool = True) -> str:
    """The candidate splitting most records into the same number (>= 2) of cells."""
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        records = head_records(text, delimiter, whole)
        widths = [len(r) for r in records if any(c.strip() for c in r)]
        multi = Counter(w for w in widths if w >= 2)
        score = multi.most_common(1)[0][1] if multi else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def open_csv(
    open_stream, path: Path, compressed: bool, tmp: Path, options: ReadOptions
) -> TableStream:
    name = path.name
    encoding, detected, encoding_note = encodings.resolve(open_stream, name, options.encoding)
    notes = [encoding_note]
    source = path
    if compressed or encoding not in ("utf-8", "utf-8-sig"):
        source = tmp / "utf8.csv"
        with source.open("wb") as out:
            encodings.transcode(
                open_stream, name, encoding, RoomyWriter(out, tmp, name, options.limits)
            )
    elif not (detected and encoding == "utf-8"):  # detection already checked every byte
        encodings.check_decodes(open_stream, name, encoding)
    if uses_cr_line_endings(source):
        source = lf_copy(source, tmp / "lf.csv", options.limits, name)
        notes.append(
            "line endings: CR only (classic Mac OS / some Excel exports), read as line breaks"
        )
    text, whole = head_text(source)

    delimiter = options.delimiter
    sep_line = re.match(r"sep=(.)\r?\n", text)
    if delimiter is None and sep_line:
        delimiter = sep_line.group(1)
        notes.append(f"delimiter {delimiter!r} (from the sep= line)")
    elif delimiter is None:
        delimiter = detect_delimiter(text, whole)
        if delimiter != ",":
            notes.append(f"delimiter {delimiter!r} (detected)")
    limit = max(_HEAD_RECORDS, (options.header_row or 0) + 1)
    head = head_records(text, delimiter, whole, limit)
    header_row = choose_header(name, head, options, notes, csv_is_text, str)
    cells = head[header_row - 1]
    width = len(cells)
    first_row = header_row + 1

    def rows(batch_rows: int) -> Iterator[pl.DataFrame]:
        """Polars' fast reader; where it fails, the strict one from the same record on."""
        done = 0
        try:
            scan = pl.scan_csv(
                source,
                has_header=True,
                skip_rows=header_row - 1,
                separator=delimiter,
                quote_char='"',
                infer_schema=False,
                encoding="utf8",
                raise_if_empty=False,
            )
            for batch in scan.collect_batches(chunk_size=batch_rows):
                if batch.width != width:
                    raise pl.exceptions.ComputeError("header width differs from the csv module's")
                batch.columns = [f"_c{i}" for i in range(width)]
                yield batch.with_row_index(ROW_INDEX, offset=first_row + done)
                done += batch.height
        except (pl.exceptions.PolarsError, OSError) as exc:
            notes.append(f"read with the strict fallback parser ({str(exc).splitlines()[0]})")
            yield from read_with_csv_module(
                name, source, delimiter, header_row, width, notes, skip=done, batch_rows=batch_rows
            )

    headers, cleaner = cleaner_for(name, cells, width, options, notes, str)
    return TableStream(
        headers=headers,
        file_format="csv",
        compressed=compressed,
        encoding=encoding,
        encoding_detected=detected,
        delimiter=delimiter,
        sheet=None,
        header_row=header_row,
        notes=notes,
        _rows=rows,
        _clean=cleaner.run,
    )


def csv_is_text(value: str | None) -> bool:
    return bool(value and value.strip()) and not _LOOKS_NUMERIC.match(value.strip())
