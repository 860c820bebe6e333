"""Period labels (months, quarters) and date arithmetic shared by the CLI, the run and the reports.

The marts compute their own periods in dbt; this is only label arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_QUARTER_RE = re.compile(r"(\d{4})Q([1-4])")
_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter label as the marts write it (``2026Q3``).

    Only the label is arithmetic here; the quarter's dates come from the marts
    (``period_start`` / ``period_end``) so fiscal calendars work unchanged.
    """

    year: int
    number: int

    @classmethod
    def parse(cls, text: object) -> Quarter:
        m = _QUARTER_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f"malformed quarter {text!r}: expected a year and quarter like '2026Q3' "
                "(four-digit year, 'Q', quarter 1-4)"
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The calendar quarter containing ``day``."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def same_quarter_last_year(self) -> Quarter:
        return Quarter(self.year - 1, self.number)

    #: ``period_type`` of the marts' rows for this kind of period.
    period_type = "quarter"

    def year_ago(self) -> Quarter:
        return self.same_quarter_last_year()

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month as the marts label it (``2026-07``); months are never fiscal."""

    year: int
    number: int

    period_type = "month"

    @classmethod
    def parse(cls, text: object) -> Month:
        m = _MONTH_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(f"malformed month {text!r}: expected a month like '2026-07'")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.number:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.number, 1)

    def previous(self) -> Month:
        return Month.of(add_months(self.start, -1))

    def year_ago(self) -> Month:
        return Month(self.year - 1, self.number)

    def __str__(self) -> str:
        return self.label


Period = Quarter | Month


def parse_period(text: object) -> Period:
    """``2026Q3`` -> a quarter, ``2026-07`` -> a month; ``ValueError`` naming both forms."""
    if isinstance(text, str):
        if _QUARTER_RE.fullmatch(text):
            return Quarter.parse(text)
        if _MONTH_RE.fullmatch(text):
            return Month.parse(text)
    raise ValueError(
        f"malformed period {text!r}: expected a quarter like '2026Q3' or a month like '2026-07'"
    )


def fiscal_quarter_of(day: date, fiscal_year_start_month: int = 1) -> Quarter:
    """The (fiscal) quarter containing ``day``, labelled as the marts label it.

    A fiscal year is labelled by the calendar year in which it starts (dbt macro
    ``period_label``): with start month 4, 2026Q1 = April to June 2026.
    """
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, got {fiscal_year_start_month}")
    shifted = add_months(day, -(fiscal_year_start_month - 1))
    return Quarter(shifted.year, (shifted.month - 1) // 3 + 1)


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """First day of the month ``months`` after ``d``'s month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def trailing_month_starts(last_day: date, count: int = 12) -> list[date]:
    """First days of the ``count`` calendar months ending with ``last_day``'s month."""
    last = month_start(last_day)
    return [add_months(last, -offset) for offset in range(count - 1, -1, -1)]


def resolve_as_of(
    quarter_end: date, requested: date | None, latest_load_as_of: date | None
) -> date:
    """The pack's as-of date.

    Default: the quarter end, or the latest load's as-of date if that is earlier
    (a quarter still in progress). An explicit date is honoured but never past
    the quarter end.
    """
    if requested is not None:
        return min(quarter_end, requested)
    if latest_load_as_of is not None:
        return min(quarter_end, latest_load_as_of)
    return quarter_end
