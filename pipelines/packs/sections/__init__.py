"""The sections of a review pack, one module each; ``SECTIONS`` is the only list of them.

Each module holds its section's SQL (against the marts), its dataclasses, its commentary
rules and its context builder, declared as one ``Section`` (``base.py``). The pack shows them
in the order of ``SECTIONS``; a section that does not apply to a scope (the ranking in a
rep's pack) or whose optional marts are missing is left out and the others are renumbered.

The tables a pack reads follow from the declarations: ``REQUIRED_TABLES`` (checked before a
pack is read: the frame's and every section's ``marts``) and ``PACK_MARTS`` (the dbt models
of every table the packs read, optional ones included: the Dagster assets depend on them).
"""

from __future__ import annotations

from pipelines.packs.frame import FRAME_TABLES
from pipelines.packs.sections import (
    channels,
    customers,
    forecast,
    funnel,
    kpis,
    pipeline,
    process,
    quality,
    ranking,
    receivables,
    scorecard,
    trend,
)
from pipelines.packs.sections.base import Section

#: The pack's sections in pack order.
SECTIONS: tuple[Section, ...] = (
    kpis.SECTION,
    trend.SECTION,
    forecast.SECTION,
    funnel.SECTION,
    ranking.SECTION,
    scorecard.SECTION,
    process.SECTION,
    pipeline.SECTION,
    receivables.SECTION,
    customers.SECTION,
    channels.SECTION,
    quality.SECTION,
)


def _unique(tables: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tables))


#: Tables every pack needs (``schema.name``): a warehouse without one is refused up front.
REQUIRED_TABLES: tuple[str, ...] = _unique(
    [*FRAME_TABLES, *(table for s in SECTIONS for table in s.marts)]
)

#: Every table a pack may read, the optional ones (later marts) included.
TABLES_READ: tuple[str, ...] = _unique(
    [*REQUIRED_TABLES, *(table for s in SECTIONS for table in s.optional_marts)]
)

#: The dbt models (schema ``marts``) the packs read, by model name.
PACK_MARTS: tuple[str, ...] = tuple(
    table.split(".", 1)[1] for table in TABLES_READ if table.startswith("marts.")
)

__all__ = ["PACK_MARTS", "REQUIRED_TABLES", "SECTIONS", "TABLES_READ", "Section"]
