"""One pack's document: the frame, every section of ``SECTIONS`` in order, "At a glance".

Knows no section by name: it reads the frame, lets each registered section load its figures
and build its content, numbers the sections that apply, and collects their glance sentences
in pack order. The result is the template context of ``reports/templates/pack.html`` (and
of the workbook: ``excel.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
from markupsafe import Markup

from pipelines.core.i18n import Strings
from pipelines.core.masking import mask_values
from pipelines.core.periods import Period
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, read_frame
from pipelines.packs.scope import Scope
from pipelines.packs.sections import REQUIRED_TABLES, SECTIONS
from pipelines.packs.sections.base import Ctx, RenderedSection, Section, SectionContent
from pipelines.warehouse.inputs import EntityInput


@dataclass(frozen=True)
class PackData:
    """Everything one pack (period x scope) shows, read in one go."""

    frame: Frame
    sections: list[tuple[Section, Any]]  # each registered section and its figures


def read_pack_data(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope | None = None,
    as_of_date: date | None = None,
    inputs_as_of: Callable[[date], dict[str, EntityInput] | None] | None = None,
) -> PackData:
    """Read everything one pack needs; ``NoDataForPeriod`` if the scope has no data for it.

    A past period is read as of its end: the receivables snapshot and the open
    data-quality findings are the latest on or before min(period end, as_of_date).
    ``con`` is the warehouse, or a set's copy of the tables the packs read
    (:class:`pipelines.packs.source.PackSource`, with its ``inputs_as_of``).
    """
    frame = read_frame(
        con, period, scope or Scope.company(), as_of_date, REQUIRED_TABLES, inputs_as_of
    )
    return PackData(frame, [(s, s.load(con, frame)) for s in SECTIONS])


def pack_figures(data: PackData) -> tuple[Frame, tuple[Any, ...]]:
    """What a pack's data is made of, without the sections' code: the frame and each
    section's figures in ``SECTIONS`` order (sent to the process that renders it)."""
    return data.frame, tuple(figures for _, figures in data.sections)


def pack_data(frame: Frame, figures: tuple[Any, ...]) -> PackData:
    """The inverse of :func:`pack_figures`."""
    return PackData(frame, list(zip(SECTIONS, figures, strict=True)))


#: The block a section shows instead of its figures when an entity it needs was never loaded.
MISSING_INPUTS_TEMPLATE = "sections/missing_inputs.html"


def entity_needs(t: Strings, frame: Frame) -> dict[str, tuple[str, ...]]:
    """entity -> what the pack cannot show without it: the titles of the sections that need it
    and the labels of the figures that do (each section's ``needs``/``figure_entities``)."""
    needs: dict[str, list[str]] = {}
    for section in SECTIONS:
        for e in section.needs(frame):
            needs.setdefault(e, []).append(t(f"section.{section.key}"))
        for figure, entities in section.figure_entities.items():
            for e in entities:
                needs.setdefault(e, []).append(t(f"kpi.{figure}"))
    return {e: tuple(dict.fromkeys(labels)) for e, labels in needs.items()}


def scope_name(frame: Frame, t: Strings, company_name: str | None = None) -> str:
    scope = frame.scope
    if scope.level == "company":
        return company_name or t("pack.scope_company")
    if scope.level == "rep":
        return t(
            "scope.rep",
            rep_id=scope.scope_id,
            name=frame.rep_name or scope.scope_id,
            team=frame.rep_team or t("fmt.na"),
        )
    return t(f"scope.{scope.level}", name=scope.scope_id)


def build_context(
    data: PackData,
    t: Strings,
    fmt: Formatter,
    *,
    css: str,
    generated_at: datetime,
    company_name: str | None = None,
    mask_contacts: bool = True,
) -> dict[str, Any]:
    frame = data.frame
    period, cur = frame.period, frame.current
    c = Ctx(t=t, fmt=fmt, frame=frame, mask=mask_contacts, needs=entity_needs(t, frame))
    # The marts only go as far as the loads: a period is "in progress" when the
    # latest load's as-of date is before its end (an explicit earlier as_of_date
    # only moves the receivables snapshot).
    in_progress = frame.latest_load_as_of is not None and frame.latest_load_as_of < cur.period_end
    scope = scope_name(frame, t, company_name)
    header = dict(
        company=scope,
        scope_level=t(f"level.{frame.scope.level}"),
        quarter=period.label,
        period_name=c.p("header"),
        period=t(
            "header.period_range", start=fmt.date(cur.period_start), end=fmt.date(cur.period_end)
        ),
        as_of=fmt.date(frame.as_of_date),
        generated_at=fmt.timestamp(generated_at),
        currency=fmt.currency,
        eyebrow=c.p("eyebrow"),
        in_progress=c.p(
            "in_progress",
            start=fmt.date(cur.period_start),
            loaded=fmt.date(frame.latest_load_as_of),
        )
        if in_progress
        else None,
    )
    sections: list[RenderedSection] = []
    summary: list[str] = []
    for section, figures in data.sections:
        needed = section.needs(frame)
        if frame.missing(needed):
            # Figures computed from an entity never loaded would be figures of its absence.
            content = SectionContent({}, [c.missing_note(needed)])
            template, glance = MISSING_INPUTS_TEMPLATE, None
        else:
            content = section.context(figures, c) if figures is not None else None
            template, glance = section.template, section.glance
        if content is None:
            continue
        entities = (*needed, *(e for es in section.figure_entities.values() for e in es))
        for old in frame.stale(dict.fromkeys(entities)):
            content.commentary.append(
                t(
                    "inputs.stale",
                    entity=old.entity,
                    date=fmt.date(old.last_loaded),
                    days=fmt.count(old.days_old),
                )
            )
        sections.append(
            RenderedSection(
                key=section.key,
                number=len(sections) + 1,
                title=t(f"section.{section.key}"),
                template=template,
                appendix=section.appendix,
                data=content.data,
                commentary=content.commentary,
                tables=content.tables,
            )
        )
        sentence = glance(figures, content, c) if glance and figures is not None else None
        if sentence is not None:
            summary.append(sentence)
    never = frame.missing(c.needs)
    if never:
        summary.insert(0, c.missing_note(never))

    context = dict(
        t=t,
        html_lang=t("meta.html_lang"),
        css=Markup(css),
        document_title=c.p("document_title", period=period.label, scope=scope),
        header=header,
        summary=summary,
        sections=sections,
    )
    # One place for the whole pack: every text the HTML, PDF and workbook show is masked here.
    return mask_values(context) if mask_contacts else context
