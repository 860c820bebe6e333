"""What a mapping profile says, validated: which file is which entity and how to read it.

A profile is a YAML file (see ``docs/profiles.md``). This module holds its
validated form; :mod:`pipelines.ingest.profiles.loader` reads the YAML and turns
validation errors into messages that name the profile file and line.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipelines.core.contract import ENTITY_BY_NAME
from pipelines.core.errors import SalesOpsError

Mode = Literal["full", "delta"]
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
DateOrder = Literal["YMD", "MDY", "DMY"]
DecimalMark = Literal[".", ","]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadSettings(_Strict):
    """How files are read and values parsed; set in ``defaults`` or per entity."""

    encoding: str | None = None  # None / "auto": detect
    delimiter: str | None = None  # None / "auto": detect
    null_values: tuple[str, ...] | None = None
    timezone: str | None = None  # zone of timestamps written without one
    date_order: DateOrder | None = None
    date_formats: tuple[str, ...] | None = None
    decimal_mark: DecimalMark | None = None
    currency: str | None = None  # fills an empty or absent `currency` column
    mode: Mode | None = None

    @field_validator("encoding", "delimiter", mode="before")
    @classmethod
    def _auto_is_none(cls, v):
        return None if isinstance(v, str) and v.strip().lower() == "auto" else v

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import codecs

        try:
            return codecs.lookup(v).name
        except LookupError:
            raise ValueError(
                f"unknown encoding {v!r} (use e.g. utf-8, gb18030, cp1252, cp850, or auto)"
            ) from None

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and v not in (",", ";", "\t", "|"):
            raise ValueError(f"delimiter {v!r} must be one of , ; | or a tab (or auto)")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:  # noqa: BLE001 - zoneinfo raises several types
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name like Asia/Shanghai)"
            ) from None
        return v

    @field_validator("currency")
    @classmethod
    def _iso(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) == 3 and v.isalpha() and v.isupper()):
            raise ValueError(f"currency {v!r} must be an ISO 4217 code such as USD")
        return v

    def over(self, base: ReadSettings) -> ReadSettings:
        """These settings, falling back to ``base`` for what is not set here."""
        return ReadSettings(
            **{
                name: getattr(self, name)
                if getattr(self, name) is not None
                else getattr(base, name)
                for name in ReadSettings.model_fields
            }
        )


class Condition(_Strict):
    """What one cell must hold: one of ``in`` (case-insensitive), or be empty or not."""

    in_: tuple[str, ...] = Field(default=(), alias="in")
    empty: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        if isinstance(v, str | int | float | bool) and not isinstance(v, dict):
            v = [v]
        if isinstance(v, list):
            return {"in": [str(x).lower() if isinstance(x, bool) else str(x) for x in v]}
        return v

    @model_validator(mode="after")
    def _one(self) -> Condition:
        if bool(self.in_) == (self.empty is not None):
            raise ValueError("give the values the cell must hold, or empty: true / false")
        return self


#: header -> condition; a row meets it when every header's cell does.
Conditions = dict[str, Condition]


class Case(_Strict):
    """``{when: {IsWon: "true"}, value: won}``: the value of a column when the row meets
    ``when`` (every header's cell holds one of the values given, case-insensitively)."""

    when: Conditions
    value: str

    @field_validator("when")
    @classmethod
    def _some(cls, v):
        if not v:
            raise ValueError("a case needs at least one condition under when")
        return v


class Lookup(_Strict):
    """A value from another file of the same drop: the ``value`` column of the row of
    ``file`` whose ``key`` column equals this row's ``match`` header (the first such
    row). Several steps chain: each step's result is the next step's ``match``."""

    file: tuple[str, ...]
    key: str
    value: str
    match: str | None = None  # the header of this file (first step) to look up

    @field_validator("file", mode="before")
    @classmethod
    def _patterns(cls, v):
        return (v,) if isinstance(v, str) else v


class ColumnSpec(_Strict):
    """Where one contract column comes from.

    ``header``: one header, or several (the first non-empty wins).
    ``value``: a constant for every row (the export lacks the column).
    ``template``: text built from other headers, e.g. ``"{year_established}-01-01"``
    (empty when any of them is empty).
    ``default``: used when the header is absent or the cell is empty.
    ``format``: strftime pattern(s) tried first for this date/timestamp column.
    ``lookup``: the value found in another file of the same drop (see :class:`Lookup`).
    ``cases``: conditions on the row tried in order before the source above; the first
    that holds gives the value (see :class:`Case`).
    """

    header: tuple[str, ...] = ()
    value: str | None = None
    template: str | None = None
    default: str | None = None
    format: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    lookup: tuple[Lookup, ...] = ()
    cases: tuple[Case, ...] = ()

    @field_validator("lookup", mode="before")
    @classmethod
    def _one_step(cls, v):
        return (v,) if isinstance(v, dict) else v

    @field_validator("header", "format", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return (v,) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _source(self) -> ColumnSpec:
        given = [k for k in ("header", "value", "template", "lookup") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(
                f"give one of header, value, template or lookup, not {' and '.join(given)}"
            )
        if not given and self.default is None and not self.cases:
            raise ValueError("give a header, a constant value, a template, a lookup or a default")
        if self.template is not None and not TEMPLATE_FIELD.search(self.template):
            raise ValueError("a template names at least one {header}")
        return self

    @property
    def template_headers(self) -> list[str]:
        return TEMPLATE_FIELD.findall(self.template or "")


def _vocabulary(v):
    if not isinstance(v, dict):
        return v
    return {
        col: {
            canonical: [variants] if isinstance(variants, str) else variants
            for canonical, variants in (mapping or {}).items()
        }
        for col, mapping in v.items()
    }


class Unpivot(_Strict):
    """A wide row read as several: for each header matching ``headers`` (one ``*``) whose
    cell is not empty, one row where column ``name`` holds what the ``*`` matched and
    column ``value`` holds the cell (e.g. HubSpot's "Date entered <stage>" columns)."""

    headers: str
    name: str
    value: str

    @field_validator("headers")
    @classmethod
    def _one_star(cls, v: str) -> str:
        if v.count("*") != 1:
            raise ValueError("headers must hold exactly one * (e.g. 'Date entered *')")
        return v


class EntityMapping(ReadSettings):
    """How one entity's export is found and mapped."""

    files: tuple[str, ...]
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    values: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    #: The kind of export this mapping reads, for people ("Salesforce Data Export").
    export_format: str | None = None
    #: The file also feeds other entities (each of their mappings says so too).
    shared: bool = False
    #: Only rows meeting these conditions are this entity's (the rest are counted as skipped).
    where: Conditions = Field(default_factory=dict)
    #: One row per non-empty cell of the headers matching a pattern (see :class:`Unpivot`).
    unpivot: Unpivot | None = None
    #: mode full: a file lacking more than this share of the current records marks none
    #: deleted (a truncated export must not wipe the warehouse).
    max_deleted_share: float = Field(default=0.5, gt=0, le=1)

    @field_validator("files", mode="before")
    @classmethod
    def _patterns(cls, v):
        return (v,) if isinstance(v, str) else v

    @field_validator("columns", mode="before")
    @classmethod
    def _column_shorthand(cls, v):
        if not isinstance(v, dict):
            return v
        return {k: {"header": s} if isinstance(s, str | list) else s for k, s in v.items()}

    @field_validator("values", mode="before")
    @classmethod
    def _variants_list(cls, v):
        return _vocabulary(v)

    def matches(self, file_name: str) -> bool:
        name = file_name.lower()
        stem = name[:-3] if name.endswith(".gz") else name
        return any(
            fnmatch.fnmatchcase(name, p.lower()) or fnmatch.fnmatchcase(stem, p.lower())
            for p in self.files
        )


class Profile(_Strict):
    profile: str
    description: str = ""
    defaults: ReadSettings = ReadSettings()
    #: Entities the profile does not map are read as canonical files (<entity>.csv).
    canonical_fallback: bool = True
    #: Each entity's (first) mapping; ``readings`` holds all of them.
    entities: dict[str, EntityMapping] = Field(default_factory=dict)
    #: Vocabulary for every entity that has the column (added to the entities' own).
    values: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    #: entity -> its mappings: an entity mapped as a list is read from several files
    #: (each with its own columns), together as one export. Filled from ``entities``.
    readings: dict[str, tuple[EntityMapping, ...]] = Field(default_factory=dict, repr=False)

    #: File the profile was read from and ``file:line`` of each setting (by the loader).
    source: str = ""
    lines: dict[str, str] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _readings(cls, data):
        if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
            return data
        if "readings" in data:
            return data
        entities, readings = {}, {}
        for name, mapping in data["entities"].items():
            listed = mapping if isinstance(mapping, list) else [mapping]
            readings[name] = listed
            entities[name] = listed[0] if listed else mapping
        return {**data, "entities": entities, "readings": readings}

    @field_validator("values", mode="before")
    @classmethod
    def _variants_list(cls, v):
        return _vocabulary(v)

    def with_shared_values(self) -> Profile:
        """The top-level ``values`` added to every reading of an entity with that column."""
        if not self.values:
            return self
        readings = {
            name: tuple(_with_vocabulary(r, name, self.values) for r in mappings)
            for name, mappings in self.readings.items()
        }
        entities = {name: mappings[0] for name, mappings in readings.items()}
        return self.model_copy(update={"readings": readings, "entities": entities})

    def line_of(self, *path: str | int) -> str:
        """``file:line`` of a setting (or of the nearest enclosing one)."""
        parts = [str(p) for p in path]
        while parts:
            key = ".".join(parts)
            if key in self.lines:
                return self.lines[key]
            parts.pop()
        return self.source or f"profile {self.profile}"

    #: Entities the profile file itself maps (the rest came from the canonical fallback).
    own_entities: tuple[str, ...] = ()

    def entity_for(self, file_name: str) -> str | None:
        """The first entity a file holds (see :meth:`entities_for`), or None."""
        found = self.entities_for(file_name)
        return found[0] if found else None

    def entities_for(self, file_name: str) -> list[str]:
        """The entities a file holds: every own entity with a mapping whose patterns
        match it (one file may feed several), else the canonical fallback's."""
        own = self.own_entities or tuple(self.entities)
        claims = [n for n in own if self.reading_for(n, file_name) is not None]
        unshared = [n for n in claims if not self.reading_for(n, file_name).shared]
        if len(claims) > 1 and unshared:
            where = ", ".join(f"{n} ({self.line_of('entities', n, 'files')})" for n in claims)
            raise SalesOpsError(
                f"the file {file_name} matches the patterns of several entities: {where}",
                "make the files patterns of those entities specific enough that each file "
                "matches one entity; or, when the file really holds rows of several entities, "
                f"set shared: true on each of those mappings (not set on: {', '.join(unshared)})",
            )
        if claims:
            return claims
        return [
            name
            for name in self.readings
            if name not in own and self.reading_for(name, file_name) is not None
        ]

    def reading_for(self, entity: str, file_name: str) -> EntityMapping | None:
        """The mapping of ``entity`` that reads ``file_name`` (the first that matches)."""
        for mapping in self.readings.get(entity) or (self.entities[entity],):
            if mapping.matches(file_name):
                return mapping
        return None

    def reading_index(self, entity: str, mapping: EntityMapping) -> int:
        return next(
            i for i, m in enumerate(self.readings.get(entity) or (mapping,)) if m is mapping
        )


def _with_vocabulary(mapping: EntityMapping, entity: str, shared: dict) -> EntityMapping:
    known = ENTITY_BY_NAME[entity].column_names
    values = {col: dict(vocab) for col, vocab in mapping.values.items()}
    for column, vocabulary in shared.items():
        if column not in known:
            continue
        own = values.setdefault(column, {})
        listed = {v.strip().casefold() for vs in own.values() for v in vs}
        for canonical, variants in vocabulary.items():
            extra = tuple(v for v in variants if v.strip().casefold() not in listed)
            own[canonical] = tuple(own.get(canonical, ())) + extra
    return mapping.model_copy(update={"values": values})


def contract_problems(data: dict) -> list[tuple[tuple[str, ...], str]]:
    """(setting path, problem) for entity and column names the contract does not know.

    Works on the raw YAML data, so these are reported together with any other
    problem of the profile.
    """
    problems = []
    shared = data.get("values") if isinstance(data, dict) else None
    for column in shared if isinstance(shared, dict) else ():
        if not any(column in e.column_names for e in ENTITY_BY_NAME.values()):
            problems.append(
                (("values", str(column)), f"no entity of the contract has a column {column!r}")
            )
    entities = data.get("entities") if isinstance(data, dict) else None
    for where, name, mapping in _each_reading(entities):
        if name not in ENTITY_BY_NAME:
            problems.append(
                (
                    where,
                    f"unknown entity {name!r}; known entities: {', '.join(ENTITY_BY_NAME)}",
                )
            )
            continue
        known = ENTITY_BY_NAME[name].column_names
        for section in ("columns", "values"):
            block = (mapping or {}).get(section) if isinstance(mapping, dict) else None
            for col in block or {} if isinstance(block, dict) else ():
                if col not in known:
                    problems.append(
                        (
                            (*where, section, str(col)),
                            f"entity {name} has no column {col!r}; its columns: {', '.join(known)}",
                        )
                    )
    return problems


def _each_reading(entities):
    """(setting path, entity, mapping) of every mapping in raw ``entities`` data."""
    if not isinstance(entities, dict):
        return
    for name, mapping in entities.items():
        if isinstance(mapping, list):
            for i, m in enumerate(mapping):
                yield ("entities", name, i), name, m
        else:
            yield ("entities", name), name, mapping
