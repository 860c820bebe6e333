"""The strict CSV parser: Python's csv module, for files polars' fast reader cannot read.

Slower, but it sees each record whole. A row with more cells than the header (a field
holding the delimiter without quotes, e.g. ``Rua do Paço, 67``) is handed out marked
:data:`~.table.RAGGED`, with its cell count and the record as written, for the load to
quarantine; its extra cells are not read into any column. Extra cells that are all empty (a
trailing delimiter) are ignored. When most rows are ragged the header does not describe the
rows (the delimiter is not the file's, or the header is on another row): the file is rejected
(:data:`RAGGED_REJECT_SHARE`). A quote that does not close rejects the file with its record
number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import polars as pl

from pipelines.core import refusals
from pipelines.core.errors import FileRejected
from pipelines.ingest.files.table import BATCH_ROWS, RAGGED, RAGGED_DTYPE, RAGGED_RECORD_CHARS
from pipelines.ingest.values.parse import ROW_INDEX

#: A file is rejected, not loaded with its ragged rows quarantined, when more than this share
#: of its data rows have more cells than the header, and at least RAGGED_REJECT_MIN_ROWS do.
#: (One row cannot show that the header is wrong; two rows that both disagree with it can.)
RAGGED_REJECT_SHARE = 0.5
RAGGED_REJECT_MIN_ROWS = 2


class _Recorded:
    """The lines of a file, remembering those the csv reader takes for its current record."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self._lines: list[str] = []

    def __iter__(self) -> _Recorded:
        return self

    def __next__(self) -> str:
        line = next(self._fh)
        self._lines.append(line)
        return line

    def take(self) -> str:
        """The current record as written (without its line break); the next one starts."""
        text = "".join(self._lines)
        self._lines.clear()
        return text.rstrip("\r\n")


def read_with_csv_module(
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
    """Parse with Python's csv module, from the record after the first ``skip`` data records
    (those the fast reader already handed out); see the module docstring."""
    columns: list[list[str | None]] = [[] for _ in range(width)]
    ragged: list[dict | None] = []
    first_row = header_row + 1 + skip
    trailing = ragged_rows = 0
    first_ragged: tuple[int, int] = (0, 0)  # (row, cells)
    data_rows = skip

    def batch() -> pl.DataFrame:
        frame = pl.DataFrame(
            {f"_c{i}": col for i, col in enumerate(columns)},
            schema={f"_c{i}": pl.String for i in range(width)},
        ).with_row_index(ROW_INDEX, offset=first_row)
        if any(r is not None for r in ragged):
            frame = frame.with_columns(pl.Series(RAGGED, ragged, dtype=RAGGED_DTYPE))
        for col in columns:
            col.clear()
        ragged.clear()
        return frame

    with source.open(encoding="utf-8-sig", newline="") as fh:
        lines = _Recorded(fh)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        record = 0
        try:
            for record, row in enumerate(reader, start=1):
                written = lines.take()
                if record <= header_row + skip:
                    continue
                data_rows += any(cell.strip() for cell in row)
                marker = None
                if len(row) > width:
                    if any(cell.strip() for cell in row[width:]):
                        ragged_rows += 1
                        first_ragged = first_ragged if first_ragged[0] else (record, len(row))
                        marker = {
                            "cells": len(row),
                            "header_cells": width,
                            "record": written[:RAGGED_RECORD_CHARS],
                        }
                    else:
                        trailing += 1
                for i in range(width):
                    columns[i].append(row[i] if i < len(row) else None)
                ragged.append(marker)
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
                reason=refusals.BAD_QUOTES,
            ) from exc
    if columns[0]:
        yield batch()
    if ragged_rows >= RAGGED_REJECT_MIN_ROWS and ragged_rows > RAGGED_REJECT_SHARE * data_rows:
        row, cells = first_ragged
        raise FileRejected(
            name,
            f"has {ragged_rows:,} of {data_rows:,} rows with more cells than the header when "
            f"split at the delimiter {delimiter!r} (first: row {row} has {cells} cells but the "
            f"header has {width}): the delimiter or the header row is not the file's",
            "set delimiter: in the profile to the character that separates the columns; "
            f"if the column names are not on row {header_row}, set header_row: in the profile; "
            f"if {delimiter!r} is right, quote the values that contain it, then re-export",
            reason=refusals.MOSTLY_RAGGED,
            rows=data_rows,
        )
    if trailing:
        notes.append(f"{trailing} row(s) had empty cells beyond the last header column; ignored")
    if ragged_rows:
        notes.append(
            f"{ragged_rows:,} row(s) with more cells than the header's {width} (a field "
            f"holding the delimiter {delimiter!r} without quotes?): kept whole, marked ragged"
        )
