"""Which input entities the warehouse holds as of a date: loaded, stale or never loaded.

An entity's *last load* is the business date of the latest load (``meta.loads``) whose drop
carried a file of it that was loaded or seen again unchanged (``meta.load_files``); its
*records* are the versions in ``raw.<entity>`` brought by loads of that date or earlier. An
entity with no record is *missing* (never loaded, or every row quarantined): figures computed
from it would be figures computed from absence. One last loaded more than
:data:`STALE_AFTER_DAYS` before the as-of date is *stale*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import duckdb

from pipelines.core.contract import ENTITIES

#: An entity last loaded more than this many days before the as-of date is stale.
STALE_AFTER_DAYS = 31

InputState = Literal["loaded", "stale", "missing"]


@dataclass(frozen=True)
class EntityInput:
    entity: str
    last_loaded: date | None  # business date of the last load carrying its file
    records: int  # record versions in raw.<entity> as of the date
    optional: bool
    as_of: date

    @property
    def state(self) -> InputState:
        if self.records == 0 or self.last_loaded is None:
            return "missing"
        if (self.as_of - self.last_loaded).days > STALE_AFTER_DAYS:
            return "stale"
        return "loaded"

    @property
    def days_old(self) -> int | None:
        return None if self.last_loaded is None else (self.as_of - self.last_loaded).days


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{s}.{n}"
        for s, n in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def entity_inputs(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, EntityInput] | None:
    """Every contract entity's state as of ``as_of``; None when the warehouse has no raw or
    meta tables to tell (a warehouse of marts only)."""
    tables = _tables(con)
    if not {"meta.loads", "meta.load_files"} <= tables:
        return None
    last = dict(
        con.execute(
            """select f.entity, max(l.as_of_date)
               from meta.load_files f join meta.loads l on l.load_id = f.load_id
               where f.entity is not null and f.status in ('loaded', 'skipped_seen')
                 and l.as_of_date <= ?
               group by f.entity""",
            [as_of],
        ).fetchall()
    )
    found: dict[str, EntityInput] = {}
    for e in ENTITIES:
        if f"raw.{e.name}" not in tables:
            return None
        records = con.execute(
            f"""select count(*) from raw.{e.name} r
                join meta.loads l on l.load_id = r._load_id
                where l.as_of_date <= ?""",  # noqa: S608 - contract names
            [as_of],
        ).fetchone()[0]
        found[e.name] = EntityInput(e.name, last.get(e.name), records, e.optional, as_of)
    return found
