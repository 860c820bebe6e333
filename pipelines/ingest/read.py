"""Read one export file into an all-text frame, or reject it whole."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.contract import Entity
from pipelines.errors import FileRejected
from pipelines.ingest.parse import ROW_INDEX, normalise_text

#: Row number of the first data row as a spreadsheet shows it (header = row 1).
FIRST_DATA_ROW = 2


def read_export(path: Path, entity: Entity) -> tuple[pl.DataFrame, list[str]]:
    """Return (text frame, extra column names).

    The frame holds ``_row_index`` (the row number a spreadsheet shows), every
    contract column (null when an optional column is absent) and then any
    extra columns the export carried, so a rejected row can be kept whole.

    The header is matched case-insensitively after trimming. A file that is
    not UTF-8, not a table, or lacks a required column raises
    :class:`FileRejected` naming the file, the problem and the fix.
    """
    name = path.name
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=False)
    except pl.exceptions.ComputeError as exc:
        detail = str(exc).splitlines()[0]
        if "utf-8" in detail.lower() or "utf8" in detail.lower():
            raise FileRejected(
                name,
                "is not valid UTF-8 text",
                "export the file as UTF-8 CSV (other encodings need a mapping profile)",
            ) from exc
        raise FileRejected(
            name,
            f"cannot be read as a CSV table ({detail})",
            "check the file is a comma-separated export with one header row and "
            "quoted fields where values contain commas or line breaks",
        ) from exc

    headers = [h.strip().lower() for h in raw.columns]
    dupes = sorted({h for h in headers if headers.count(h) > 1})
    if dupes:
        raise FileRejected(
            name,
            f"has the column(s) {', '.join(dupes)} more than once",
            "remove the duplicate header so each column appears once",
        )
    raw.columns = headers
    missing = [c for c in entity.required_columns if c not in headers]
    if missing:
        expected = ", ".join(entity.column_names)
        raise FileRejected(
            name,
            f"lacks the required column(s) {', '.join(missing)} "
            f"(header found: {', '.join(headers) or 'none'})",
            f"export {entity.name} with the columns: {expected}",
        )
    extra = [h for h in headers if h not in entity.column_names]
    frame = raw.select(
        [
            pl.col(c) if c in headers else pl.lit(None, dtype=pl.String).alias(c)
            for c in entity.column_names
        ]
        + [pl.col(c) for c in extra]
    ).with_row_index(ROW_INDEX, offset=FIRST_DATA_ROW)
    frame = frame.with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    return normalise_text(frame), extra
