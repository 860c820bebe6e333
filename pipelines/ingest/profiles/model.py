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


class ColumnSpec(_Strict):
    """Where one contract column comes from.

    ``header``: one header, or several (the first non-empty wins).
    ``value``: a constant for every row (the export lacks the column).
    ``template``: text built from other headers, e.g. ``"{year_established}-01-01"``
    (empty when any of them is empty).
    ``default``: used when the header is absent or the cell is empty.
    ``format``: strftime pattern(s) tried first for this date/timestamp column.
    """

    header: tuple[str, ...] = ()
    value: str | None = None
    template: str | None = None
    default: str | None = None
    format: tuple[str, ...] = ()
    date_order: DateOrder | None = None

    @field_validator("header", "format", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return (v,) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _source(self) -> ColumnSpec:
        given = [k for k in ("header", "value", "template") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"give one of header, value or template, not {' and '.join(given)}")
        if not given and self.default is None:
            raise ValueError("give a header, a constant value, a template or a default")
        if self.template is not None and not TEMPLATE_FIELD.search(self.template):
            raise ValueError("a template names at least one {header}")
        return self

    @property
    def template_headers(self) -> list[str]:
        return TEMPLATE_FIELD.findall(self.template or "")


class EntityMapping(ReadSettings):
    """How one entity's export is found and mapped."""

    files: tuple[str, ...]
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    values: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
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
        if not isinstance(v, dict):
            return v
        return {
            col: {
                canonical: [variants] if isinstance(variants, str) else variants
                for canonical, variants in (mapping or {}).items()
            }
            for col, mapping in v.items()
        }

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
    entities: dict[str, EntityMapping]

    #: File the profile was read from and the line of each setting (filled by the loader).
    source: str = ""
    lines: dict[str, int] = Field(default_factory=dict, repr=False)

    def line_of(self, *path: str | int) -> str:
        """``file:line`` of a setting (or of the nearest enclosing one)."""
        parts = [str(p) for p in path]
        while parts:
            key = ".".join(parts)
            if key in self.lines:
                return f"{self.source}:{self.lines[key]}"
            parts.pop()
        return self.source or f"profile {self.profile}"

    #: Entities the profile file itself maps (the rest came from the canonical fallback).
    own_entities: tuple[str, ...] = ()

    def entity_for(self, file_name: str) -> str | None:
        """The entity a file holds: the profile's own patterns first, then the fallback.

        A file matched by the patterns of two of the profile's own entities is an
        error in the profile, reported with both lines.
        """
        own = self.own_entities or tuple(self.entities)
        claims = [n for n in own if self.entities[n].matches(file_name)]
        if len(claims) > 1:
            where = ", ".join(f"{n} ({self.line_of('entities', n, 'files')})" for n in claims)
            raise SalesOpsError(
                f"the file {file_name} matches the patterns of several entities: {where}",
                "make the files patterns of those entities in the profile specific enough "
                "that each file matches one entity",
            )
        if claims:
            return claims[0]
        for name, mapping in self.entities.items():
            if name not in own and mapping.matches(file_name):
                return name
        return None


def contract_problems(data: dict) -> list[tuple[tuple[str, ...], str]]:
    """(setting path, problem) for entity and column names the contract does not know.

    Works on the raw YAML data, so these are reported together with any other
    problem of the profile.
    """
    problems = []
    entities = data.get("entities") if isinstance(data, dict) else None
    for name, mapping in (entities or {}).items() if isinstance(entities, dict) else ():
        if name not in ENTITY_BY_NAME:
            problems.append(
                (
                    ("entities", name),
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
                            ("entities", name, section, str(col)),
                            f"entity {name} has no column {col!r}; its columns: {', '.join(known)}",
                        )
                    )
    return problems
