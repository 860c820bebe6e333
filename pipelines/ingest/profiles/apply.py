"""Turn a file as exported into the entity's contract columns, as a profile says.

Input is the all-text table the reader produced (headers exactly as in the
file). Output keeps one text column per contract column, in contract order,
plus ``_extra``: the cells of headers the profile does not map, as a JSON
object per row (so nothing in the export is thrown away). Typing happens
later (:mod:`pipelines.ingest.values.parse`), with the value formats this module
works out from the profile.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines.core.contract import Entity
from pipelines.core.errors import FileRejected
from pipelines.ingest.files.read import open_table
from pipelines.ingest.files.table import BATCH_ROWS, RawTable, ReadOptions, TableStream
from pipelines.ingest.profiles.model import (
    TEMPLATE_FIELD,
    ColumnSpec,
    EntityMapping,
    Profile,
    ReadSettings,
)
from pipelines.ingest.values.parse import ROW_INDEX, ValueFormats

EXTRA = "_extra"

#: Settings used when neither the profile's defaults nor the entity say otherwise.
BUILTIN = ReadSettings(null_values=(), date_order="YMD", date_formats=(), decimal_mark=".")


def header_key(header: str) -> str:
    """How headers are compared: case-insensitive, whitespace collapsed."""
    return re.sub(r"\s+", " ", header).strip().casefold()


@dataclass
class Mapped:
    frame: pl.DataFrame
    #: contract column -> where it came from, for people ("header 'Amount'", "constant 'USD'").
    sources: dict[str, str]
    unmapped_headers: list[str]
    #: contract column -> {(value seen, value used): rows}
    substitutions: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    #: contract column -> rows that took the profile's default
    defaults_used: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Export:
    """One export file read and mapped as its profile says, ready for typing."""

    table: RawTable
    mapped: Mapped
    settings: ReadSettings
    formats: ValueFormats
    column_formats: dict[str, ValueFormats]


@dataclass
class ExportStream:
    """An export opened for reading: its mapping, and its rows mapped batch by batch.

    ``mapped`` describes the mapping (sources, unmapped headers); its
    translation and default counts and notes grow while batches are read and
    are complete after the last one. ``mapped.frame`` is empty.
    """

    table: TableStream
    mapped: Mapped
    settings: ReadSettings
    formats: ValueFormats
    column_formats: dict[str, ValueFormats]
    _map: Any = field(repr=False)

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
        """Contract text columns + ``_extra``, ``rows`` export rows at a time."""
        for raw in self.table.batches(rows):
            part = self._map(raw)
            for column, pairs in part.substitutions.items():
                merged = self.mapped.substitutions.setdefault(column, {})
                for pair, n in pairs.items():
                    merged[pair] = merged.get(pair, 0) + n
            for column, n in part.defaults_used.items():
                self.mapped.defaults_used[column] = self.mapped.defaults_used.get(column, 0) + n
            yield part.frame


@contextmanager
def open_export(
    path, entity: Entity, profile: Profile, business_timezone: str
) -> Iterator[ExportStream]:
    """Open ``path`` as ``entity`` with ``profile``; raises FileRejected when it cannot be read.

    The header and the mapping are checked on opening (a missing required
    column rejects the file before any row is read).
    """
    mapping = profile.entities[entity.name]
    settings = effective_settings(profile, mapping, business_timezone)
    options = ReadOptions(
        encoding=settings.encoding,
        delimiter=settings.delimiter,
        sheet=mapping.sheet,
        header_row=mapping.header_row,
        null_values=tuple(settings.null_values or ()),
    )
    with open_table(path, options) as table:

        def map_batch(frame: pl.DataFrame) -> Mapped:
            return map_columns(frame, table.headers, entity, profile, mapping, settings, path.name)

        empty = pl.DataFrame(schema={ROW_INDEX: pl.Int64, **{h: pl.String for h in table.headers}})
        mapped = map_batch(empty)
        formats, column_formats = value_formats(settings, mapping)
        yield ExportStream(table, mapped, settings, formats, column_formats, map_batch)


def read_export(path, entity: Entity, profile: Profile, business_timezone: str) -> Export:
    """Read and map ``path`` whole (small files, checks); see :func:`open_export`."""
    with open_export(path, entity, profile, business_timezone) as export:
        frames = list(export.batches())
        mapped = export.mapped
        mapped.frame = pl.concat(frames) if frames else mapped.frame
        table = export.table.describe(pl.DataFrame())
        return Export(table, mapped, export.settings, export.formats, export.column_formats)


def effective_settings(profile: Profile, mapping: EntityMapping, business_timezone: str):
    base = profile.defaults.over(BUILTIN)
    settings = ReadSettings(**mapping.model_dump(include=set(ReadSettings.model_fields))).over(base)
    if settings.timezone is None:
        settings = settings.model_copy(update={"timezone": business_timezone})
    return settings


def value_formats(
    settings: ReadSettings, mapping: EntityMapping
) -> tuple[ValueFormats, dict[str, ValueFormats]]:
    """Formats for the whole file, and per-column overrides from ``columns.*.format``."""
    base = ValueFormats(
        timezone=settings.timezone,
        date_order=settings.date_order,
        date_formats=tuple(settings.date_formats or ()),
        decimal_mark=settings.decimal_mark,
    )
    per_column = {}
    for name, spec in mapping.columns.items():
        if spec.format or spec.date_order:
            per_column[name] = ValueFormats(
                timezone=base.timezone,
                date_order=spec.date_order or base.date_order,
                date_formats=tuple(spec.format) + base.date_formats,
                decimal_mark=base.decimal_mark,
            )
    return base, per_column


def _column_spec(entity: Entity, mapping: EntityMapping, settings: ReadSettings, name: str):
    spec = mapping.columns.get(name)
    if name == "currency" and settings.currency:
        if spec is None:
            spec = ColumnSpec(header=(name,), default=settings.currency)
        elif spec.value is None and spec.default is None:
            spec = spec.model_copy(update={"default": settings.currency})
    return spec or ColumnSpec(header=(name,))


def map_columns(
    table_frame: pl.DataFrame,
    headers: list[str],
    entity: Entity,
    profile: Profile,
    mapping: EntityMapping,
    settings: ReadSettings,
    file_name: str,
) -> Mapped:
    """Select, rename, fill and translate ``table_frame`` into contract columns.

    A required column whose header is absent (and that has no constant or
    default) rejects the whole file, naming the column, the profile line and
    the closest header found.
    """
    by_key = {header_key(h): h for h in headers}
    used: set[str] = set()
    exprs: list[pl.Expr] = [pl.col(ROW_INDEX)]
    sources: dict[str, str] = {}
    mapped = Mapped(frame=table_frame, sources=sources, unmapped_headers=[])
    default_exprs: dict[str, pl.Expr] = {}
    for column in entity.columns:
        spec = _column_spec(entity, mapping, settings, column.name)
        if spec.value is not None:
            exprs.append(pl.lit(spec.value, dtype=pl.String).alias(column.name))
            sources[column.name] = f"constant {spec.value!r}"
            continue
        if spec.template is not None:
            fields = spec.template_headers
            found = [by_key[header_key(h)] for h in fields if header_key(h) in by_key]
        else:
            found = [by_key[header_key(h)] for h in spec.header if header_key(h) in by_key]
        used.update(found)
        if spec.template is not None and len(found) == len(fields):
            pattern = TEMPLATE_FIELD.sub("{}", spec.template.replace("{}", ""))
            expr = pl.format(pattern, *[pl.col(h) for h in found])
            sources[column.name] = f"template {spec.template!r}"
        elif spec.template is None and found:
            expr = pl.coalesce([pl.col(h) for h in found]) if len(found) > 1 else pl.col(found[0])
            sources[column.name] = " or ".join(f"header {h!r}" for h in found)
        else:
            expr = pl.lit(None, dtype=pl.String)
            explicit = column.name in mapping.columns and (spec.header or spec.template)
            if column.required and spec.default is None:
                raise _missing_column(
                    entity, profile, mapping, column.name, spec, headers, file_name
                )
            sources[column.name] = "absent"
            if explicit:
                wanted = spec.template_headers if spec.template else spec.header
                mapped.notes.append(
                    f"{column.name}: mapped header(s) {', '.join(map(repr, wanted))} "
                    "not in the file; left empty"
                )
        if spec.default is not None:
            default_exprs[column.name] = expr
            expr = pl.coalesce([expr, pl.lit(spec.default, dtype=pl.String)])
            sources[column.name] += f", default {spec.default!r}"
        exprs.append(expr.alias(column.name))

    mapped.unmapped_headers = [h for h in headers if h not in used and h != ROW_INDEX]
    if mapped.unmapped_headers:
        extra = pl.struct([pl.col(h) for h in mapped.unmapped_headers]).struct.json_encode()
        any_value = pl.any_horizontal([pl.col(h).is_not_null() for h in mapped.unmapped_headers])
        exprs.append(pl.when(any_value).then(extra).otherwise(None).alias(EXTRA))
    else:
        exprs.append(pl.lit(None, dtype=pl.String).alias(EXTRA))

    for name, original in default_exprs.items():
        n = (
            table_frame.select(original.is_null().sum()).item()
            if table_frame.height and sources[name].startswith("header")
            else table_frame.height
        )
        if n:
            mapped.defaults_used[name] = n
    frame = table_frame.select(exprs)
    frame, mapped.substitutions = _translate_values(frame, mapping)
    mapped.frame = frame
    return mapped


def _translate_values(
    frame: pl.DataFrame, mapping: EntityMapping
) -> tuple[pl.DataFrame, dict[str, dict[tuple[str, str], int]]]:
    """Replace vocabulary variants (``Closed Won`` -> ``won``), case-insensitively."""
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for column, vocabulary in mapping.values.items():
        lookup = {
            variant.strip().casefold(): canonical
            for canonical, variants in vocabulary.items()
            for variant in variants
        }
        key = pl.col(column).str.strip_chars().str.to_lowercase()
        translated = key.replace_strict(lookup, default=None, return_dtype=pl.String)
        changed = frame.filter(translated.is_not_null() & (translated != pl.col(column)))
        if changed.height:
            tally = changed.group_by(pl.col(column).alias("seen"), translated.alias("used")).len()
            counts[column] = {(r[0], r[1]): r[2] for r in tally.sort("seen").iter_rows()}
        frame = frame.with_columns(pl.coalesce(translated, pl.col(column)).alias(column))
    return frame, counts


def _missing_column(
    entity: Entity,
    profile: Profile,
    mapping: EntityMapping,
    column: str,
    spec: ColumnSpec,
    headers: list[str],
    file_name: str,
) -> FileRejected:
    wanted = spec.template_headers or list(spec.header) or [column]
    closest = difflib.get_close_matches(wanted[0], headers, n=1, cutoff=0.4)
    if not closest:
        closest = difflib.get_close_matches(column, headers, n=1, cutoff=0.4)
    hint = f"closest header found: {closest[0]!r}" if closest else "no similar header found"
    if column in mapping.columns:
        where = profile.line_of("entities", entity.name, "columns", column)
        mapped_as = f"mapped from {', '.join(map(repr, wanted))} at {where}"
        fix = (
            f"export the column {wanted[0]!r}, or change {entity.name}.columns.{column} at "
            f"{where} to the header the file uses"
        )
    else:
        where = profile.line_of("entities", entity.name)
        mapped_as = f"no mapping in profile {profile.profile}, so header {column!r} was expected"
        fix = (
            f"export the column {column!r}, or map it under {entity.name}.columns in the "
            f"profile ({where}), e.g.  {column}: {closest[0] if closest else 'Your Header'!r}"
        )
    return FileRejected(
        file_name,
        f"lacks the required column {column} of {entity.name} ({mapped_as}); {hint}; "
        f"headers found: {', '.join(headers) or 'none'}",
        fix,
    )
