"""Attainment ranking: the scope's teams and reps by attainment (not in a rep's pack).

Reads ``marts.fct_sales_performance`` (levels team and rep) with the region of each team
and the name of each rep from ``marts.dim_sales_reps``; a rep ranks in the team and region
of the period (``fct_rep_scorecard``), else today's. A rep's pack has no ranking: it would
hold other reps' individual rows. Ranked by the attainment of the pack's lead amount
(``Frame.lead``): revenue, or bookings (won amount) in a pack without orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter, to_decimal
from pipelines.packs.frame import REVENUE, Frame, Lead
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, status
from pipelines.packs.tables import Column, Table

#: Attainment at which a bar is full width in the ranking tables.
BAR_CAP = Decimal("1.5")


@dataclass(frozen=True)
class RankingRow:
    scope_id: str
    name: str  # rep name (falls back to rep_id) or team name
    team: str | None
    region: str | None
    is_active: bool | None
    revenue: Decimal
    revenue_target: Decimal | None
    revenue_attainment: float | None
    won: int
    lost: int
    win_rate: float | None
    won_amount: Decimal
    won_amount_target: Decimal | None
    won_amount_attainment: float | None

    def amount(self, lead: Lead) -> Decimal:
        return getattr(self, lead.amount)

    def target(self, lead: Lead) -> Decimal | None:
        return getattr(self, lead.target)

    def attainment(self, lead: Lead) -> float | None:
        return getattr(self, lead.attainment)


@dataclass(frozen=True)
class Ranking:
    teams: list[RankingRow]  # company: every team; region: its teams; team: none
    reps: list[RankingRow]
    lead: Lead = REVENUE


# --------------------------------------------------------------------------- queries

_COLUMNS = """p.revenue, p.revenue_target, p.revenue_attainment, p.won, p.lost, p.win_rate,
    p.won_amount, p.won_amount_target, p.won_amount_attainment"""


def _order(lead: Lead) -> str:
    """Highest attainment of the lead amount first, no target last."""
    return f"order by p.{lead.attainment} desc nulls last, p.{lead.amount} desc, name"


def team_ranking(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    region: str | None = None,
    lead: Lead = REVENUE,
) -> list[RankingRow]:
    """Teams by attainment (highest first, no target last), region from the rep dimension.

    ``region`` keeps only that region's teams.
    """
    return [
        RankingRow(*r)
        for r in con.execute(
            f"""with team_region as (
                    select team, min(region) as region from marts.dim_sales_reps group by team
                )
                select p.scope_id, p.scope_id as name, p.scope_id as team, t.region,
                       null::boolean as is_active, {_COLUMNS}
                from marts.fct_sales_performance p
                left join team_region t on t.team = p.scope_id
                where p.period_type = ? and p.period = ? and p.level = 'team'
                  and (? is null or t.region = ?)
                {_order(lead)}""",
            [period_type, period, region, region],
        ).fetchall()
    ]


def scope_teams(con: duckdb.DuckDBPyConnection, frame: Frame) -> list[RankingRow]:
    """The teams a pack ranks: every team (company), the region's (region), none otherwise."""
    label, kind = frame.period.label, frame.period.period_type
    if frame.scope.level == "company":
        return team_ranking(con, label, kind, lead=frame.lead)
    if frame.scope.level == "region":
        return team_ranking(con, label, kind, region=frame.scope.scope_id, lead=frame.lead)
    return []  # a team's or a rep's pack ranks no other team


def rep_ranking(
    con: duckdb.DuckDBPyConnection,
    period: str,
    period_type: str = "quarter",
    scope: Scope | None = None,
    lead: Lead = REVENUE,
) -> list[RankingRow]:
    """Reps of ``scope`` (default: all) by attainment (highest first, no target last)."""
    # A rep ranks in the team and region of the period (the scorecard's), else today's.
    where, params = (scope or Scope.company()).rep_filter(
        "p.scope_id", "coalesce(s.team, r.team)", "coalesce(s.region, r.region)"
    )
    return [
        RankingRow(*r)
        for r in con.execute(
            f"""select p.scope_id, coalesce(r.rep_name, p.scope_id) as name,
                       coalesce(s.team, r.team), coalesce(s.region, r.region),
                       r.is_active, {_COLUMNS}
                from marts.fct_sales_performance p
                left join marts.dim_sales_reps r on r.rep_id = p.scope_id
                left join marts.fct_rep_scorecard s
                  on s.period_type = p.period_type and s.period = p.period
                  and s.rep_id = p.scope_id
                where p.period_type = ? and p.period = ? and p.level = 'rep' and {where}
                {_order(lead)}""",
            [period_type, period, *params],
        ).fetchall()
    ]


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Ranking | None:
    # A rep's pack holds no other rep's individual rows: no ranking at all.
    if frame.scope.level == "rep":
        return None
    label, kind = frame.period.label, frame.period.period_type
    return Ranking(
        scope_teams(con, frame),
        rep_ranking(con, label, kind, frame.scope, frame.lead),
        frame.lead,
    )


# --------------------------------------------------------------------------- commentary


def met_target(attainment: float | None) -> bool:
    d = to_decimal(attainment)
    return d is not None and d >= 1


