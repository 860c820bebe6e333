"""What reading a file gives: how to read it (:class:`ReadOptions`), the rows batch by batch
(:class:`TableStream`) and, read whole, the table (:class:`RawTable`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

from pipelines.core import refusals
from pipelines.core.errors import FileRejected

#: Row number of the first data row when the header is on row 1.
FIRST_DATA_ROW = 2
#: Rows per batch handed out by :meth:`TableStream.batches` unless asked otherwise.
BATCH_ROWS = 200_000
#: The column marking a *ragged* row of a CSV file: one with more cells than the header
#: (a field holding the delimiter without quotes). A struct ``{cells, header_cells, record}``:
#: how many cells the row and the header have, and the record as written (its first
#: ``RAGGED_RECORD_CHARS`` characters); null on every other row. Present only in the
#: batches that hold such a row; the row's columns hold its first cells, one per header
#: column.
RAGGED = "_ragged"
RAGGED_DTYPE = pl.Struct({"cells": pl.Int32, "header_cells": pl.Int32, "record": pl.String})
RAGGED_RECORD_CHARS = 2_000


MIB = 1 << 20
#: A compressed file expanding to less than this is never refused for its ratio.
RATIO_FLOOR = MIB
#: Free space checked every this many bytes written to a temporary copy.
_ROOM_STEP = 64 * MIB


@dataclass(frozen=True)
class ReadLimits:
    """The limits one file is read within (the ``SALESOPS_MAX_*`` settings), in bytes."""

    max_file: int
    max_decompressed: int
    max_ratio: int
    max_line: int
    #: Free space kept on the disk of the temporary copies (``SALESOPS_MIN_FREE_MB``).
    min_free: int

    @classmethod
    def from_settings(cls, settings) -> ReadLimits:
        return cls(
            max_file=settings.max_file_mb * MIB,
            max_decompressed=settings.max_decompressed_mb * MIB,
            max_ratio=settings.max_decompression_ratio,
            max_line=settings.max_line_kb * 1024,
            min_free=settings.min_free_mb * MIB,
        )

    def check_size(self, name: str, size: int) -> None:
        if size > self.max_file:
            raise FileRejected(
                name,
                f"is {_size(size)}, over the limit of {_size(self.max_file)} "
                f"(SALESOPS_MAX_FILE_MB={self.max_file // MIB}); not read",
                "split the export (e.g. by date range), or raise SALESOPS_MAX_FILE_MB",
                reason=refusals.FILE_TOO_LARGE,
                size=size,
            )

    def check_expanded(self, name: str, expanded: int, compressed: int) -> None:
        """A compressed file of ``compressed`` bytes has given ``expanded`` bytes so far."""
        if expanded > self.max_decompressed:
            raise FileRejected(
                name,
                f"expands to more than {_size(self.max_decompressed)} "
                f"(SALESOPS_MAX_DECOMPRESSED_MB={self.max_decompressed // MIB}; the compressed "
                f"file is {_size(compressed)}); not read further",
                "split the export, or raise SALESOPS_MAX_DECOMPRESSED_MB if the file is genuine",
                reason=refusals.DECOMPRESSED_TOO_LARGE,
                size=compressed,
            )
        if expanded > RATIO_FLOOR and expanded > self.max_ratio * compressed:
            raise FileRejected(
                name,
                f"expands more than {self.max_ratio} times its size "
                f"(SALESOPS_MAX_DECOMPRESSION_RATIO={self.max_ratio}: {_size(compressed)} "
                f"gave over {_size(expanded)}), like a decompression bomb; not read further",
                "check where the file came from; if it is genuine, send it uncompressed or "
                "raise SALESOPS_MAX_DECOMPRESSION_RATIO",
                reason=refusals.DECOMPRESSION_RATIO,
                size=compressed,
            )

    def check_line(self, name: str, line_no: int, length: int) -> None:
        if length > self.max_line:
            raise FileRejected(
                name,
                f"has a line of more than {_size(self.max_line)} (line {line_no:,}; "
                f"SALESOPS_MAX_LINE_KB={self.max_line // 1024}); not read",
                "check the export (a binary or one-line file, an unclosed quote); if such long "
                "texts are genuine, raise SALESOPS_MAX_LINE_KB",
                reason=refusals.LINE_TOO_LONG,
            )


def _size(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:,.1f} MiB ({n:,} bytes)"
    return f"{n:,} bytes"


class LimitedReader:
    """A byte stream read within :class:`ReadLimits`: the bytes it gave are counted as they
    come (a compressed stream's against the largest expanded size and ratio), and, when
    ``lines``, the longest line (LF or CR ends one) against the longest line allowed. Going
    over a limit raises :class:`FileRejected` at once, so no pass over a hostile file reads
    more than the limit."""

    def __init__(
        self,
        raw: BinaryIO,
        name: str,
        limits: ReadLimits,
        compressed_size: int | None = None,
        lines: bool = True,
    ):
        self._raw = raw
        self._name = name
        self._limits = limits
        self._compressed = compressed_size
        self._lines = lines
        self.given = 0
        self._run = 0  # bytes of the line that is open at the end of what was given
        self._line_no = 1
        self._lf = False  # LF seen: lines end with LF (else with CR)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(MIB):
                parts.append(chunk)
            return b"".join(parts)
        data = self._raw.read(n)
        self.given += len(data)
        if self._compressed is not None:
            self._limits.check_expanded(self._name, self.given, self._compressed)
        if self._lines and data:
            self._track_lines(data)
        return data

    def _track_lines(self, data: bytes) -> None:
        first_end = _first_line_end(data)
        if first_end < 0:  # no line ends here: the open line goes on
            self._run += len(data)
            self._limits.check_line(self._name, self._line_no, self._run)
            return
        last_end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if last_end - first_end - 1 > self._limits.max_line:
            # Lines between the first and the last line end could be too long: look at each.
            self._track_each_line(data)
            return
        # Every line that starts and ends in ``data`` is shorter than the stretch between
        # its first and last line end, which is within the limit: no need to split them.
        first = self._run + first_end
        if first > self._limits.max_line:
            self._limits.check_line(self._name, self._line_no, first)
        self._line_no = self._line_at(data, len(data))
        self._run = len(data) - last_end - 1
        self._limits.check_line(self._name, self._line_no, self._run)

    def _track_each_line(self, data: bytes) -> None:
        pieces = data.replace(b"\r", b"\n").split(b"\n")
        first = self._run + len(pieces[0])
        if first > self._limits.max_line:
            self._limits.check_line(self._name, self._line_no, first)
        if len(pieces) > 1:
            longest = max(pieces[1:-1], key=len, default=b"")
            if len(longest) > self._limits.max_line:
                at = sum(len(p) + 1 for p in pieces[: pieces.index(longest, 1)])
                self._limits.check_line(self._name, self._line_at(data, at), len(longest))
            self._line_no = self._line_at(data, len(data))
            self._run = len(pieces[-1])
        else:
            self._run = first
        self._limits.check_line(self._name, self._line_no, self._run)

    def _line_at(self, data: bytes, at: int) -> int:
        """The line number at offset ``at`` of ``data`` (LF ends a line; CR where no LF)."""
        self._lf = self._lf or b"\n" in data
        return self._line_no + data.count(b"\n" if self._lf else b"\r", 0, at)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> LimitedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line_end(data: bytes) -> int:
    """Offset of the first LF or CR in ``data``; -1 when there is none."""
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(ends, default=-1)


class RoomyWriter:
    """A temporary copy written under HOME: it refuses the file (:class:`FileRejected`)
    before the disk's free space falls under ``SALESOPS_MIN_FREE_MB``."""

    def __init__(self, out: BinaryIO, folder: Path, name: str, limits: ReadLimits):
        self._out = out
        self._folder = folder
        self._name = name
        self._limits = limits
        self._since_check = _ROOM_STEP  # check before the first write

    def write(self, data: bytes) -> int:
        self._since_check += len(data)
        if self._since_check >= _ROOM_STEP:
            self._since_check = 0
            free = shutil.disk_usage(self._folder).free
            if free - _ROOM_STEP < self._limits.min_free:
                raise FileRejected(
                    self._name,
                    f"cannot be unpacked or re-encoded in {self._folder}: "
                    f"{_size(free)} free, and SALESOPS_MIN_FREE_MB="
                    f"{self._limits.min_free // MIB} must stay free; not read",
                    "free disk space on the disk holding HOME, or move HOME to a bigger disk",
                    reason=refusals.NO_ROOM_FOR_FILE,
                )
        return self._out.write(data)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; ``None`` means detect it.

    ``encoding``: e.g. ``"utf-8"``, ``"gb18030"``, ``"cp1252"``, ``"latin-1"``, ``"cp850"``.
    ``delimiter``: one of ``,`` ``;`` TAB ``|``. ``sheet``: worksheet name (XLSX).
    ``header_row``: 1-based row of the header. ``null_values``: cell texts that
    mean "empty", compared after trimming, case-sensitive.
    """

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    null_values: tuple[str, ...] = ()
    #: None: the settings' limits (SALESOPS_MAX_*), read when the file is opened.
    limits: ReadLimits | None = None

    def __post_init__(self) -> None:
        if self.header_row is not None and self.header_row < 1:
            raise ValueError(f"header_row must be 1 or more, not {self.header_row}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, not {self.delimiter!r}")


@dataclass
class RawTable:
    """One file read as text, and how it was read (for the load report)."""

    frame: pl.DataFrame  # "_row_index" (Int64), one String column per header cell[, RAGGED]
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
    _clean: Callable[[Iterator[pl.DataFrame]], Iterator[pl.DataFrame]] = field(repr=False)

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
        """The data rows (``_row_index`` + one String column per header), ``rows`` at a time;
        a batch holding a ragged row also has the :data:`RAGGED` column.

        Raises :class:`FileRejected` at the batch where the file turns out bad.
        """
        yield from self._clean(self._rows(rows))

    def count_rows(self) -> int | None:
        """The file's non-blank data rows, counted for the accounting of a file rejected after
        it was opened (None when they cannot be read)."""
        total = 0
        try:
            for batch in self._rows(BATCH_ROWS):
                cells = [c for c in batch.columns if c.startswith("_c")]
                if not cells:
                    total += batch.height
                    continue
                filled = pl.any_horizontal(
                    pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in cells
                )
                total += batch.filter(filled).height
        except FileRejected as exc:
            return exc.rows
        except Exception:  # noqa: BLE001 - a count is a courtesy; never hide the rejection
            return None
        return total

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
