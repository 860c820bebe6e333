"""A file's checked batches on disk, and the views the settle SQL reads them through."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core.contract import Entity
from pipelines.ingest.load.sql import OWNER, RECORD_ID
from pipelines.ingest.profiles.apply import EXTRA
from pipelines.ingest.values.parse import ROW_INDEX

#: Spool columns holding a row as exported are named with this prefix.
TEXT_PREFIX = "_text_"
#: Temp table of the spooled rows (as ``_typed``) with any failure, and its view as exported.
FAILING = "_failing"
FAILING_TEXT = "_failing_text"


@dataclass
class Spool:
    """A file's checked batches on disk, one Parquet file per batch.

    Each holds the typed row and, under ``_text_<column>``, the cells whose text
    differs from their typed value and ``_extra``, as exported (the row's version
    hash is computed from them, and they are quoted back when the row is
    quarantined); record id and owner are computed by the views. LZ4-compressed
    Parquet: small on disk, and DuckDB reads it natively (in parallel, within its
    memory limit, only the columns and row groups a query needs).
    """

    directory: Path
    files: list[str] = field(default_factory=list)
    schema: dict | None = None
    rows: int = 0
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, entity: Entity, typed: pl.DataFrame, text: pl.DataFrame) -> None:
        if self.schema is None:
            self.schema = dict(typed.schema)
        else:
            typed = typed.cast(self.schema)
        path = self.directory / f"batch-{len(self.files):05d}.parquet"
        kept = [*text_differs(entity), EXTRA]
        typed.hstack(text.select(pl.col(c).alias(f"{TEXT_PREFIX}{c}") for c in kept)).write_parquet(
            path, compression="lz4"
        )
        self.files.append(str(path))
        self.rows += typed.height

    def create_views(self, con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
        """``_typed``: typed columns, ``_text_<column>`` for every column as exported,
        record id and owner; ``_text``: the row as exported (contract columns, ``_extra``)."""
        files = "[" + ", ".join(f"'{f}'" for f in self.files) + "]"
        differs = text_differs(entity)
        same = ", ".join(
            f'"{c}" as "{TEXT_PREFIX}{c}"' for c in entity.column_names if c not in differs
        )
        record_id = " || '|' || ".join(f"coalesce(\"{TEXT_PREFIX}{k}\", '')" for k in entity.key)
        owner = f'"{TEXT_PREFIX}{entity.owner_column}"' if entity.owner_column else "null"
        con.execute(
            f"""create or replace temp view _spool as
                select *{", " + same if same else ""} from read_parquet({files})"""
        )
        con.execute(
            f"""create or replace temp view _typed as
                select *, {record_id} as {RECORD_ID}, {owner}::varchar as {OWNER} from _spool"""
        )
        create_text_view(con, entity, "_text", "_spool")


def create_text_view(
    con: duckdb.DuckDBPyConnection, entity: Entity, name: str, relation: str
) -> None:
    """Temp view ``name``: the rows of ``relation`` (spool columns) as exported, contract
    columns and ``_extra``."""
    text_cols = ", ".join(f'"{TEXT_PREFIX}{c}" as "{c}"' for c in (*entity.column_names, EXTRA))
    con.execute(
        f"create or replace temp view {name} as select {ROW_INDEX}, {text_cols} from {relation}"
    )


def text_differs(entity: Entity) -> list[str]:
    """Columns whose typed value may differ from the text exported (the rest are the text)."""
    return [c.name for c in entity.columns if c.type not in ("id", "text") or c.allowed]
