"""Names people give things (teams, reps, regions) as parts of file names.

A team called ``North Key/Accounts`` cannot name a file as it is, and a plain replacement of
the unsafe characters would give ``North Key Accounts``, ``North Key/Accounts`` and
``North Key Accounts?`` one file, so one manager could open another team's pack. So a name
that had to be changed (or cut) gets a short hash of the original appended: the part is
stable from night to night, readable, and two names never share it.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^\w.-]+")
_LOOKS_HASHED = re.compile(r"-[0-9a-f]{8}$")
#: Longest readable part kept before the hash.
LIMIT = 80


def file_part(name: str) -> str:
    """``name`` as a file-name part: letters (any script), digits, ``_``, ``.`` and ``-``
    kept; anything else becomes ``_``; when that changed the name (or it was longer than
    :data:`LIMIT`, or already ends like a hash), ``-`` and 8 hex digits of its sha256 follow.
    """
    safe = _UNSAFE.sub("_", name).strip("_.") or "_"
    if safe == name and len(safe) <= LIMIT and not _LOOKS_HASHED.search(safe):
        return safe
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{safe[:LIMIT]}-{digest}"
