"""Where a file's header is, and the column names it gives.

Above the header there may be a title block (report name, export date, blank rows): unless
the profile sets ``header_row`` the header is found and the rows above it ignored
(:func:`find_header`). A header with a name twice, or no names, rejects the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Any

from pipelines.core import refusals
from pipelines.core.errors import FileRejected
from pipelines.ingest.files.table import ReadOptions

#: The header is looked for within this many rows.
HEADER_SEARCH_ROWS = 30
#: A header is offered as the fix for a missing column only when it is this close to the
#: name wanted (difflib ratio of the names lower-cased without spaces and punctuation).
CLOSE_MATCH = 0.8
#: Delimiters a header may turn out to be written with (the reader's candidates).
_DELIMITERS = (",", ";", "\t", "|")
#: A cell that reads as a value, not a column name: a number, an amount, a percentage, a
#: date or time, an e-mail address.
_VALUE_LIKE = re.compile(
    r"^[-+(]?[\d.,' ]*\d[\d.,' ]*%?\)?$"
    r"|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$"
    r"|^[^@\s]+@[^@\s]+\.\w+$"
    r"|^[A-Za-z]{0,4}[-_]?\d+$"  # an id or code: R1, A-1001, 000123
)


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


def choose_header(
    name: str,
    rows: Sequence[Sequence[Any]],
    options: ReadOptions,
    notes: list[str],
    is_text: Callable[[Any], bool],
    to_text: Callable[[Any], str | None],
) -> int:
    """The 1-based header row: the profile's ``header_row``, else :func:`find_header`'s."""
    if options.header_row is not None:
        if options.header_row > len(rows):
            raise FileRejected(
                name,
                f"has no row {options.header_row} (header_row in the profile)",
                "set header_row: to the row that holds the column names",
                reason=refusals.NO_HEADER,
            )
        return options.header_row
    found = find_header(rows, is_text)
    if found is None:
        raise FileRejected(
            name,
            "is empty (no header row found)",
            "export the data again with a header row",
            reason=refusals.NO_HEADER,
        )
    if not any(is_text(v) for v in rows[found - 1]):
        raise FileRejected(
            name,
            f"has no header row (row {found}, the first non-blank row, holds no column names)",
            "export the data with a header row, or set header_row: in the profile",
            reason=refusals.NO_HEADER,
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


def column_names(
    name: str,
    header_cells: Sequence[Any],
    width: int,
    to_text: Callable[[Any], str | None],
    label: Callable[[int], str],
) -> list[str]:
    """The name of each of ``width`` columns ("" under a blank header cell); a header with
    a name twice (ignoring case) or no name at all rejects the file."""
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
            reason=refusals.BAD_HEADER,
        )
    if not any(names):
        raise FileRejected(
            name,
            "has no column names in its header row",
            "set header_row: in the profile to the row that holds the column names",
            reason=refusals.BAD_HEADER,
        )
    return names


def _key(text: str) -> str:
    """A name for comparing: lower case, without spaces, underscores and punctuation."""
    return re.sub(r"[\W_]+", "", text.casefold())


def close_header(wanted: Sequence[str], headers: Sequence[str]) -> str | None:
    """The header that is plainly the column ``wanted`` names (equal once normalised, or
    at least :data:`CLOSE_MATCH` alike); None when no header is (an unrelated one is never
    offered)."""
    for w in wanted:
        for h in headers:
            if h and _key(h) == _key(w):
                return h
    scored = [
        (difflib.SequenceMatcher(None, _key(w), _key(h)).ratio(), h)
        for w in wanted
        for h in headers
        if h and _key(w)
    ]
    best = max(scored, default=None)
    return best[1] if best and best[0] >= CLOSE_MATCH else None


def other_delimiter(headers: Sequence[str], names: Sequence[str], used: str | None) -> str | None:
    """The delimiter the header is written with, when it is not ``used``: a header read as
    fewer cells whose cells split at it into the column names ``names`` wanted."""
    wanted = {_key(n) for n in names}
    for d in _DELIMITERS:
        if d == used:
            continue
        parts = [_key(p) for h in headers for p in h.split(d)]
        if len(parts) > len(headers) and wanted & set(parts):
            return d
    return None


def looks_headerless(headers: Sequence[str]) -> bool:
    """The "header" reads as a data row: at least half of its cells are values (numbers,
    amounts, dates, e-mail addresses)."""
    cells = [h for h in headers if h]
    return bool(cells) and 2 * sum(bool(_VALUE_LIKE.match(h)) for h in cells) >= len(cells)


def delimiter_name(d: str) -> str:
    return "TAB" if d == "\t" else repr(d)


def missing_column_hint(
    headers: Sequence[str], wanted: Sequence[str], names: Sequence[str], used: str | None
) -> tuple[str, str | None, str | None]:
    """(hint, close header, other delimiter) for a column ``wanted`` (its header names) that
    the ``headers`` lack: the file's header written with another delimiter than ``used``
    (``names``: every column name the file should have), a file without a header row, or a
    header close to the name; else only the headers found."""
    found = f"headers found: {', '.join(repr(h) for h in headers) or 'none'}"
    d = other_delimiter(headers, [*wanted, *names], used)
    if d is not None:
        return (
            f"the header splits into the column names at {delimiter_name(d)}: the file is "
            f"{delimiter_name(d)}-delimited"
            + (f", not {delimiter_name(used)}-delimited" if used else "")
            + f"; {found}",
            None,
            d,
        )
    if looks_headerless(headers):
        return (
            "the file has no header row: its first row holds data "
            f"({', '.join(repr(h) for h in headers[:6])}), not column names",
            None,
            None,
        )
    close = close_header(wanted, headers)
    if close is not None:
        return f"closest header found: {close!r}; {found}", close, None
    return f"no similar header found; {found}", None, None
