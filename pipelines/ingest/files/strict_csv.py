"""The strict CSV parser: Python's csv module, for files polars' fast reader cannot read.

Slower, but it names the record that is wrong: a row with more cells than the header, or a
quote that does not close, rejects the file with its record number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.core.errors import FileRejected
from pipelines.ingest.files.table import BATCH_ROWS
from pipelines.ingest.values.parse import ROW_INDEX


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
