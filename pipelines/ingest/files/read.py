"""Read one export file (CSV or Excel) into an all-text frame, or reject it whole.

What :func:`read_table` accepts:

* CSV in UTF-8 (with or without byte-order mark), GB18030/GBK, Windows-1252
  or code page 850 (detected unless the profile sets ``encoding``), separated
  by ``,`` ``;`` TAB or ``|`` (detected unless set), with quoted fields that
  hold the separator or line breaks, LF or CRLF line endings, and an optional
  Excel ``sep=;`` first line.
* Excel ``.xlsx`` workbooks: the sheet the profile names, else the first
  visible sheet.
* Either of them gzip-compressed (``.gz``, or recognised by its first bytes).

Above the header there may be a title block (report name, export date, blank
rows): unless the profile sets ``header_row`` the header is found and the rows
above it ignored (see :func:`find_header`). Values stay text exactly as
written, trimmed; empty cells and the profile's ``null_values`` become null.
Fully blank rows are skipped. ``_row_index`` is the row number a person sees:
the worksheet row in Excel, the record number in CSV (a quoted value spanning
two lines is one record).

A file is rejected whole (:class:`FileRejected`, naming the file, the problem
and the fix) when it cannot be decoded, has no header, has duplicate or blank
header names over data, or has rows with more cells than the header.

Large files stream: :func:`open_table` reads the header and how the file is
written, then hands out the rows in bounded batches (:meth:`TableStream.batches`),
so a file of any size is never held in memory whole. :func:`read_table` is the
same reader collecting every batch, for small files and tests.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.core.errors import FileRejected
from pipelines.ingest.files import encodings, xlsx
from pipelines.ingest.values.parse import ROW_INDEX, normalise_text

#: Row number of the first data row when the header is on row 1.
FIRST_DATA_ROW = 2
#: The header is looked for within this many rows.
HEADER_SEARCH_ROWS = 30
#: Delimiters tried, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Text examined (at most) to find the delimiter and the header of a CSV file.
_HEAD_BYTES = 1 << 20
_HEAD_RECORDS = HEADER_SEARCH_ROWS + 20
#: Rows per batch handed out by :meth:`TableStream.batches` unless asked otherwise.
BATCH_ROWS = 200_000
#: Rows held back between batches so a report footer is seen whole at the end.
_FOOTER_WINDOW = 20
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and password-protected workbooks
_LOOKS_NUMERIC = re.compile(r"^[-+(]?[\d.,' ]*\d[\d.,' ]*%?\)?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; ``None`` means detect it.

    ``encoding``: e.g. ``"utf-8"``, ``"gb18030"``, ``"cp1252"``, ``"cp850"``.
    ``delimiter``: one of ``,`` ``;`` TAB ``|``. ``sheet``: worksheet name (XLSX).
    ``header_row``: 1-based row of the header. ``null_values``: cell texts that
    mean "empty", compared after trimming, case-sensitive.
    """

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    null_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.header_row is not None and self.header_row < 1:
            raise ValueError(f"header_row must be 1 or more, not {self.header_row}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, not {self.delimiter!r}")


@dataclass
class RawTable:
    """One file read as text, and how it was read (for the load report)."""

    frame: pl.DataFrame  # "_row_index" (Int64), then one String column per header cell
    headers: list[str]  # column names: header cells trimmed, inner whitespace collapsed
    file_format: str  # "csv" | "xlsx"
    compressed: bool  # gzip-compressed (name ends .gz, or gzip magic bytes)
    encoding: str | None  # Python codec used for CSV ("utf-8", "gb18030", ...); None for XLSX
    encoding_detected: bool  # True when the encoding was detected, not set in the profile
    delimiter: str | None  # CSV delimiter; None for XLSX
    sheet: str | None  # worksheet read (XLSX)
    header_row: int  # 1-based row of the header
    notes: list[str] = field(default_factory=list)  # facts worth reporting, in plain words


