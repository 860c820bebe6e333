"""What every pack section is made of, and the display helpers the sections share.

A section is one module of this package holding its SQL, its dataclasses, its commentary
rules and its context builder, declared as one :class:`Section`:

- ``key``: names the block ``reports/templates/sections/<key>.html``, the anchor, the
  contents entry and sheet title (``section.<key>`` in ``reports/i18n/*.toml``);
- ``marts``: the tables it reads, checked before any pack is read (``optional_marts``: read
  only when present; a section whose load returns ``None`` without them is left out);
- ``entities``: the input entities its figures are computed from; when one was never
  loaded (:mod:`pipelines.warehouse.inputs`) the section shows why instead of its figures,
  and one loaded long ago is named as stale. ``figure_entities``: the same per figure, for a
  section whose figures come from different entities (the KPIs): those figures are n/a;
  ``follows_lead``: the section's figures are the pack's lead amount (``Frame.lead``:
  revenue, or bookings when no orders were loaded), so it needs the lead's entity too;
- ``load(con, frame)``: its figures as plain values (``None``: left out of this pack);
- ``context(data, ctx)``: a :class:`SectionContent`: formatted values for the template,
  typed tables for the workbook (its sheet), commentary sentences (``None``: left out);
- ``glance(data, content, ctx)``: its sentence of "At a glance", if it has one.

The template receives strings (already formatted), small dicts and lists, and ``Markup``
only for the generated SVG charts; every other value, including all CRM text, is escaped
by Jinja. Contact details are masked in the whole context ``document.build_context`` returns
(``pipelines.core.masking``), so every text a section emits is covered; ``Ctx.crm`` only
serves a section that needs the masked form itself (e.g. to compare or count it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import duckdb

from pipelines.core.i18n import Strings
from pipelines.core.masking import mask_contacts
from pipelines.packs.formatting import Formatter, to_decimal
from pipelines.packs.frame import Frame
from pipelines.packs.tables import Table

T = TypeVar("T")


@dataclass(frozen=True)
class Ctx:
    """What every section builder needs besides its data: wording, formats, the frame."""

    t: Strings
    fmt: Formatter
    frame: Frame
    mask: bool = True
    #: entity -> what the pack does not show without it (section titles, figure labels)
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def missing(self, entities: Iterable[str]) -> list[str]:
        """Those of ``entities`` never loaded as of the pack's date (see ``Frame.inputs``)."""
        return self.frame.missing(entities)

    def missing_note(self, entities: Iterable[str]) -> str:
        """``No payments loaded: Receivables aging, Collections are not shown.``"""
        missing = self.missing(entities)
        shown = list(dict.fromkeys(x for e in missing for x in self.needs.get(e, ())))
        return self.t(
            "inputs.not_loaded",
            entities=self.t("inputs.list_sep").join(missing),
            figures=self.t("inputs.list_sep").join(shown),
        )

    @property
    def period(self) -> str:
        """The period's label: ``2026Q3`` / ``2026-07``."""
        return self.frame.period.label

    @property
    def previous(self) -> str:
        """Label of the previous period."""
        return self.frame.period.previous().label

    @property
    def year_ago(self) -> str:
        """Label of the same period a year earlier."""
        return self.frame.period.year_ago().label

    @property
    def kind(self) -> str:
        """``quarter`` / ``month``."""
        return self.frame.period.period_type

    @property
    def level(self) -> str:
        """The scope's level: ``company`` / ``region`` / ``team`` / ``rep``."""
        return self.frame.scope.level

    def crm(self, text: str | None) -> str | None:
        """CRM free text as the pack prints it: contact details masked unless unmasked."""
        return mask_contacts(text) if self.mask else text

    def p(self, key: str, **values: object) -> str:
        """A string of the period kind: ``p('pop')`` -> ``QoQ`` / ``MoM``."""
        return self.t(f"period.{self.kind}.{key}", **values)


@dataclass
class SectionContent:
    data: dict[str, Any]
    commentary: list[str]
    tables: list[Table] = field(default_factory=list)  # the section's sheet in the workbook


