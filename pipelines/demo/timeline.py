"""The simulation's clock and dice: one random stream and the calendar of the history.

``Timeline(seed, scale, end)`` holds the single ``random.Random(seed)`` every part of the
simulation draws from, the two years of days ending on ``end``, and the helpers that turn
draws into business-hour times and busy-weighted days. Business grows over the history
(``GROWTH``) and follows the calendar months (``SEASON``); weekends are quiet.
"""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, timedelta

#: Relative business per calendar month (Chinese New Year dip, year-end push).
SEASON = {
    1: 0.9,
    2: 0.6,
    3: 1.05,
    4: 1.0,
    5: 1.0,
    6: 1.1,
    7: 0.95,
    8: 0.95,
    9: 1.15,
    10: 0.8,
    11: 1.1,
    12: 1.2,
}
GROWTH = 0.35  # business grows ~35% across the two years


def minus_two_years(d: date) -> date:
    try:
        return d.replace(year=d.year - 2)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 2, day=28)


class Timeline:
    """The random stream, the scale and the days of the history (``start`` to ``end``)."""

    def __init__(self, seed: int, scale: float, end: date) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.end = end
        self.start = minus_two_years(end) + timedelta(days=1)
        self.end_dt = datetime(end.year, end.month, end.day, 23, 59, 59)
        self.span = (end - self.start).days + 1
        self.days = [self.start + timedelta(days=i) for i in range(self.span)]
        acc = 0.0
        self.day_cum: list[float] = []
        for i, d in enumerate(self.days):
            w = (1 + GROWTH * i / self.span) * SEASON[d.month] * (1.0 if d.weekday() < 5 else 0.1)
            acc += w
            self.day_cum.append(acc)

    def count(self, base: int, minimum: int) -> int:
        """``base`` rows at scale 1, scaled, never fewer than ``minimum``."""
        return max(minimum, round(base * self.scale))

    def biz_time(self, d: date) -> datetime:
        """A business-hours time on ``d``; a weekend day moves to Monday (if not past the end)."""
        moved = d
        while moved.weekday() >= 5:
            moved += timedelta(days=1)
        if moved <= self.end or d > self.end:  # never push an event past the drop date
            d = moved
        r = self.rng
        return datetime(
            d.year, d.month, d.day, r.randint(9, 17), r.randint(0, 59), r.randint(0, 59)
        )

    def after(self, t: datetime, days: int) -> datetime:
        """A business-hours time ``days`` days after ``t``."""
        return self.biz_time(t.date() + timedelta(days=days))

    def between(self, a: datetime, b: datetime) -> datetime:
        """A time strictly inside (a, b), preferring weekday business hours."""
        span = int((b - a).total_seconds())
        if span < 2:
            return a
        t = a
        for _ in range(8):
            t = a + timedelta(seconds=self.rng.randint(1, span - 1))
            if 9 <= t.hour < 19 and (t.weekday() < 5 or self.rng.random() < 0.1):
                return t
        return t

    def sample_day(self, hi: date | None = None, lo: date | None = None) -> date:
        """A day in [lo, hi] of the history, weighted by trend, season and weekday."""
        k = self.span if hi is None else bisect.bisect_right(self.days, hi)
        j = 0 if lo is None else bisect.bisect_left(self.days, lo)
        if k <= j:
            return self.days[min(j, self.span - 1)]
        base = self.day_cum[j - 1] if j > 0 else 0.0
        x = base + self.rng.random() * (self.day_cum[k - 1] - base)
        return self.days[min(bisect.bisect_right(self.day_cum, x), k - 1)]