@dataclass
class TableStream:
    """A file opened for reading: how it is written, and its rows batch by batch.

    ``notes`` grows while the rows are read (blank rows skipped, a footer
    ignored, the strict parser taking over): read it after the last batch.
    """

    headers: list[str]
    file_format: str
    compressed: bool
    encoding: str | None
    encoding_detected: bool
    delimiter: str | None
    sheet: str | None
    header_row: int
    notes: list[str]
    _rows: Callable[[int], Iterator[pl.DataFrame]] = field(repr=False)
    _cleaner: _Cleaner = field(repr=False)

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
        """The data rows (``_row_index`` + one String column per header), ``rows`` at a time.

        Raises :class:`FileRejected` at the batch where the file turns out bad.
        """
        yield from self._cleaner.run(self._rows(rows))

    def describe(self, frame: pl.DataFrame) -> RawTable:
        return RawTable(
            frame=frame,
            headers=self.headers,
            file_format=self.file_format,
            compressed=self.compressed,
            encoding=self.encoding,
            encoding_detected=self.encoding_detected,
            delimiter=self.delimiter,
            sheet=self.sheet,
            header_row=self.header_row,
            notes=self.notes,
        )


def read_table(path: Path, options: ReadOptions = ReadOptions()) -> RawTable:
    """Read ``path`` whole (CSV or XLSX, optionally gzip-compressed); see the module docstring."""
    with open_table(path, options) as stream:
        batches = list(stream.batches())
        empty = pl.DataFrame(schema={ROW_INDEX: pl.Int64, **{h: pl.String for h in stream.headers}})
        return stream.describe(pl.concat(batches) if batches else empty)


@contextmanager
def open_table(path: Path, options: ReadOptions = ReadOptions()) -> Iterator[TableStream]:
    """Open ``path`` for reading in batches; the header is checked on opening."""
    name = path.name
    if not path.is_file():
        raise FileRejected(name, "does not exist or is not a file", "check the file name and path")
    with path.open("rb") as fh:
        magic = fh.read(4)
    compressed = name.lower().endswith(".gz") or magic.startswith(_GZIP_MAGIC)
    inner = name[:-3] if name.lower().endswith(".gz") else name

    def open_stream() -> io.BufferedIOBase:
        return gzip.open(path, "rb") if compressed else path.open("rb")

    if compressed:
        try:
            with open_stream() as fh:
                magic = fh.read(4)
        except (OSError, EOFError) as exc:
            raise FileRejected(
                name,
                f"is not a readable gzip file ({exc})",
                "compress it again with gzip, or send it uncompressed",
            ) from exc
    suffix = Path(inner).suffix.lower()
    if magic.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise FileRejected(
            name,
            "is an old-format (.xls) or password-protected Excel file",
            "save it in Excel as an Excel Workbook (.xlsx) without a password, or export CSV UTF-8",
        )
    with tempfile.TemporaryDirectory(prefix="salesops-read-") as tmp:
        try:
            if magic.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
                source = _plain_copy(open_stream, Path(tmp) / "book.xlsx") if compressed else path
                stream = _open_xlsx(source, name, options)
            else:
                stream = _open_csv(open_stream, path, compressed, Path(tmp), options)
            stream.compressed = compressed
            if compressed:
                stream.notes.insert(0, "gzip-compressed")
            yield stream
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise FileRejected(
                name,
                f"is not a readable gzip file ({exc})",
                "compress it again with gzip, or send it uncompressed",
            ) from exc


def _plain_copy(open_stream: Callable[[], Any], target: Path) -> Path:
    with open_stream() as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, encodings.CHUNK)
    return target


# --------------------------------------------------------------------------- CSV


def _head_text(source: Path) -> tuple[str, bool]:
    """(start of the UTF-8 file as text, whether that is the whole file)."""
    with source.open("rb") as fh:
        data = fh.read(_HEAD_BYTES + 1)
    whole = len(data) <= _HEAD_BYTES
    text = data[:_HEAD_BYTES].decode("utf-8", errors="ignore" if not whole else "strict")
    return text.removeprefix("\ufeff"), whole