def lowest_attainment(rows: list[RankingRow], lead: Lead = REVENUE) -> RankingRow | None:
    rated = [r for r in rows if r.attainment(lead) is not None]
    if not rated:
        return None
    return min(rated, key=lambda r: (r.attainment(lead), r.amount(lead), r.name))


def metric(t: Strings, lead: Lead) -> str:
    """The lead amount's name inside a sentence: ``revenue`` / ``bookings``."""
    return t(f"lead.{lead.key}.in_sentence")


def ranking_commentary(
    teams: list[RankingRow],
    reps: list[RankingRow],
    fmt: Formatter,
    t: Strings,
    lead: Lead = REVENUE,
) -> list[str]:
    out: list[str] = []
    name = metric(t, lead)
    rated_teams = [r for r in teams if r.attainment(lead) is not None]
    if rated_teams:
        top = rated_teams[0]
        out.append(
            t(
                "ranking.teams",
                met=sum(1 for r in rated_teams if met_target(r.attainment(lead))),
                n=len(rated_teams),
                best=top.name,
                best_attainment=fmt.pct(top.attainment(lead)),
            )
        )
    elif teams:
        out.append(t("ranking.no_team_targets", metric=name))
    rated_reps = [r for r in reps if r.attainment(lead) is not None]
    if rated_reps:
        top, bottom = rated_reps[0], rated_reps[-1]
        out.append(
            t(
                "ranking.reps",
                top=top.name,
                top_team=top.team or fmt.na,
                top_attainment=fmt.pct(top.attainment(lead)),
                bottom=bottom.name,
                bottom_team=bottom.team or fmt.na,
                bottom_attainment=fmt.pct(bottom.attainment(lead)),
                met=sum(1 for r in rated_reps if met_target(r.attainment(lead))),
                n=len(rated_reps),
            )
        )
    untargeted = len(reps) - len(rated_reps)
    if untargeted:
        out.append(t.plural("ranking.reps_without_target", untargeted, metric=name))
    if not out:
        out.append(t("ranking.empty"))
    return out


# --------------------------------------------------------------------------- context


def _bar(attainment: float | None) -> str:
    d = to_decimal(attainment)
    if d is None or d <= 0:
        return "0"
    return f"{min(d, BAR_CAP) / BAR_CAP * 100:.1f}"


def _ranking_rows(
    rows: list[RankingRow], fmt: Formatter, t: Strings, lead: Lead
) -> list[dict[str, Any]]:
    out = []
    rank = 0
    for r in rows:
        attainment, target = r.attainment(lead), r.target(lead)
        has = attainment is not None
        rank += 1 if has else 0
        out.append(
            dict(
                rank=str(rank) if has else "–",
                scope_id=r.scope_id,
                name=r.name,
                team=r.team or fmt.na,
                region=r.region or fmt.na,
                left=r.is_active is False,
                amount=fmt.money(r.amount(lead)),
                target=fmt.money(target) if target is not None else t("ranking.no_target"),
                attainment=fmt.pct(attainment),
                status=status(attainment),
                bar=_bar(attainment),
                win_rate=fmt.pct(r.win_rate),
            )
        )
    return out


def _ranking_table(
    key: str, title: str, rows: list[RankingRow], group: str, c: Ctx, lead: Lead
) -> Table:
    t = c.t
    return Table(
        key,
        title,
        [
            Column(t("ranking.team" if key == "ranking-teams" else "ranking.rep")),
            Column(t(f"ranking.{group}")),
            Column(t(f"lead.{lead.key}.name"), "money"),
            Column(t("ranking.target"), "money"),
            Column(t("ranking.attainment"), "pct"),
            Column(t("ranking.win_rate"), "pct"),
        ],
        [
            [
                r.name,
                getattr(r, group),
                r.amount(lead),
                r.target(lead),
                r.attainment(lead),
                r.win_rate,
            ]
            for r in rows
        ],
    )


def context(data: Ranking, c: Ctx) -> SectionContent:
    """Teams and reps of the scope."""
    t, fmt, lead = c.t, c.fmt, data.lead
    tables = []
    if data.teams:
        tables.append(
            _ranking_table(
                "ranking-teams", t("ranking.teams_heading"), data.teams, "region", c, lead
            )
        )
    if data.reps:
        tables.append(
            _ranking_table("ranking-reps", t("ranking.reps_heading"), data.reps, "team", c, lead)
        )
    return SectionContent(
        dict(
            teams=_ranking_rows(data.teams, fmt, t, lead),
            reps=_ranking_rows(data.reps, fmt, t, lead),
            amount_label=t(f"lead.{lead.key}.name"),
            note=t("ranking.note", metric=metric(t, lead)),
            source=f"marts.fct_sales_performance ({c.kind}, team / rep), marts.dim_sales_reps",
        ),
        ranking_commentary(data.teams, data.reps, fmt, t, lead),
        tables,
    )


def glance(data: Ranking, content: SectionContent, c: Ctx) -> str | None:
    return content.commentary[0]


SECTION = Section(
    key="ranking",
    marts=("marts.fct_sales_performance", "marts.dim_sales_reps", "marts.fct_rep_scorecard"),
    load=load,
    context=context,
    glance=glance,
    follows_lead=True,
)
