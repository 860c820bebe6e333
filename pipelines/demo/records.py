"""How the simulation holds its records: plain dicts that point at each other.

An opportunity holds its account dict, not an id, so records form cycles: they are found
and removed by identity (``drop``), never compared. Ids are given once every entity is
complete (``World.assign_ids``).
"""

from __future__ import annotations

from typing import Any

Rec = dict[str, Any]


def drop(items: list, item: object) -> None:
    """Remove ``item`` by identity (records are cyclic dicts; never compare them)."""
    items[:] = [x for x in items if x is not item]