def _records(text: str, delimiter: str, whole: bool, limit: int = _HEAD_RECORDS) -> list[list[str]]:
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
        records = _records(text, delimiter, whole)
        widths = [len(r) for r in records if any(c.strip() for c in r)]
        multi = Counter(w for w in widths if w >= 2)
        score = multi.most_common(1)[0][1] if multi else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_csv(
    open_stream, path: Path, compressed: bool, tmp: Path, options: ReadOptions
) -> TableStream:
    name = path.name
    encoding, detected, encoding_note = encodings.resolve(open_stream, name, options.encoding)
    notes = [encoding_note]
    source = path
    if compressed or encoding not in ("utf-8", "utf-8-sig"):
        source = tmp / "utf8.csv"
        with source.open("wb") as out:
            encodings.transcode(open_stream, name, encoding, out)
    elif not (detected and encoding == "utf-8"):  # detection already checked every byte
        encodings.check_decodes(open_stream, name, encoding)
    text, whole = _head_text(source)

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
    head = _records(text, delimiter, whole, limit)
    header_row = _choose_header(name, head, options, notes, _csv_is_text, str)
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
            yield from _read_with_csv_module(
                name, source, delimiter, header_row, width, notes, skip=done, batch_rows=batch_rows
            )

    headers, cleaner = _cleaner(name, cells, width, options, notes, str)
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
        _cleaner=cleaner,
    )


def _read_with_csv_module(
    name: str,
    source: Path,
    delimiter: str,
    header_row: int,
    width: int,
    notes: list[str],
    *,
    skip: int = 0,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pl.DataFrame]:
    """Parse with Python's csv module: slower, but it names the row that is wrong.

    Starts after the first ``skip`` data records (those the fast reader already
    handed out). Rows with more cells than the header are rejected unless the
    extra cells are all empty (a trailing delimiter), which are then ignored.
    """
    columns: list[list[str | None]] = [[] for _ in range(width)]
    first_row = header_row + 1 + skip
    trailing = 0

    def batch() -> pl.DataFrame:
        frame = pl.DataFrame(
            {f"_c{i}": col for i, col in enumerate(columns)},
            schema={f"_c{i}": pl.String for i in range(width)},
        ).with_row_index(ROW_INDEX, offset=first_row)
        for col in columns:
            col.clear()
        return frame

    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        record = 0
        try:
            for record, row in enumerate(reader, start=1):
                if record <= header_row + skip:
                    continue
                if len(row) > width:
                    if any(cell.strip() for cell in row[width:]):
                        raise FileRejected(
                            name,
                            f"row {record} has {len(row)} cells but the header has {width} "
                            f"(first at cell {width + 1}: {row[width].strip()[:40]!r})",
                            f"quote fields that contain the delimiter {delimiter!r} "
                            '(e.g. "Smith, John"), or remove the extra cells, then re-export; '
                            f"if the column names are not on row {header_row}, "
                            "set header_row: in the profile",
                        )
                    trailing += 1
                for i in range(width):
                    columns[i].append(row[i] if i < len(row) else None)
                if len(columns[0]) >= batch_rows:
                    out = batch()
                    first_row += out.height
                    yield out
        except csv.Error as exc:
            raise FileRejected(
                name,
                f"cannot be parsed at row {record + 1} ({exc})",
                "enclose fields that contain quotes in quotes and double the inner quotes "
                '(e.g. "5"" screen"), then re-export',
            ) from exc
    if trailing:
        notes.append(f"{trailing} row(s) had empty cells beyond the last header column; ignored")
    if columns[0]:
        yield batch()


def _csv_is_text(value: str | None) -> bool:
    return bool(value and value.strip()) and not _LOOKS_NUMERIC.match(value.strip())


# -------------------------------------------------------------------------- XLSX


def _xlsx_is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _open_xlsx(source: Path, name: str, options: ReadOptions) -> TableStream:
    """Open a worksheet (read whole: a sheet holds at most about a million rows)."""
    title, titles, rows = xlsx.read_sheet(source, name, options.sheet)
    notes = []
    if len(titles) > 1:
        others = ", ".join(f"'{t}'" for t in titles if t != title)
        notes.append(f"sheet '{title}' of {len(titles)} (others: {others})")
    header_row = _choose_header(name, rows, options, notes, _xlsx_is_text, xlsx.cell_text)
    width = max([len(r) for r in rows[header_row - 1 :]] + [0])

    def batches(batch_rows: int) -> Iterator[pl.DataFrame]:
        for start in range(header_row, len(rows), batch_rows):
            data = rows[start : start + batch_rows]
            yield pl.DataFrame(
                {
                    f"_c{i}": [xlsx.cell_text(r[i]) if i < len(r) else None for r in data]
                    for i in range(width)
                },
                schema={f"_c{i}": pl.String for i in range(width)},
            ).with_row_index(ROW_INDEX, offset=start + 1)

    headers, cleaner = _cleaner(
        name, rows[header_row - 1], width, options, notes, xlsx.cell_text, xlsx.column_label
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
        _cleaner=cleaner,
    )


