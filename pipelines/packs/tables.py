"""Typed tables: the figures of a section as values, for the Excel workbook.

The HTML shows formatted strings; a workbook needs the values themselves with a
number format. Each section builder emits its tables twice from the same
values: formatted for the template, typed here (money stays ``Decimal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: money: Decimal amount; count: int; pct: ratio (0.875 = 87.5%); days / number: a
#: float or Decimal; date: datetime.date; text: str (contact details in it are masked with the
#: rest of the pack's context, see ``pipelines.core.masking``).
Kind = Literal["text", "money", "count", "pct", "days", "number", "date"]


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    key: str  # stable id, e.g. "aging" (HTML table ids are "<key>-table" or similar)
    title: str
    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)
    #: Per-row kind of the value columns (a KPI table mixes money, % and counts);
    #: None: each column's own kind.
    row_kinds: list[Kind] | None = None
