"""Where a file's header is, and the column names it gives.

Above the header there may be a title block (report name, export date, blank rows): unless
the profile sets ``header_row`` the header is found and the rows above it ignored
(:func:`find_header`). A header with a name twice, or no names, rejects the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pipelines.core.errors import FileRejected
from pipelines.ingest.files.table import ReadOptions

#: The header is looked for within this many rows.
HEADER_SEARCH_ROWS = 30


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
        )
    if not any(names):
        raise FileRejected(
            name,
            "has no column names in its header row",
            "set header_row: in the profile to the row that holds the column names",
        )
    return names
