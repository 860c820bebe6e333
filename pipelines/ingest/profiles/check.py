"""``salesops profile check``: how a profile reads a drop, without loading anything.

For every file in the inbox: which entity it maps to (or that none does), how
it was read (encoding, delimiter, sheet, header row), where each contract
column comes from, which export columns are unmapped, and sample values that
would fail to parse or fall outside the allowed values. Nothing is written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.core.contract import ENTITY_BY_NAME
from pipelines.core.errors import FileRejected
from pipelines.ingest.profiles.apply import open_export
from pipelines.ingest.profiles.detect import detect_format
from pipelines.ingest.profiles.model import Profile
from pipelines.ingest.values.parse import ROW_INDEX, parse_frame


@dataclass
class FileCheck:
    file_name: str
    entity: str | None
    rejected: str | None = None
    rows: int = 0
    read: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    unmapped_headers: list[str] = field(default_factory=list)
    translations: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    defaults_used: dict[str, int] = field(default_factory=dict)
    #: column -> (failing rows, expected format, sample (row, value) pairs)
    parse_failures: dict[str, tuple[int, str, list[tuple[int, str]]]] = field(default_factory=dict)
    #: column -> {value outside the allowed set: rows}
    not_allowed: dict[str, dict[str, int]] = field(default_factory=dict)
    #: required column -> rows where it is empty (they would be quarantined)
    required_empty: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.entity is not None and self.rejected is None


def check_file(
    path: Path, profile: Profile, business_timezone: str, samples: int = 5
) -> list[FileCheck]:
    """Read ``path`` as the profile says, batch by batch (any size), and report what it
    finds: one check per entity the file feeds (none: one check with no entity)."""
    names = profile.entities_for(path.name)
    if not names:
        return [FileCheck(path.name, None)]
    return [_check_entity(path, name, profile, business_timezone, samples) for name in names]


def _check_entity(path: Path, entity_name: str, profile, business_timezone, samples) -> FileCheck:
    check = FileCheck(path.name, entity_name)
    entity = ENTITY_BY_NAME[entity_name]
    unreadable: dict[str, list] = {}  # column -> [rows, expected, samples]
    outside: dict[str, Counter] = defaultdict(Counter)
    try:
        with open_export(path, entity, profile, business_timezone, combine=False) as export:
            for batch in export.batches():
                _check_batch(check, entity, export, batch, unreadable, outside, samples)
            table, mapped = export.table, export.mapped
    except FileRejected as exc:
        check.rejected = str(exc)
        return check
    check.read = list(table.notes) + mapped.notes
    # The reader's notes already say the encoding, compression and any title block.
    check.read.insert(
        0,
        table.file_format
        + (f", delimiter {table.delimiter!r}" if table.delimiter else "")
        + (f", sheet {table.sheet!r}" if table.sheet else "")
        + f", header on row {table.header_row}",
    )
    check.sources = mapped.sources
    check.unmapped_headers = mapped.unmapped_headers
    check.translations = mapped.substitutions
    check.defaults_used = mapped.defaults_used
    check.parse_failures = {
        c: (n, expected, shown) for c, (n, expected, shown) in unreadable.items()
    }
    for column, counts in outside.items():
        ranked = sorted(((v, n) for v, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))
        if ranked:
            check.not_allowed[column] = dict(ranked[:samples])
    return check


def _check_batch(check, entity, export, batch, unreadable, outside, samples) -> None:
    check.rows += batch.height
    typed, failures = parse_frame(
        batch.select([ROW_INDEX, *entity.column_names]),
        entity,
        export.formats,
        export.column_formats,
    )
    for f in failures:
        entry = unreadable.setdefault(f.column, [0, f.expected, []])
        entry[0] += 1
        if len(entry[2]) < samples:
            entry[2].append((f.row_index, f.value))
    for column in entity.columns:
        if column.required:
            empty = batch.select(pl.col(column.name).is_null().sum()).item()
            if empty:
                check.required_empty[column.name] = check.required_empty.get(column.name, 0) + empty
        if not column.allowed:
            continue
        found = (
            typed.filter(
                pl.col(column.name).is_not_null() & ~pl.col(column.name).is_in(column.allowed)
            )
            .group_by(column.name)
            .len()
        )
        if found.height:
            outside[column.name].update(dict(found.iter_rows()))


def check_inbox(inbox: Path, profile: Profile, business_timezone: str) -> list[FileCheck]:
    files = sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
    return [c for p in files for c in check_file(p, profile, business_timezone)]


def nothing_matched(checks: list[FileCheck]) -> bool:
    """True when no file of the folder feeds any entity (a run would load nothing)."""
    return not any(c.entity for c in checks)


def render(checks: list[FileCheck], profile: Profile, inbox: Path) -> str:
    lines = [f"profile {profile.profile} ({profile.source}) on {inbox}", ""]
    ignored = [c.file_name for c in checks if c.entity is None]
    for c in checks:
        if c.entity is None:
            continue
        if c.rejected:
            lines.append(f"{c.file_name} -> {c.entity}: WOULD BE REJECTED")
            lines += ["    " + line for line in c.rejected.splitlines()]
            lines.append("")
            continue
        lines.append(f"{c.file_name} -> {c.entity}: {c.rows:,} rows; " + "; ".join(c.read))
        for column, source in c.sources.items():
            lines.append(f"    {column:<22} <- {source}")
        if c.unmapped_headers:
            lines.append(
                "    unmapped (kept in _extra): " + ", ".join(repr(h) for h in c.unmapped_headers)
            )
        for column, n in c.defaults_used.items():
            lines.append(f"    {column}: profile default used on {n:,} row(s)")
        for column, pairs in c.translations.items():
            if pairs:
                shown = ", ".join(
                    f"{seen!r} -> {used!r} ({n:,})" for (seen, used), n in pairs.items()
                )
                lines.append(f"    {column} translated: {shown}")
        for column, (n, expected, sample) in c.parse_failures.items():
            shown = ", ".join(f"row {r}: {v!r}" for r, v in sample)
            lines.append(f"    {column}: {n:,} value(s) unreadable, expected {expected}; {shown}")
        for column, n in c.required_empty.items():
            lines.append(f"    {column}: required but empty on {n:,} row(s) (would be quarantined)")
        for column, values in c.not_allowed.items():
            shown = ", ".join(f"{v!r} ({n:,})" for v, n in values.items())
            allowed = ", ".join(ENTITY_BY_NAME[c.entity].column(column).allowed or ())
            lines.append(
                f"    {column}: values outside [{allowed}]: {shown} "
                f"(map them under values.{column} in the profile)"
            )
        lines.append("")
    if ignored:
        shown = ", ".join(ignored[:20]) + (
            f" and {len(ignored) - 20:,} more" if len(ignored) > 20 else ""
        )
        lines.append(
            f"ignored ({len(ignored):,} file(s) matching no entity of the profile, not read): "
            + shown
        )
        lines.append("")
    matched = [c for c in checks if c.entity]
    missing = [
        name
        for name in profile.own_entities or profile.entities
        if name not in {c.entity for c in matched} and not ENTITY_BY_NAME[name].optional
    ]
    if missing and matched:
        lines.append("entities with no file in this inbox: " + ", ".join(missing))
    looks = detect_format(inbox)
    if looks:
        lines.append(f"this folder looks like: {looks.describe()}")
    if nothing_matched(checks):
        lines.append(
            f"NOTHING MATCHED: no file in {inbox} is an entity of profile {profile.profile}"
        )
        if looks and looks.profile != profile.profile:
            lines.append(f"    fix: run with --profile {looks.profile}")
        else:
            lines.append(
                "    fix: name the files as the profile's files patterns expect, or write a "
                "profile for this export (docs/profiles.md)"
            )
    return "\n".join(lines).rstrip() + "\n"
