"""A nightly drop: which files in the inbox are which entity, and its load id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.core import refusals
from pipelines.core.errors import SalesOpsError
from pipelines.ingest.load import file_sha256, latest_loaded_file
from pipelines.ingest.profiles.loader import load_profile
from pipelines.ingest.profiles.model import Profile
from pipelines.warehouse.schema import fetch_first


@dataclass(frozen=True)
class Drop:
    inbox: Path
    entity_files: dict[str, Path]
    ignored: list[str]
    profile: Profile
    #: files read only through lookups of other entities' columns: file -> ["entity.column"]
    lookups: dict[str, list[str]] = field(default_factory=dict)
    #: entries never read, with why: links leading out of the inbox, and pipes, devices or
    #: folders named like an export
    refused: dict[str, str] = field(default_factory=dict)


def _refusal(path: Path, inbox: Path, profile: Profile) -> str | None:
    """Why the inbox entry ``path`` is not read (None: it is a regular file that may be).

    A symbolic link is followed only to a regular file inside the inbox (a link to
    /etc/passwd named targets.csv is never read); a pipe, device or folder is refused when
    its name matches an export (it would block or fail the read), else skipped silently."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(inbox.resolve()):
            return _said(refusals.LINK_OUTSIDE_INBOX)
        if not target.is_file():
            return _said(refusals.LINK_NOT_A_FILE)
        return None
    if path.is_file():
        return None
    if profile.entities_for(path.name) or profile.lookup_uses(path.name):
        return _said(refusals.NOT_A_REGULAR_FILE)
    return ""  # anything else that is no file: not an export, nothing to say


def _said(code: str) -> str:
    """The message of an inbox entry refused for ``code``: why, and the fix."""
    reason = refusals.CATALOGUE[code]
    return f"{reason.when}; not read ({reason.fix})"


def scan_inbox(inbox: Path, profile: Profile | None = None) -> Drop:
    """Match files to entities by the profile's ``files`` patterns (default: canonical).

    Files no pattern matches are listed as ignored (and reported), never loaded, and
    never opened. A file may feed several entities (mappings marked ``shared``); an
    entity mapped from several files (a list of mappings) is read from all of them
    together, starting with the first in name order.
    """
    profile = profile or load_profile()
    if inbox.exists() and not inbox.is_dir():
        raise SalesOpsError(
            f"the inbox {inbox} is a file, not a folder",
            "point --inbox at the folder holding the night's export files (not at one file)",
        )
    if not inbox.is_dir():
        raise SalesOpsError(
            f"the inbox folder {inbox} does not exist",
            "point --inbox at the folder holding the night's export files",
        )
    entity_files: dict[str, Path] = {}
    #: entity -> {index of the mapping that read it: file}
    readings: dict[str, dict[int, Path]] = {}
    ignored: list[str] = []
    lookups: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    for path in sorted(inbox.iterdir()):
        if path.name.startswith("."):
            continue
        why = _refusal(path, inbox, profile)
        if why is not None:
            if why:
                refused[path.name] = why
            continue
        names = profile.entities_for(path.name)
        if not names:
            uses = profile.lookup_uses(path.name)
            if uses:
                lookups[path.name] = uses
            else:
                ignored.append(path.name)
            continue
        for name in names:
            index = profile.reading_index(name, profile.reading_for(name, path.name))
            seen = readings.setdefault(name, {})
            if index in seen:
                where = profile.line_of("entities", name, "files")
                raise SalesOpsError(
                    f"the inbox {inbox} holds two files for {name}: "
                    f"{seen[index].name} and {path.name} (both match {where})",
                    "keep one file per entity in a drop, or narrow the file patterns in the "
                    "profile",
                )
            seen[index] = path
            # The entity's first file; the files of its other mappings are read with it.
            entity_files.setdefault(name, path)
    if not entity_files:
        expected = "; ".join(
            f"{name}: {' or '.join(m.files)}" for name, m in list(profile.entities.items())[:6]
        )
        raise SalesOpsError(
            f"no export files found in {inbox} (profile {profile.profile}"
            + (f"; not matched: {', '.join(ignored[:10])}" if ignored else "")
            + ")",
            f"put the night's exports there, named as the profile expects, e.g. {expected}",
        )
    return Drop(inbox, entity_files, ignored, profile, lookups, refused)


def register_load(
    con: duckdb.DuckDBPyConnection, drop: Drop, run_id: str, as_of: date
) -> tuple[int, bool]:
    """Return (load_id, is_new) for this run.

    A run that brings no file unseen before and has the same business date as
    the latest load is the same load again: it reuses that load id, so
    running one drop twice changes nothing.
    """
    latest = fetch_first(
        con, "select load_id, as_of_date from meta.loads order by load_id desc limit 1"
    )
    all_seen = True
    for entity_name, path in drop.entity_files.items():
        latest_file = latest_loaded_file(con, entity_name)
        all_seen = all_seen and latest_file is not None and latest_file[0] == file_sha256(path)
    if latest and all_seen and latest[1] == as_of:
        return latest[0], False
    load_id = (latest[0] + 1) if latest else 1
    con.execute(
        """insert into meta.loads (load_id, run_id, as_of_date, inbox, started_at, status)
           values (?, ?, ?, ?, now(), 'running')""",
        [load_id, run_id, as_of, str(drop.inbox)],
    )
    for name in drop.ignored:
        con.execute(
            """insert into meta.load_files (load_id, run_id, entity, file_name, status, message)
               values (?, ?, null, ?, 'ignored', ?)""",
            [
                load_id,
                run_id,
                name,
                f"matches no file pattern of profile {drop.profile.profile}; not loaded",
            ],
        )
    for name, why in drop.refused.items():
        con.execute(
            """insert into meta.load_files (load_id, run_id, entity, file_name, status, message)
               values (?, ?, null, ?, 'refused', ?)""",
            [load_id, run_id, name, why],
        )
    return load_id, True


def current_load_id(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    row = fetch_first(
        con,
        "select load_id from meta.loads where run_id = ? order by load_id desc limit 1",
        [run_id],
    )
    if row:
        return row[0]
    row = fetch_first(con, "select max(load_id) from meta.loads")
    if row and row[0] is not None:
        return row[0]
    raise SalesOpsError(
        "no load is registered for this run",
        "materialize the raw/drop asset first (it registers the night's drop)",
    )
