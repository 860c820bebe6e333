"""Why an export file is not loaded: the one catalogue of file-level reasons.

A file is *refused* when it is never read (an inbox entry that is no regular file in the
inbox, or a file over one of the limits of :mod:`pipelines.core.settings`), and *rejected*
when it was read and cannot be loaded as a whole (no header, a missing column, ...). Either
way nothing of it is loaded, the other files of the night load, and ``meta.load_files`` holds
its status and message. Row-level reasons (quarantine) are the rule catalogue's
(expectations/rules.yml).

Every :class:`~pipelines.core.errors.FileRejected` names one reason of :data:`CATALOGUE`
(``reason=``); docs/data-quality.md lists them all with their fix, generated from here by
``python -m pipelines.core.refusals`` (tests/ingest/test_refusals.py keeps both in step).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.paths import PROJECT_ROOT

#: The two statuses a file not loaded gets in ``meta.load_files``.
REFUSED = "refused"
REJECTED = "rejected"


@dataclass(frozen=True)
class Reason:
    code: str
    status: str  # REFUSED | REJECTED
    when: str  # what is wrong with the file, in plain words
    fix: str  # what a person does about it


CATALOGUE: dict[str, Reason] = {}


def _reason(code: str, status: str, when: str, fix: str) -> str:
    CATALOGUE[code] = Reason(code, status, when, fix)
    return code


# --- refused: never read ----------------------------------------------------------------
LINK_OUTSIDE_INBOX = _reason(
    "link_outside_inbox",
    REFUSED,
    "the inbox entry is a symbolic link to a file outside the inbox",
    "copy the file into the inbox instead of linking to it",
)
LINK_NOT_A_FILE = _reason(
    "link_not_a_file",
    REFUSED,
    "the inbox entry is a link to something that is not a regular file",
    "put the export file itself into the inbox",
)
NOT_A_REGULAR_FILE = _reason(
    "not_a_regular_file",
    REFUSED,
    "not a regular file (a folder, pipe or device) though named like an export",
    "put the export file itself into the inbox; unzip a folder's files into the inbox",
)
FILE_TOO_LARGE = _reason(
    "file_too_large",
    REFUSED,
    "the file is larger than SALESOPS_MAX_FILE_MB",
    "split the export (e.g. by date range), or raise SALESOPS_MAX_FILE_MB",
)
DECOMPRESSED_TOO_LARGE = _reason(
    "decompressed_too_large",
    REFUSED,
    "a compressed file (gzip, or an .xlsx workbook) expands to more than "
    "SALESOPS_MAX_DECOMPRESSED_MB",
    "split the export, or raise SALESOPS_MAX_DECOMPRESSED_MB if the file is genuine",
)
DECOMPRESSION_RATIO = _reason(
    "decompression_ratio",
    REFUSED,
    "a compressed file expands more than SALESOPS_MAX_DECOMPRESSION_RATIO times its size "
    "(a decompression bomb, or a file of mostly repeated bytes)",
    "check where the file came from; if it is genuine, send it uncompressed or raise "
    "SALESOPS_MAX_DECOMPRESSION_RATIO",
)
LINE_TOO_LONG = _reason(
    "line_too_long",
    REFUSED,
    "a line (or cell) is longer than SALESOPS_MAX_LINE_KB",
    "check the export (a binary or one-line file, a runaway quote); if long texts are "
    "genuine, raise SALESOPS_MAX_LINE_KB",
)
NO_ROOM_FOR_FILE = _reason(
    "no_room_for_file",
    REFUSED,
    "the disk holding HOME has no room to unpack or re-encode the file",
    "free disk space on the disk holding HOME, or move HOME to a bigger disk",
)
OUT_OF_MEMORY = _reason(
    "out_of_memory",
    REFUSED,
    "settling the file's rows in DuckDB needs more memory than SALESOPS_DUCKDB_MEMORY_LIMIT",
    "raise SALESOPS_DUCKDB_MEMORY_LIMIT (the machine's memory allowing), or split the export",
)
# --- rejected: read, and not loadable as a whole -------------------------------------------
NOT_FOUND = _reason(
    "not_found", REJECTED, "the file does not exist or is not a file", "check the file name"
)
BAD_GZIP = _reason(
    "bad_gzip",
    REJECTED,
    "the file is named or starts like gzip but cannot be decompressed",
    "compress it again with gzip, or send it uncompressed",
)
OLD_EXCEL = _reason(
    "old_excel",
    REJECTED,
    "an old-format (.xls) or password-protected Excel file",
    "save it in Excel as an Excel Workbook (.xlsx) without a password, or export CSV UTF-8",
)
BAD_XLSX = _reason(
    "bad_xlsx",
    REJECTED,
    "the workbook cannot be opened, has no worksheets or not the sheet the profile names",
    "save it again in Excel as .xlsx, or set sheet: in the profile to an existing sheet",
)
BINARY = _reason(
    "binary",
    REJECTED,
    "the file holds binary data (NUL bytes), so it is no text export",
    "re-export the file as CSV UTF-8 (comma-separated) with one header row",
)
UNKNOWN_ENCODING = _reason(
    "unknown_encoding",
    REJECTED,
    "the profile's encoding: is a name Python does not know",
    "set encoding: to one of utf-8, gb18030, cp1252, latin-1, cp850 in the profile",
)
BAD_ENCODING = _reason(
    "bad_encoding",
    REJECTED,
    "the bytes are not valid text in the file's encoding (set, or detected)",
    "re-export the file as UTF-8, or set encoding: in the profile to the one it was saved in",
)
BAD_QUOTES = _reason(
    "bad_quotes",
    REJECTED,
    "a record cannot be parsed (an unbalanced quote)",
    "quote fields that contain quotes and double the inner quotes, or re-export the file",
)
MOSTLY_RAGGED = _reason(
    "mostly_ragged",
    REJECTED,
    "most rows have more cells than the header: the delimiter or the header row is not the file's",
    "set delimiter: (or header_row:) in the profile to the file's own",
)
NO_HEADER = _reason(
    "no_header",
    REJECTED,
    "the file is empty, or has no header row (its first row holds data, not column names)",
    "export the data with a header row, or set header_row: in the profile",
)
BAD_HEADER = _reason(
    "bad_header",
    REJECTED,
    "the header names a column twice, has no names, or data stands under a blank header cell",
    "give each column one unique header name",
)
MISSING_COLUMN = _reason(
    "missing_column",
    REJECTED,
    "a required column (or a column a lookup reads) is not among the headers; the message "
    "names a close match, another delimiter that would split the header, or a header-less "
    "file",
    "export the column, map it in the profile to the header the file uses, or set the "
    "profile's delimiter: when the message names one",
)
TOO_MANY_COLUMNS = _reason(
    "too_many_columns",
    REJECTED,
    "an unpivot matches more columns than it reads as rows",
    "narrow the unpivot's headers pattern in the profile",
)
MIXED_FORMATS = _reason(
    "mixed_formats",
    REJECTED,
    "files read as one export write dates, times or decimals differently",
    "give the files the same timezone, date_order, date_formats and decimal_mark",
)

#: Where the catalogue is written in docs/data-quality.md.
DOC_PATH = PROJECT_ROOT / "docs" / "data-quality.md"
_PART = re.compile(r"(<!-- refusals: [^>]*-->\n)(?P<body>.*?)(<!-- end refusals -->)", re.S)


def status_of(code: str) -> str:
    return CATALOGUE[code].status


def doc_table() -> str:
    lines = ["| reason | status | when | fix |", "|---|---|---|---|"]
    for r in CATALOGUE.values():
        cells = (f"`{r.code}`", r.status, r.when, r.fix)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render(doc: str) -> str:
    """``doc`` with its refusals part regenerated (ValueError when the markers are missing)."""
    if not _PART.search(doc):
        raise ValueError("docs/data-quality.md has no <!-- refusals: ... --> part")
    return _PART.sub(lambda m: m.group(1) + doc_table() + m.group(3), doc, count=1)


def main(path: Path = DOC_PATH) -> int:
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the refusal reasons to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
