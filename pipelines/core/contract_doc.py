"""Render docs/data-contract.md from pipelines/core/contract.py.

Run ``python -m pipelines.core.contract_doc``.
"""

from __future__ import annotations

from pipelines.core.contract import DUCKDB_TYPES, ENTITIES
from pipelines.core.paths import PROJECT_ROOT

DOC_PATH = PROJECT_ROOT / "docs" / "data-contract.md"

INTRO = """# The canonical export contract

<!-- Generated from pipelines/core/contract.py by `python -m pipelines.core.contract_doc`;
do not edit. -->

One CSV file per entity, named `<entity>.csv`, UTF-8, one header row (names
matched case-insensitively), `,` separated, fields quoted where they contain
commas, quotes or line breaks. Empty cells are nulls. This is what the
`canonical` mapping profile reads; exports in any other shape (other names,
headers, encodings, XLSX, date and number formats, vocabularies) are read
through a mapping profile, see [profiles.md](profiles.md).

Types: `id` and `text` are kept as given (trimmed); `date` is a calendar date,
`YYYY-MM-DD`, also written with a midnight time (`2023-05-11 00:00:00`,
`2023-05-11T00:00:00.000`, `2023-05-11T00:00:00Z`): the date as written, never
moved by a timezone (a timestamp with another time of day gives its date in the
business timezone); `timestamp` is `YYYY-MM-DD HH:MM[:SS[.fff]]` (also with
`T`), with an optional zone (`+08:00`, `Z`); without a zone it is local time in
the business timezone (`SALESOPS_BUSINESS_TIMEZONE`, default Asia/Shanghai): a
local time the clocks skip (daylight-saving gap) is moved forward by the gap
(as Python's zoneinfo reads it), one they repeat is the first (earlier)
occurrence, and either is flagged (`nonexistent_local_time`,
`ambiguous_local_time`); `decimal` is a plain
number with `.` as decimal point and at most 6 decimal places (money is exact,
never floating point); `rate` (fx rates) likewise with up to 18 decimal places:
a rate keeps every digit the source gives (`0.000222222222222`); `int` a whole
number; `bool` true/false, yes/no, y/n, 1/0. Columns listed with an allowed set
accept those values in any case.

How a load treats rows: a later export of a record (same key) supersedes the
earlier one and every version is kept in `raw.<entity>`; the same file twice
changes nothing; every row ends loaded or quarantined with its reason (see
[data-quality.md](data-quality.md)); a row whose reference does not exist yet
is parked and released when the referenced record arrives; a file that
cannot be read (undecodable text, not a table, a required column missing) is
rejected whole with a message naming the file, the problem and the fix.
"""


def render() -> str:
    parts = [INTRO]
    for e in ENTITIES:
        title = f"## {e.name}" + (" (optional)" if e.optional else "")
        parts.append(title + "\n")
        parts.append(
            f"{e.description} Key: `{', '.join(e.key)}`."
            + (f" Owner (alerts go to): `{e.owner_column}`." if e.owner_column else "")
        )
        parts.append("")
        parts.append("| column | type | required | allowed values | references |")
        parts.append("|---|---|---|---|---|")
        refs = {r.column: r.entity for r in e.references}
        for c in e.columns:
            required = "yes" if c.required else "no"
            if c.flag_if_empty:
                unless = (
                    f" unless `{c.flag_unless[0]}` is {' / '.join(c.flag_unless[1])}"
                    if c.flag_unless
                    else ""
                )
                required += f" (empty: flagged `{c.flag_if_empty}`{unless})"
            parts.append(
                f"| `{c.name}` | {c.type} (`{DUCKDB_TYPES[c.type]}`) | "
                f"{required} | "
                f"{', '.join(c.allowed) if c.allowed else ''}"
                f"{f' (other: flagged `{c.flag_if_not_allowed}`)' if c.flag_if_not_allowed else ''}"
                f" | {refs.get(c.name, '')} |"
            )
        rules = []
        if e.non_negative:
            rules.append("not negative: " + ", ".join(f"`{c}`" for c in e.non_negative))
        if e.ordered_pairs:
            rules.append(
                "; ".join(f"`{b}` not dated before `{a}`" for a, b in e.ordered_pairs)
                + " (calendar dates in the business timezone; flagged, the row is loaded)"
            )
        if rules:
            parts.append("\nAlso checked: " + "; ".join(rules) + ".")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
