"""Turn a file as exported into the entity's contract columns, as a profile says.

Input is the all-text table the reader produced (headers exactly as in the
file). Output keeps one text column per contract column, in contract order,
plus ``_extra``: the cells of headers the profile does not map, as a JSON
object per row (so nothing in the export is thrown away). Typing happens
later (:mod:`pipelines.ingest.values.parse`), with the value formats this module
works out from the profile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import polars as pl

from pipelines.core import refusals
from pipelines.core.contract import Entity
from pipelines.core.errors import FileRejected
from pipelines.ingest.files.header import delimiter_name, missing_column_hint
from pipelines.ingest.files.read import open_table
from pipelines.ingest.files.table import BATCH_ROWS, RAGGED, RawTable, ReadOptions, TableStream
from pipelines.ingest.profiles.model import (
    RECIPROCAL_PLACES,
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
    #: export rows that are not this entity's (the mapping's ``where``), or yielded no row
    rows_skipped: int = 0


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

    #: further files read as the same export (other mappings of the entity), with their
    #: row-number offset: (table, mapper, offset)
    _more: list = field(default_factory=list, repr=False)
    _skip_note: str = ""

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
        """Contract text columns + ``_extra``, ``rows`` export rows at a time."""
        offset, top = 0, 0
        for table, mapper, name in [(self.table, self._map, None), *self._more]:
            if name is not None:
                offset = top
                self.mapped.notes.append(
                    f"{name} read as part of the same export: its rows are numbered from "
                    f"{offset + 1:,} on (row number - {offset:,} = its own row)"
                )
            for raw in table.batches(rows):
                if offset:
                    raw = raw.with_columns(pl.col(ROW_INDEX) + offset)
                part = mapper(raw)
                self._tally(part)
                if raw.height:
                    top = max(top, raw.select(pl.col(ROW_INDEX).max()).item())
                yield part.frame
        if self.mapped.rows_skipped:
            self.mapped.notes.append(
                f"{self.mapped.rows_skipped:,} export row(s) skipped: {self._skip_note}"
            )

    def _tally(self, part: Mapped) -> None:
        for column, pairs in part.substitutions.items():
            merged = self.mapped.substitutions.setdefault(column, {})
            for pair, n in pairs.items():
                merged[pair] = merged.get(pair, 0) + n
        for column, n in part.defaults_used.items():
            self.mapped.defaults_used[column] = self.mapped.defaults_used.get(column, 0) + n
        self.mapped.rows_skipped += part.rows_skipped


@contextmanager
def open_export(
    path, entity: Entity, profile: Profile, business_timezone: str, *, combine: bool = True
) -> Iterator[ExportStream]:
    """Open ``path`` as ``entity`` with ``profile``; raises FileRejected when it cannot be read.

    The header and the mapping are checked on opening (a missing required
    column rejects the file before any row is read). When the profile maps the
    entity from several files (a list of mappings) and others of them are in the
    same folder, they are read after ``path`` as one export (unless ``combine`` is
    False).
    """
    parts = [(path, _reading(profile, entity, path.name))]
    if combine:
        parts += other_parts(path, entity, profile)
    with ExitStack() as stack:
        opened = [
            _open_part(stack, p, entity, profile, mapping, business_timezone)
            for p, mapping in parts
        ]
        (table, mapped, settings, formats, column_formats, mapper, mapping) = opened[0]
        for other in opened[1:]:
            _merge_part(mapped, column_formats, formats, other, other[-1].files)
        skip = "; ".join(_skip_reason(m) for *_, m in opened if m.where or m.unpivot)
        yield ExportStream(
            table,
            mapped,
            settings,
            formats,
            column_formats,
            mapper,
            _more=[(o[0], o[5], p.name) for (p, _), o in zip(parts[1:], opened[1:], strict=True)],
            _skip_note=skip,
        )


def _reading(profile: Profile, entity: Entity, file_name: str) -> EntityMapping:
    return profile.reading_for(entity.name, file_name) or profile.entities[entity.name]


def other_parts(path, entity: Entity, profile: Profile) -> list:
    """(file, mapping) of the entity's other mappings that have a file next to ``path``."""
    readings = profile.readings.get(entity.name) or ()
    if len(readings) < 2:
        return []
    first = _reading(profile, entity, path.name)
    found = []
    siblings = sorted(
        p for p in path.parent.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    for mapping in readings:
        if mapping is first:
            continue
        match = next((p for p in siblings if mapping.matches(p.name) and p != path), None)
        if match is not None:
            found.append((match, mapping))
    return found


def source_files(path, entity: Entity, profile: Profile) -> list:
    """Every file reading ``path`` as ``entity`` reads: ``path`` itself, the entity's other
    mapped files next to it and the files their lookups read (a changed lookup file, e.g. the
    roles that name the teams of users, changes what the entity loads)."""
    parts = [(path, _reading(profile, entity, path.name)), *other_parts(path, entity, profile)]
    files = [p for p, _ in parts]
    for _, mapping in parts:
        for spec in mapping.columns.values():
            for step in spec.lookup or ():
                target = _lookup_file(path.parent, step.file)
                if target is not None and target not in files:
                    files.append(target)
    return files


def _open_part(stack, path, entity, profile, mapping, business_timezone):
    settings = effective_settings(profile, mapping, business_timezone)
    options = ReadOptions(
        encoding=settings.encoding,
        delimiter=settings.delimiter,
        sheet=mapping.sheet,
        header_row=mapping.header_row,
        null_values=tuple(settings.null_values or ()),
    )
    table = stack.enter_context(open_table(path, options))
    unpivot_notes = _check_unpivot(mapping, table.headers, path.name)
    lookups = load_lookups(path.parent, mapping, settings)
    headers = _headers_after_unpivot(mapping, table.headers)

    def map_batch(frame: pl.DataFrame) -> Mapped:
        frame, skipped = _select_rows(frame, mapping, table.headers)
        mapped = map_columns(frame, headers, entity, profile, mapping, settings, path.name, lookups)
        mapped.rows_skipped = skipped
        return mapped

    empty = pl.DataFrame(schema={ROW_INDEX: pl.Int64, **{h: pl.String for h in table.headers}})
    mapped = map_batch(empty)
    if mapping.unpivot:
        _unpivot_sources(mapped.sources, mapping.unpivot)
    mapped.notes += unpivot_notes + lookups.notes
    formats, column_formats = value_formats(settings, mapping)
    return table, mapped, settings, formats, column_formats, map_batch, mapping


def _unpivot_sources(sources: dict[str, str], unpivot) -> None:
    """Say where the unpivot's name and value columns come from."""
    said = {
        f"header {unpivot.name!r}": f"the * of the headers {unpivot.headers!r}",
        f"header {unpivot.value!r}": f"the cells of the headers {unpivot.headers!r}",
    }
    for column, source in sources.items():
        for plain, meant in said.items():
            if source.startswith(plain):
                sources[column] = meant + source[len(plain) :]


def _check_unpivot(mapping: EntityMapping, headers, file_name: str) -> list[str]:
    """Notes on the headers an unpivot reads; too many of them rejects the file."""
    if not mapping.unpivot:
        return []
    pattern = mapping.unpivot.headers
    labels = unpivot_labels(pattern, headers)
    if len(labels) >= UNPIVOT_SPAN:
        raise FileRejected(
            file_name,
            f"has {len(labels):,} columns matching {pattern!r}; at most "
            f"{UNPIVOT_SPAN - 1} are read as rows",
            "export fewer of those columns, or narrow the unpivot headers pattern",
            reason=refusals.TOO_MANY_COLUMNS,
        )
    if not labels:
        return [f"no header matches {pattern!r}: no {mapping.unpivot.name} rows in this file"]
    said = ", ".join(map(repr, labels.values()))
    return [f"{len(labels)} header(s) matching {pattern!r} read as rows ({said})"]


def _merge_part(mapped: Mapped, column_formats: dict, formats, other, files) -> None:
    _, more, _, more_formats, more_columns, _, _ = other
    if more_formats != formats:
        raise FileRejected(
            "/".join(files),
            "is read as part of one export with files whose dates, times or decimals are "
            "written differently (timezone, date_order, date_formats or decimal_mark differ)",
            "give the mappings of this entity the same value formats",
            reason=refusals.MIXED_FORMATS,
        )
    for column, source in more.sources.items():
        if source != mapped.sources.get(column):
            mapped.sources[column] = f"{mapped.sources.get(column)}; {'/'.join(files)}: {source}"
    mapped.unmapped_headers += [
        h for h in more.unmapped_headers if h not in mapped.unmapped_headers
    ]
    mapped.notes += more.notes
    column_formats.update({k: v for k, v in more_columns.items() if k not in column_formats})


def _skip_reason(mapping: EntityMapping) -> str:
    parts = []
    if mapping.where:
        parts.append("not meeting " + describe_conditions(mapping.where))
    if mapping.unpivot:
        parts.append(f"no value in any {mapping.unpivot.headers!r} column")
    return " or ".join(parts)


def describe_conditions(conditions: dict) -> str:
    said = []
    for header, cond in conditions.items():
        if cond.empty is not None:
            said.append(f"{header!r} {'empty' if cond.empty else 'not empty'}")
        elif cond.not_in:
            said.append(f"{header!r} not in ({', '.join(cond.not_in)})")
        else:
            said.append(f"{header!r} in ({', '.join(cond.in_)})")
    return " and ".join(said)


def condition_expr(conditions: dict, headers) -> pl.Expr:
    """True on rows meeting every condition; a header absent from the file never does."""
    by_key = {header_key(h): h for h in headers}
    exprs = []
    for header, cond in conditions.items():
        found = by_key.get(header_key(header))
        if found is None:
            exprs.append(pl.lit(bool(cond.not_in)))
            continue
        cell = pl.col(found).str.strip_chars()
        if cond.empty is not None:
            empty = cell.is_null() | (cell == "")
            exprs.append(empty if cond.empty else ~empty)
        elif cond.not_in:
            unwanted = [v.strip().casefold() for v in cond.not_in]
            exprs.append(~cell.str.to_lowercase().is_in(unwanted).fill_null(False))
        else:
            wanted = [v.strip().casefold() for v in cond.in_]
            exprs.append(cell.str.to_lowercase().is_in(wanted).fill_null(False))
    return pl.all_horizontal(exprs)


def _select_rows(frame: pl.DataFrame, mapping: EntityMapping, headers) -> tuple[pl.DataFrame, int]:
    """The rows that are this entity's, unpivoted as the mapping says; and how many export
    rows yielded none.

    A ragged row (:data:`RAGGED`) is kept, as one row: its cells are not in their columns,
    so neither ``where`` nor the unpivot can read it, and the load quarantines it."""
    rows = frame.height
    ragged = None
    if RAGGED in frame.columns:
        ragged = frame.filter(pl.col(RAGGED).is_not_null())
        frame = frame.filter(pl.col(RAGGED).is_null())
    if mapping.where:
        frame = frame.filter(condition_expr(mapping.where, headers))
    if mapping.unpivot:
        frame = _unpivot(frame, mapping.unpivot, headers)
        kept = frame.select(pl.col(ROW_INDEX) // UNPIVOT_SPAN).n_unique() if frame.height else 0
        if ragged is not None and ragged.height:
            wide = unpivot_labels(mapping.unpivot.headers, headers)
            ragged = ragged.drop(*wide).with_columns(
                pl.col(ROW_INDEX) * UNPIVOT_SPAN,
                pl.lit(None, dtype=pl.String).alias(mapping.unpivot.name),
                pl.lit(None, dtype=pl.String).alias(mapping.unpivot.value),
            )
    else:
        kept = frame.height
    if ragged is None or not ragged.height:
        return frame, rows - kept
    kept += ragged.height
    return pl.concat([frame, ragged], how="diagonal").sort(ROW_INDEX), rows - kept


#: Unpivoted rows are numbered <export row> * UNPIVOT_SPAN + <column's position> (a ragged
#: row: <export row> * UNPIVOT_SPAN).
UNPIVOT_SPAN = 1000


def _headers_after_unpivot(mapping: EntityMapping, headers) -> list[str]:
    """The headers of the rows a mapping maps: an unpivot's wide headers become its name
    and value columns."""
    if not mapping.unpivot:
        return list(headers)
    wide = unpivot_labels(mapping.unpivot.headers, headers)
    kept = [h for h in headers if h not in wide]
    return [*kept, mapping.unpivot.name, mapping.unpivot.value]


#: Quotes around what an unpivot's ``*`` matched are not part of it (HubSpot writes
#: ``Date entered "Closed Won (Sales Pipeline)"``).
UNPIVOT_QUOTES = "\"'“”‘’「」"


def unpivot_labels(pattern: str, headers) -> dict[str, str]:
    """header -> what its ``*`` matched (spaces trimmed, surrounding quotes removed), for
    every header matching ``pattern`` as headers are compared (case and runs of spaces
    ignored) with a non-empty ``*``."""
    prefix, suffix = (re.escape(header_key(p)) for p in pattern.split("*"))
    rx = re.compile(f"{prefix}(.+?){suffix}".replace(r"\ ", r"\s+"), re.IGNORECASE)
    out = {}
    for h in headers:
        found = rx.fullmatch(re.sub(r"\s+", " ", h).strip())
        label = found.group(1).strip().strip(UNPIVOT_QUOTES).strip() if found else ""
        if label:
            out[h] = label
    return out


def _unpivot(frame: pl.DataFrame, unpivot, headers) -> pl.DataFrame:
    labels = unpivot_labels(unpivot.headers, headers)
    wide = list(labels)
    rest = [c for c in frame.columns if c not in wide and c != RAGGED]
    parts = []
    for j, h in enumerate(wide, start=1):
        label = labels[h]
        parts.append(
            frame.filter(pl.col(h).is_not_null() & (pl.col(h).str.strip_chars() != "")).select(
                *[c for c in rest if c != ROW_INDEX],
                (pl.col(ROW_INDEX) * UNPIVOT_SPAN + j).alias(ROW_INDEX),
                pl.lit(label.strip(), dtype=pl.String).alias(unpivot.name),
                pl.col(h).alias(unpivot.value),
            )
        )
    schema = {
        **{c: pl.String for c in rest if c != ROW_INDEX},
        ROW_INDEX: pl.Int64,
        unpivot.name: pl.String,
        unpivot.value: pl.String,
    }
    if not parts:
        return pl.DataFrame(schema=schema).select(
            [ROW_INDEX, *[c for c in schema if c != ROW_INDEX]]
        )
    out = pl.concat(parts).sort(ROW_INDEX)
    return out.select([ROW_INDEX, *[c for c in out.columns if c != ROW_INDEX]])


@dataclass
class Lookups:
    """For each column mapped by a lookup: one {key: value} table per step."""

    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def load_lookups(folder, mapping: EntityMapping, settings: ReadSettings) -> Lookups:
    """Read the files the mapping's lookups name (only their key and value columns)."""
    out = Lookups()
    for column, spec in mapping.columns.items():
        if not spec.lookup:
            continue
        steps = []
        for step in spec.lookup:
            target = _lookup_file(folder, step.file)
            if target is None:
                out.notes.append(
                    f"{column}: lookup file {' or '.join(step.file)} is not in the drop; left empty"
                )
                steps = []
                break
            steps.append(_lookup_table(target, step, settings, column, out.notes))
        out.tables[column] = steps
    return out


def _lookup_file(folder, patterns):
    probe = EntityMapping(files=patterns)
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".") and probe.matches(p.name):
            return p
    return None


def _lookup_table(path, step, settings: ReadSettings, column: str, notes) -> dict[str, str]:
    """{key: value} of the lookup file (the first row of a key wins); its ragged rows, whose
    cells are not in their columns, are not read (a note says how many)."""
    options = ReadOptions(null_values=tuple(settings.null_values or ()))
    with open_table(path, options) as table:
        by_key = {header_key(h): h for h in table.headers}
        key, value = by_key.get(header_key(step.key)), by_key.get(header_key(step.value))
        if key is None or value is None:
            raise FileRejected(
                path.name,
                f"lacks the column {step.key if key is None else step.value!r} the lookup of "
                f"{column} reads; headers found: {', '.join(table.headers)}",
                f"correct the lookup of {column} in the profile",
                reason=refusals.MISSING_COLUMN,
            )
        found: dict[str, str] = {}
        ragged = 0
        for batch in table.batches():
            if RAGGED in batch.columns:
                ragged += batch[RAGGED].is_not_null().sum()
                batch = batch.filter(pl.col(RAGGED).is_null())
            for k, v in batch.select(pl.col(key).alias("k"), pl.col(value).alias("v")).iter_rows():
                if k is not None and v is not None:
                    found.setdefault(k.strip(), v)
        if ragged:
            notes.append(
                f"{column}: {ragged:,} row(s) of lookup file {path.name} have more cells than "
                "its header and are not looked up"
            )
        return found


def read_export(path, entity: Entity, profile: Profile, business_timezone: str) -> Export:
    """Read and map ``path`` whole (small files, checks); see :func:`open_export`."""
    with open_export(path, entity, profile, business_timezone) as export:
        frames = list(export.batches())
        mapped = export.mapped
        mapped.frame = pl.concat(frames, how="diagonal") if frames else mapped.frame
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
    lookups: Lookups | None = None,
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
        found: list[str] = []
        if spec.lookup:
            expr, sources[column.name] = _lookup_expr(
                spec, (lookups or Lookups()).tables.get(column.name), by_key
            )
            if spec.lookup[0].match and header_key(spec.lookup[0].match) in by_key:
                used.add(by_key[header_key(spec.lookup[0].match)])
        elif spec.template is not None:
            fields = spec.template_headers
            found = [by_key[header_key(h)] for h in fields if header_key(h) in by_key]
        else:
            found = [by_key[header_key(h)] for h in spec.header if header_key(h) in by_key]
        used.update(found)
        if spec.lookup:
            pass  # expr and source set above
        elif not spec.header and not spec.template and spec.cases:
            expr = pl.lit(None, dtype=pl.String)
            sources[column.name] = "no case holds: empty"
        elif spec.template is not None and len(found) == len(fields):
            pattern = TEMPLATE_FIELD.sub("{}", spec.template.replace("{}", ""))
            expr = pl.format(pattern, *[pl.col(h) for h in found])
            sources[column.name] = f"template {spec.template!r}"
        elif spec.template is None and found:
            expr = pl.coalesce([pl.col(h) for h in found]) if len(found) > 1 else pl.col(found[0])
            sources[column.name] = " or ".join(f"header {h!r}" for h in found)
        else:
            expr = pl.lit(None, dtype=pl.String)
            explicit = column.name in mapping.columns and (spec.header or spec.template)
            if column.required and spec.default is None and not spec.cases:
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
        if spec.cases:
            expr = _with_cases(spec, expr, headers)
            sources[column.name] = _cases_source(spec) + sources[column.name]
            used.update(
                by_key[header_key(h)] for c in spec.cases for h in c.when if header_key(h) in by_key
            )
        if spec.reciprocal:
            expr = expr.map_elements(_reciprocal, return_dtype=pl.String)
            sources[column.name] += ", reciprocal (1 / value)"
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
    if RAGGED in table_frame.columns:
        exprs.append(pl.col(RAGGED))

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


def _reciprocal(text: str) -> str:
    """1 / ``text`` as exact decimal text rounded to RECIPROCAL_PLACES places; text that
    is no positive number is passed on as is (and reported unreadable by the typing)."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return text
    if not value.is_finite() or value <= 0:
        return text
    with localcontext() as ctx:
        ctx.prec = 40
        result = (Decimal(1) / value).quantize(Decimal(1).scaleb(-RECIPROCAL_PLACES))
    return format(result.normalize(), "f")


def _with_cases(spec: ColumnSpec, expr: pl.Expr, headers) -> pl.Expr:
    if not spec.cases:
        return expr
    chain = None
    for case in spec.cases:
        holds = condition_expr(case.when, headers)
        value = pl.lit(case.value, dtype=pl.String)
        chain = pl.when(holds).then(value) if chain is None else chain.when(holds).then(value)
    return chain.otherwise(expr)


def _cases_source(spec: ColumnSpec) -> str:
    if not spec.cases:
        return ""
    said = "; ".join(f"{c.value!r} when {describe_conditions(c.when)}" for c in spec.cases)
    return f"{said}; else "


def _lookup_expr(spec: ColumnSpec, tables, by_key) -> tuple[pl.Expr, str]:
    first = spec.lookup[0]
    said = " then ".join(f"{s.value} of {'/'.join(s.file)} by {s.key}" for s in spec.lookup)
    match = by_key.get(header_key(first.match or ""))
    if not tables or match is None:
        missing = "lookup file absent" if not tables else f"header {first.match!r} absent"
        return pl.lit(None, dtype=pl.String), f"lookup {said} ({missing}): empty"
    expr = pl.col(match).str.strip_chars()
    for table in tables:
        expr = expr.replace_strict(table, default=None, return_dtype=pl.String)
    return expr, f"header {match!r} looked up as {said}"


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
    names = [c.name for c in entity.columns if c.required]
    names += [h for s in mapping.columns.values() for h in (s.header or ())]
    hint, close, delimiter = missing_column_hint(headers, [*wanted, column], names, None)
    closest = [close] if close else []
    if delimiter is not None:
        return FileRejected(
            file_name,
            f"lacks the required column {column} of {entity.name}: {hint}",
            f"set delimiter: {delimiter_name(delimiter)} for {entity.name} in the profile "
            f"({profile.line_of('entities', entity.name)}), or export the file "
            "comma-separated",
            reason=refusals.MISSING_COLUMN,
        )
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
    if "no header row" in hint:
        fix = "export the file with its header row (the column names) as the first row"
    return FileRejected(
        file_name,
        f"lacks the required column {column} of {entity.name} ({mapped_as}); {hint}",
        fix,
        reason=refusals.MISSING_COLUMN,
    )