# ------------------------------------------------------------------ header + frame


def find_header(rows: Sequence[Sequence[Any]], is_text: Callable[[Any], bool]) -> int | None:
    """1-based row of the header among ``rows``, or None when every row is blank.

    The header is the first row within :data:`HEADER_SEARCH_ROWS` that

    * has at least two non-empty cells (one when the table is one column wide),
      all of them text, and at least half as many as the widest row nearby;
    * has no data to the right of its last cell in the (up to 5) rows below;
    * sits under a *title block*: every non-blank row above it has a single
      cell (a title, possibly merged across columns) or is separated from it
      by a blank row.

    When no row qualifies, the first non-blank row is the header.
    """
    window = [list(r) for r in rows[: HEADER_SEARCH_ROWS + 5]]
    filled = [[i for i, v in enumerate(r) if v is not None and str(v).strip()] for r in window]
    widest = max((len(f) for f in filled), default=0)
    if widest == 0:
        return None
    first = next(i for i, f in enumerate(filled) if f)
    for i in range(min(HEADER_SEARCH_ROWS, len(window))):
        cols = filled[i]
        if len(cols) < min(2, widest) or 2 * len(cols) < widest:
            continue
        if not all(is_text(window[i][c]) for c in cols):
            continue
        below = [f for f in filled[i + 1 :] if f][:5]
        if any(f[-1] > cols[-1] for f in below):
            continue
        touching = []  # non-blank rows directly above, up to the first blank row
        for f in reversed(filled[:i]):
            if not f:
                break
            touching.append(f)
        if all(len(f) == 1 for f in touching):
            return i + 1
        break  # multi-cell rows run into this one: no title block, take the first row
    return first + 1


def _choose_header(name, rows, options, notes, is_text, to_text) -> int:
    if options.header_row is not None:
        if options.header_row > len(rows):
            raise FileRejected(
                name,
                f"has no row {options.header_row} (header_row in the profile)",
                "set header_row: to the row that holds the column names",
            )
        return options.header_row
    found = find_header(rows, is_text)
    if found is None:
        raise FileRejected(
            name, "is empty (no header row found)", "export the data again with a header row"
        )
    if not any(is_text(v) for v in rows[found - 1]):
        raise FileRejected(
            name,
            f"has no header row (row {found}, the first non-blank row, holds no column names)",
            "export the data with a header row, or set header_row: in the profile",
        )
    span = "row 1" if found == 2 else f"rows 1-{found - 1}"
    above = [t.strip() for r in rows[: found - 1] for t in map(to_text, r) if t and t.strip()]
    if above:
        shown = ", ".join(repr(t[:40]) for t in above[:3]) + (", ..." if len(above) > 3 else "")
        notes.append(f"header found on row {found} under a title block ({span} ignored: {shown})")
    elif found > 1:
        notes.append(f"header found on row {found} ({span} {'is' if found == 2 else 'are'} blank)")
    return found


def header_name(text: str | None) -> str:
    """A header cell as a column name: trimmed, inner whitespace collapsed."""
    return " ".join((text or "").replace("\ufeff", "").split())


def _cleaner(
    name: str,
    header_cells: Sequence[Any],
    width: int,
    options: ReadOptions,
    notes: list[str],
    to_text: Callable[[Any], str | None],
    label: Callable[[int], str] = lambda i: str(i + 1),
) -> tuple[list[str], _Cleaner]:
    """Check the header; return the column names and the cleaner for the data rows."""
    names = [
        header_name(to_text(header_cells[i])) if i < len(header_cells) else "" for i in range(width)
    ]
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        if n:
            positions.setdefault(n.casefold(), []).append(i)
    dupes = [p for p in positions.values() if len(p) > 1]
    if dupes:
        listed = ", ".join(
            f"'{names[p[0]]}' (columns {', '.join(label(i) for i in p[:-1])} and {label(p[-1])})"
            for p in dupes
        )
        raise FileRejected(
            name,
            f"has the column(s) {listed} more than once (names are compared ignoring case)",
            "rename or remove the duplicate columns so each header name appears once",
        )
    if not any(names):
        raise FileRejected(
            name,
            "has no column names in its header row",
            "set header_row: in the profile to the row that holds the column names",
        )
    cleaner = _Cleaner(name, names, options, notes, label)
    return [n for n in names if n], cleaner


