"""What reading a file gives: how to read it (:class:`ReadOptions`), the rows batch by batch
(:class:`TableStream`) and, read whole, the table (:class:`RawTable`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

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