@dataclass(frozen=True)
class Section(Generic[T]):
    """One section of the pack (see the module docstring)."""

    key: str
    marts: tuple[str, ...]
    load: Callable[[duckdb.DuckDBPyConnection, Frame], T | None]
    context: Callable[[T, Ctx], SectionContent | None]
    optional_marts: tuple[str, ...] = ()
    glance: Callable[[T, SectionContent, Ctx], str | None] | None = None
    entities: tuple[str, ...] = ()
    figure_entities: dict[str, tuple[str, ...]] = field(default_factory=dict)
    appendix: bool = False  # printed as an appendix (class "appendix" on its block)
    follows_lead: bool = False

    @property
    def template(self) -> str:
        return f"sections/{self.key}.html"

    def needs(self, frame: Frame) -> tuple[str, ...]:
        """The entities the section's figures are computed from in this pack."""
        lead = (frame.lead.entity,) if self.follows_lead else ()
        return tuple(dict.fromkeys((*self.entities, *lead)))


@dataclass(frozen=True)
class RenderedSection:
    """A section as one pack shows it: numbered in pack order, with its content."""

    key: str
    number: int
    title: str
    template: str
    appendix: bool
    data: dict[str, Any]
    commentary: list[str]
    tables: list[Table]


# --------------------------------------------------------------------------- display helpers


def format_kind(fmt: Formatter, kind: str, value, headline: bool = True) -> str:
    if kind == "money":
        return fmt.headline_money(value) if headline else fmt.money(value)
    if kind == "pct":
        return fmt.pct(value)
    if kind == "days":
        return fmt.days(value)
    if kind == "count":
        return fmt.number(value, 0) if isinstance(value, Decimal) else fmt.count(value)
    if kind == "date":
        return fmt.date(value)
    return fmt.na if value is None else str(value)


def status(attainment: float | None) -> str:
    """CSS status of an attainment: ``met`` (100% and up), ``near`` (80%), ``below``, ``none``."""
    d = to_decimal(attainment)
    if d is None:
        return "none"
    if d >= 1:
        return "met"
    return "near" if d >= Decimal("0.8") else "below"


def unit(t: Strings, divisor: int, currency: str) -> str:
    """A money axis' unit: ``CNY thousands`` / ``千元`` ..."""
    return t(f"trend.unit_{divisor}", currency=currency)


def reverse_text(text: str) -> tuple[int, ...]:
    """Sort key that reverses string order (ties in max() go to the alphabetically first)."""
    return tuple(-ord(c) for c in text)


#: A table of more columns than this prints smaller (class ``wide``) to fit the page.
WIDE_COLUMNS = 6


def grid(key: str, heading: str | None, table: Table, rows: list[list[str]]) -> dict[str, Any]:
    """A table for the template macro ``m.grid``: a heading, column labels (numeric columns
    right-aligned) and rows of already formatted strings."""
    return dict(
        id=f"{key}-table",
        heading=heading,
        columns=[dict(label=col.label, num=col.kind != "text") for col in table.columns],
        rows=rows,
        wide=len(table.columns) > WIDE_COLUMNS,
    )


def table_grid(
    key: str,
    heading: str | None,
    table: Table,
    fmt: Formatter,
    cells: dict[int, Callable[[Any], str]] | None = None,
) -> dict[str, Any]:
    """The HTML grid of ``table``, each value formatted as its kind says (the row's kind
    where the table has ``row_kinds``, amounts in full); ``cells`` formats the columns of
    those indexes another way. The workbook gets ``table`` itself: one set of values, two
    renderings."""
    rows = []
    for i, row in enumerate(table.rows):
        shown = []
        for j, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            kind = column.kind
            if table.row_kinds is not None and kind != "text":
                kind = table.row_kinds[i]
            if cells and j in cells:
                shown.append(cells[j](value))
            else:
                shown.append(format_kind(fmt, kind, value, headline=False))
        rows.append(shown)
    return grid(key, heading, table, rows)
