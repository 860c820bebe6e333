"""What a set of packs reads, read from the warehouse once: :class:`PackSource`.

A set (every scope's pack of one period) used to query the marts again for each scope:
some 35 statements per pack against the warehouse file, and the input entities (counts of
every ``raw`` table) once per pack. ``PackSource`` copies every table the packs read
(``sections.TABLES_READ``: the frame's and each section's declared marts, the optional
ones when present) into an in-memory database once, and reads the input entities once
per as-of date. Each section then takes its scope's slice of that copy with its own SQL,
unchanged (its module stays the one place for its figures), so a pack of the set holds
exactly what the same pack rendered alone holds (tests/packs/test_render_set.py).

The copy is small next to the rest of the warehouse (the marts are aggregates: 0.5 M rows
for the demo at scale 10, read in about 0.2 s).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipelines.packs.sections import TABLES_READ
from pipelines.warehouse.inputs import EntityInput, entity_inputs

#: The name the warehouse is attached under while its tables are copied.
_ATTACHED = "packs_warehouse"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PackSource:
    """The tables one set of packs reads, copied from the warehouse once (``con``), and
    the warehouse's input entities read once per as-of date (:meth:`inputs_as_of`).

    ``warehouse`` is the open (read-only) warehouse connection; ``path`` its file.
    """

    def __init__(self, warehouse: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.warehouse = warehouse
        self.con = duckdb.connect()  # in memory: the set's copy
        self._inputs: dict[date, dict[str, EntityInput] | None] = {}
        self.tables = self._copy(Path(path))

    def _copy(self, path: Path) -> tuple[str, ...]:
        """Copy every table of ``TABLES_READ`` the warehouse has; the copied names."""
        con = self.con
        con.execute(f"attach {_quoted(str(path.resolve()))} as {_ATTACHED} (read_only)")
        try:
            present = {
                f"{schema}.{name}"
                for schema, name in con.execute(
                    "select table_schema, table_name from information_schema.tables "
                    "where table_catalog = ?",
                    [_ATTACHED],
                ).fetchall()
            }
            copied = tuple(t for t in TABLES_READ if t in present)
            for table in copied:
                schema = table.split(".", 1)[0]
                con.execute(f"create schema if not exists {schema}")
                # names from the sections' declarations, never from input
                con.execute(f"create table {table} as select * from {_ATTACHED}.{table}")  # noqa: S608
        finally:
            con.execute(f"detach {_ATTACHED}")
        return copied

    def inputs_as_of(self, day: date) -> dict[str, EntityInput] | None:
        """The warehouse's input entities as of ``day`` (``entity_inputs``), read once."""
        if day not in self._inputs:
            self._inputs[day] = entity_inputs(self.warehouse, day)
        return self._inputs[day]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> PackSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