@dataclass
class _Cleaner:
    """Name the columns, null empty cells, drop blank rows and a trailing report footer."""

    name: str
    names: list[str]
    options: ReadOptions
    notes: list[str]
    label: Callable[[int], str]

    def run(self, raw: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        blank = [i for i, n in enumerate(self.names) if not n]
        keep = [i for i, n in enumerate(self.names) if n]
        data = [self.names[i] for i in keep]
        skipped = 0
        pending: pl.DataFrame | None = None  # the last rows, held back until the end is known
        for frame in raw:
            frame = self._clean(frame, blank, keep)
            before = frame.height
            if data:
                frame = frame.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in data))
            skipped += before - frame.height
            if pending is not None:
                frame = pl.concat([pending, frame])
            pending = frame.tail(_FOOTER_WINDOW)
            if frame.height > pending.height:
                yield frame.head(frame.height - pending.height)
        if blank:
            self.notes.append(
                f"{len(blank)} unnamed empty column(s) dropped "
                f"({', '.join(self.label(i) for i in blank)})"
            )
        if skipped:
            self.notes.append(f"{skipped} blank row(s) skipped")
        if pending is not None:
            pending = _drop_footer(pending, data, self.notes)
            if pending.height:
                yield pending

    def _clean(self, frame: pl.DataFrame, blank: list[int], keep: list[int]) -> pl.DataFrame:
        frame = normalise_text(frame)
        if self.options.null_values:
            frame = frame.with_columns(
                pl.when(pl.col(c).is_in(list(self.options.null_values)))
                .then(None)
                .otherwise(pl.col(c))
                .alias(c)
                for c in frame.columns
                if c != ROW_INDEX
            )
        holding = [i for i in blank if frame[f"_c{i}"].null_count() < frame.height]
        if holding:
            first = frame.filter(pl.any_horizontal(pl.col(f"_c{i}").is_not_null() for i in holding))
            raise FileRejected(
                self.name,
                f"has data under blank header cell(s) in column(s) "
                f"{', '.join(self.label(i) for i in holding)} "
                f"(first on row {first[ROW_INDEX][0]})",
                "give every column that holds data a header name, or delete the column; "
                "if the header is on another row, set header_row: in the profile",
            )
        return frame.select(
            pl.col(ROW_INDEX).cast(pl.Int64),
            *(pl.col(f"_c{i}").alias(self.names[i]) for i in keep),
        )


#: A footer needs a table at least this wide, so one-cell lines stand out from records.
_FOOTER_MIN_COLUMNS = 3


def _drop_footer(frame: pl.DataFrame, data: list[str], notes: list[str]) -> pl.DataFrame:
    """Drop report footer lines (copyright, "Confidential", "Generated by ...").

    A footer is a run of lines at the very end of the file, after a blank line,
    each with text in the first column only. Reports exported from CRMs add
    them; they are not records. Anything else at the end stays a row.
    """
    if len(data) < _FOOTER_MIN_COLUMNS or frame.height < 2:
        return frame
    tail = frame.tail(20)
    filled = tail.select(
        pl.sum_horizontal(pl.col(c).is_not_null().cast(pl.Int32) for c in data)
    ).to_series()
    first_only = tail[data[0]].is_not_null()
    rows = tail[ROW_INDEX].to_list()
    n = 0
    while n < tail.height - 1 and filled[-1 - n] == 1 and first_only[-1 - n]:
        n += 1
    if n == 0:
        return frame
    first_footer, last_record = rows[-n], rows[-n - 1]
    if first_footer - last_record < 2:  # no blank line between the records and the footer
        return frame
    footer = tail[data[0]].to_list()[-n:]
    notes.append(
        f"{n} footer line(s) after the data ignored (from row {first_footer}: "
        + "; ".join(repr(f[:40]) for f in footer[:3])
        + ")"
    )
    return frame.head(frame.height - n)
