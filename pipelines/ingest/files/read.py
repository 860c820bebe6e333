"""Read one export file (CSV or Excel) into an all-text frame, or reject it whole.

What :func:`read_table` accepts:

* CSV in UTF-8 (with or without byte-order mark), GB18030/GBK, Windows-1252,
  ISO-8859-1 or code page 850, or UTF-8 lines mixed with one of the Western
  ones (detected with a confidence unless the profile sets ``encoding``: see
  :mod:`.encodings`), separated
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
header names over data, or has mostly rows with more cells than the header (the
delimiter or the header row is not the file's; see :mod:`.strict_csv`). A few such
*ragged* rows (a field holding the delimiter without quotes) are handed out marked
(:data:`.table.RAGGED`), for the load to quarantine.

Large files stream: :func:`open_table` reads the header and how the file is
written, then hands out the rows in bounded batches (:meth:`TableStream.batches`),
so a file of any size is never held in memory whole. :func:`read_table` is the
same reader collecting every batch, for small files and tests.

Every file is read within limits (:class:`.table.ReadLimits`, the ``SALESOPS_MAX_*``
settings): its size, for a compressed file the size it expands to and its ratio, counted as
it streams, and its longest line; a file over one is refused (:class:`FileRejected` with the
reason of :mod:`pipelines.core.refusals`), alone. Temporary copies (a gzip file unpacked, a
file re-encoded) go to the folder :func:`temp_folder` names (the load's, under HOME), and
never eat the disk's last ``SALESOPS_MIN_FREE_MB``.

This module tells the formats apart (by name and first bytes) and unpacks gzip; the rest is
:mod:`.delimited` (CSV, with :mod:`.strict_csv` as its fallback) and :mod:`.xlsx`, both
finding the header with :mod:`.header` and cleaning the rows with :mod:`.clean`.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.core import refusals
from pipelines.core.errors import FileRejected
from pipelines.core.settings import Settings
from pipelines.ingest.files import encodings
from pipelines.ingest.files.delimited import open_csv
from pipelines.ingest.files.table import (
    LimitedReader,
    RawTable,
    ReadLimits,
    ReadOptions,
    RoomyWriter,
    TableStream,
)
from pipelines.ingest.files.xlsx import open_xlsx
from pipelines.ingest.values.parse import ROW_INDEX

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and password-protected workbooks
#: Detect everything (ReadOptions is frozen: one instance serves every call).
DEFAULT_OPTIONS = ReadOptions()
#: Where temporary copies go (None: the system's temporary folder, outside a load).
_TEMP_ROOT: ContextVar[Path | None] = ContextVar("salesops_read_temp", default=None)


@contextmanager
def temp_folder(folder: Path) -> Iterator[None]:
    """Files opened inside the block keep their temporary copies in ``folder``."""
    token = _TEMP_ROOT.set(folder)
    try:
        yield
    finally:
        _TEMP_ROOT.reset(token)


def read_table(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> RawTable:
    """Read ``path`` whole (CSV or XLSX, optionally gzip-compressed); see the module docstring."""
    with open_table(path, options) as stream:
        batches = list(stream.batches())
        empty = pl.DataFrame(schema={ROW_INDEX: pl.Int64, **{h: pl.String for h in stream.headers}})
        return stream.describe(pl.concat(batches, how="diagonal") if batches else empty)


@contextmanager
def open_table(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Iterator[TableStream]:
    """Open ``path`` for reading in batches; the header is checked on opening.

    A :class:`FileRejected` raised while the rows are read (here or by the caller, e.g. for a
    missing column) carries the file's data rows in ``rows`` when they can be counted."""
    name = path.name
    if not path.is_file():
        raise FileRejected(
            name,
            "does not exist or is not a file",
            "check the file name and path",
            reason=refusals.NOT_FOUND,
        )
    limits = options.limits or ReadLimits.from_settings(Settings())
    options = replace(options, limits=limits)
    size = path.stat().st_size
    limits.check_size(name, size)
    with path.open("rb") as fh:
        magic = fh.read(4)
    compressed = name.lower().endswith(".gz") or magic.startswith(_GZIP_MAGIC)
    inner = name[:-3] if name.lower().endswith(".gz") else name

    def open_stream(lines: bool = True) -> LimitedReader:
        if compressed:
            return LimitedReader(gzip.open(path, "rb"), name, limits, size, lines)
        return LimitedReader(path.open("rb"), name, limits, None, lines)

    if compressed:
        try:
            with open_stream() as fh:
                magic = fh.read(4)
        except (OSError, EOFError) as exc:
            raise _bad_gzip(name, exc) from exc
    suffix = Path(inner).suffix.lower()
    if magic.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise FileRejected(
            name,
            "is an old-format (.xls) or password-protected Excel file",
            "save it in Excel as an Excel Workbook (.xlsx) without a password, or export CSV UTF-8",
            reason=refusals.OLD_EXCEL,
        )
    with tempfile.TemporaryDirectory(prefix="salesops-read-", dir=_TEMP_ROOT.get()) as tmp:
        stream = None
        try:
            if magic.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
                source = path
                if compressed:
                    source = _plain_copy(
                        lambda: open_stream(lines=False), Path(tmp) / "book.xlsx", name, limits
                    )
                check_zip(source, name, limits, size)
                stream = open_xlsx(source, name, options)
            else:
                stream = open_csv(open_stream, path, compressed, Path(tmp), options)
            stream.compressed = compressed
            if compressed:
                stream.notes.insert(0, "gzip-compressed")
            yield stream
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise _bad_gzip(name, exc) from exc
        except FileRejected as exc:
            if exc.rows is None and exc.status == refusals.REJECTED and stream is not None:
                exc.rows = stream.count_rows()
            raise


def _bad_gzip(name: str, exc: BaseException) -> FileRejected:
    return FileRejected(
        name,
        f"is not a readable gzip file ({exc})",
        "compress it again with gzip, or send it uncompressed",
        reason=refusals.BAD_GZIP,
    )


def check_zip(source: Path, name: str, limits: ReadLimits, size: int) -> None:
    """Refuse a workbook (a zip) whose parts expand past the limits, before it is opened:
    the sizes its directory declares are the most Python's zip reader gives out."""
    try:
        with zipfile.ZipFile(source) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip after all: the workbook reader says what it is
    limits.check_expanded(name, sum(p.file_size for p in parts), size)
    for part in parts:
        limits.check_expanded(name, part.file_size, max(part.compress_size, 1))


def _plain_copy(
    open_stream: Callable[[], Any], target: Path, name: str, limits: ReadLimits
) -> Path:
    with open_stream() as src, target.open("wb") as out:
        shutil.copyfileobj(src, RoomyWriter(out, target.parent, name, limits), encodings.CHUNK)
    return target
