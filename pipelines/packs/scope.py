"""Who a pack is for: the company, one region, one team or one rep.

A scope maps one-to-one onto the ``level`` / ``scope_id`` of
``marts.fct_sales_performance``. Rows of other marts that carry a rep are kept when
that rep belongs to the scope (``Scope.rep_filter``): on the team and region the row
itself carries where it has them (receivables: the team at the order date; a rep's
rows of a period: the team of that period), else on the rep's current team
(data-quality findings, which go to today's owner). That is the one rule that keeps a
rep's pack free of other reps' individual rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb

from pipelines.core.file_names import file_part

Level = Literal["company", "region", "team", "rep"]
LEVELS: tuple[Level, ...] = ("company", "region", "team", "rep")
COMPANY_SCOPE_ID = "all"


@dataclass(frozen=True)
class Scope:
    level: Level
    scope_id: str  # 'all' for the company, else region / team name or rep_id

    @classmethod
    def company(cls) -> Scope:
        return cls("company", COMPANY_SCOPE_ID)

    @classmethod
    def parse(cls, text: object) -> Scope:
        """``company``, ``region:华东``, ``team:华东一组`` or ``rep:R01``."""
        if isinstance(text, str):
            text = text.strip()
            if text == "company":
                return cls.company()
            level, sep, scope_id = text.partition(":")
            if sep and level in ("region", "team", "rep") and scope_id.strip():
                return cls(level, scope_id.strip())  # type: ignore[arg-type]
        raise ValueError(
            f"malformed scope {text!r}: expected company, region:NAME, team:NAME or rep:REP_ID"
        )

    @property
    def label(self) -> str:
        return "company" if self.level == "company" else f"{self.level}:{self.scope_id}"

    @property
    def slug(self) -> str:
        """File-name part: ``company``, ``team-华东一组``; a name that is no file name as it
        is gets a hash of itself, so two scopes never share a file
        (:func:`pipelines.core.file_names.file_part`)."""
        if self.level == "company":
            return "company"
        return f"{self.level}-{file_part(self.scope_id)}"

    def rep_filter(
        self, rep_column: str, team_column: str | None = None, region_column: str | None = None
    ) -> tuple[str, list[object]]:
        """A SQL predicate (and its parameters) keeping rows whose ``rep_column`` is in scope.

        Company keeps every row (also rows without a rep). Rows that carry the team and
        region as they were (``team_column`` / ``region_column``: an order's team at the
        order date, a rep's team in the period) are kept on those; otherwise a region or
        team keeps the rows whose rep is in it now (``marts.dim_sales_reps``).
        """
        if self.level == "company":
            return "true", []
        if self.level == "rep":
            return f"{rep_column} = ?", [self.scope_id]
        own = team_column if self.level == "team" else region_column
        if own is not None:
            return f"{own} = ?", [self.scope_id]
        return (
            f"{rep_column} in (select rep_id from marts.dim_sales_reps where {self.level} = ?)",
            [self.scope_id],
        )


def scope_exists(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    if scope.level == "company":
        return True
    column = {"region": "region", "team": "team", "rep": "rep_id"}[scope.level]
    row = con.execute(
        f"select count(*) from marts.dim_sales_reps where {column} = ?", [scope.scope_id]
    ).fetchone()
    return bool(row and row[0])


def all_scopes(con: duckdb.DuckDBPyConnection, period_type: str, period: str) -> list[Scope]:
    """Every scope with a row in ``fct_sales_performance`` for the period, company first."""
    rows = con.execute(
        """select level, scope_id from marts.fct_sales_performance
           where period_type = ? and period = ? and scope_id is not null
           order by case level when 'company' then 0 when 'region' then 1
                               when 'team' then 2 else 3 end, scope_id""",
        [period_type, period],
    ).fetchall()
    return [Scope(level, scope_id) for level, scope_id in rows if level in LEVELS]
