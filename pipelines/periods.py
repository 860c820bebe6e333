"""Period labels shared by the CLI and the reports (the marts compute their own in dbt)."""

from __future__ import annotations

import re
from datetime import date

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_quarter(label: str) -> tuple[int, int]:
    m = QUARTER_RE.match(label.strip().upper())
    if not m:
        raise ValueError(f"quarter {label!r} is not like 2026Q3 (year, 'Q', 1-4)")
    return int(m.group(1)), int(m.group(2))
