"""Rep scorecard: the weighted scorecard of the scope's reps; a rep's pack: own row + team.

Reads ``marts.fct_rep_scorecard`` (100 points = on target; results and process up to 150,
var scorecard_attainment_cap) with the rep's name from
``marts.dim_sales_reps``; a rep's pack also reads its team's average score from
``marts.fct_team_averages``. The section ends with the governance of the targets the
scores rest on (``marts.fct_targets``): how many of the period's targets in the scope fail to
add up along the levels or the periods, and how many are far from their trailing run rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent
from pipelines.packs.tables import Column, Table


@dataclass(frozen=True)
class ScorecardRow:
    """One rep's row of ``marts.fct_rep_scorecard`` (100 = on target, None: part not scored)."""

    rep_id: str
    name: str
    team: str | None  # the team the rep was ranked in (the period's team)
    result_score: Decimal | None
    process_score: Decimal | None
    capability_score: Decimal | None
    scorecard_score: Decimal | None
    rank_in_team: int | None
    rank_in_company: int | None


@dataclass(frozen=True)
class TargetGovernance:
    """The checks of ``marts.fct_targets`` over the targets of the pack's period (the period
    and the months inside it) in the scope (its own targets and those of the levels below)."""

    targets: int = 0
    #: team, region and company targets with targets below them; those that differ
    levels_checked: int = 0
    levels_differ: int = 0
    #: quarter and year targets with shorter-period targets inside; those that differ
    periods_checked: int = 0
    periods_differ: int = 0
    #: quarter targets judged against their trailing run rate; those flagged
    judged: int = 0
    unreasonable: int = 0


@dataclass(frozen=True)
class Scorecard:
    rows: list[ScorecardRow]
    #: Rep packs: fct_team_averages.avg_scorecard_score of the rep's team (the mean over its
    #: scored reps) and scored_reps, how many reps that is; None elsewhere.
    team_average: Decimal | None = None
    team_scored: int = 0
    #: None: the warehouse predates marts.fct_targets' checks
    governance: TargetGovernance | None = None


def _targets_in_scope(scope: Scope) -> tuple[str, list[object]]:
    """SQL condition on ``t`` (fct_targets): the scope's own targets and the levels below
    (by the reps' current team and region, dim_sales_reps)."""
    if scope.level == "company":
        return "true", []
    if scope.level == "rep":
        return "t.level = 'rep' and t.scope_id = ?", [scope.scope_id]
    below = "(select {col} from marts.dim_sales_reps where " + scope.level + " = ?)"
    parts = [f"(t.level = '{scope.level}' and t.scope_id = ?)"]
    params: list[object] = [scope.scope_id]
    if scope.level == "region":
        parts.append("(t.level = 'team' and t.scope_id in " + below.format(col="team") + ")")
        params.append(scope.scope_id)
    parts.append("(t.level = 'rep' and t.scope_id in " + below.format(col="rep_id") + ")")
    params.append(scope.scope_id)
    return "(" + " or ".join(parts) + ")", params


def target_governance(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> TargetGovernance:
    """Counts of the target checks (fct_targets) for the period's targets in ``scope``."""
    where, params = _targets_in_scope(scope)
    row = con.execute(
        f"""with p as (
                select min(period_start) as period_start, max(period_end) as period_end
                from marts.fct_sales_performance where period_type = ? and period = ?
            )
            select count(*),
                   count(*) filter (where t.add_up_status in ('adds_up', 'differs')),
                   count(*) filter (where t.add_up_status = 'differs'),
                   count(*) filter (where t.period_add_up_status in ('adds_up', 'differs')),
                   count(*) filter (where t.period_add_up_status = 'differs'),
                   count(*) filter (where t.is_judged),
                   count(*) filter (where t.is_unreasonable)
            from marts.fct_targets t, p
            where t.period_start between p.period_start and p.period_end
              and t.period_type in ('month', ?) and {where}""",
        [period_type, period, period_type, *params],
    ).fetchone()
    return TargetGovernance(*row) if row else TargetGovernance()


def scorecard(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope | None = None
) -> Scorecard:
    """Scorecard rows of the reps in ``scope``, best score first (unscored last).

    A rep's pack gets only the rep's own row, plus their team's average score.
    """
    scope = scope or Scope.company()
    where, params = scope.rep_filter("s.rep_id", "s.team", "s.region")
    rows = [
        ScorecardRow(*r)
        for r in con.execute(
            f"""select s.rep_id, coalesce(r.rep_name, s.rep_id) as name, s.team,
                       s.result_score, s.process_score, s.capability_score, s.scorecard_score,
                       s.rank_in_team, s.rank_in_company
                from marts.fct_rep_scorecard s
                left join marts.dim_sales_reps r on r.rep_id = s.rep_id
                where s.period_type = ? and s.period = ? and {where}
                order by s.scorecard_score desc nulls last, name, s.rep_id""",
            [period_type, period, *params],
        ).fetchall()
    ]
    governance = (
        target_governance(con, period_type, period, scope)
        if has_table(con, "marts.fct_targets")
        else None
    )
    if scope.level != "rep" or not rows or rows[0].team is None:
        return Scorecard(rows, governance=governance)
    found = con.execute(
        """select avg_scorecard_score, scored_reps from marts.fct_team_averages
           where period_type = ? and period = ? and team = ?""",
        [period_type, period, rows[0].team],
    ).fetchall()
    average = found[0] if found else (None, 0)
    return Scorecard(rows, *average, governance=governance)


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> Scorecard:
    return scorecard(con, frame.period.period_type, frame.period.label, frame.scope)


def scorecard_commentary(card: Scorecard, fmt: Formatter, t: Strings, rep_pack: bool) -> list[str]:
    """Rep pack: the rep's score and ranks against the team average. Otherwise: the top
    scorer (rows come best first; a tie goes to the first listed) and how many were scored."""
    scored = [r for r in card.rows if r.scorecard_score is not None]
    if not scored:
        return [t("scorecard.empty")]
    if rep_pack:
        r = scored[0]
        out = [
            t(
                "scorecard.rep",
                name=r.name,
                score=fmt.number(r.scorecard_score, 2),
                rank_in_team=fmt.count(r.rank_in_team),
                rank_in_company=fmt.count(r.rank_in_company),
            )
        ]
        if card.team_average is not None:
            out.append(
                t(
                    "scorecard.rep_vs_team",
                    team=r.team or fmt.na,
                    average=fmt.number(card.team_average, 2),
                    n=fmt.count(card.team_scored),
                )
            )
        return out
    top, bottom = scored[0], scored[-1]
    return [
        t(
            "scorecard.top",
            top=top.name,
            top_team=top.team or fmt.na,
            top_score=fmt.number(top.scorecard_score, 2),
            bottom=bottom.name,
            bottom_score=fmt.number(bottom.scorecard_score, 2),
            scored=len(scored),
            n=len(card.rows),
        )
    ]


def governance_commentary(g: TargetGovernance, fmt: Formatter, t: Strings) -> str:
    """One sentence on the target checks of the period's targets in the scope."""
    if not g.targets:
        return t("scorecard.governance_none")
    return t(
        "scorecard.governance",
        targets=fmt.count(g.targets),
        levels_differ=fmt.count(g.levels_differ),
        levels_checked=fmt.count(g.levels_checked),
        periods_differ=fmt.count(g.periods_differ),
        periods_checked=fmt.count(g.periods_checked),
        unreasonable=fmt.count(g.unreasonable),
        judged=fmt.count(g.judged),
    )


def governance_table(g: TargetGovernance, t: Strings) -> Table:
    return Table(
        "target_governance",
        t("scorecard.governance_title"),
        [
            Column(t("scorecard.governance_check")),
            Column(t("scorecard.governance_checked"), "count"),
            Column(t("scorecard.governance_findings"), "count"),
        ],
        [
            [t("scorecard.governance_levels"), g.levels_checked, g.levels_differ],
            [t("scorecard.governance_periods"), g.periods_checked, g.periods_differ],
            [t("scorecard.governance_reasonable"), g.judged, g.unreasonable],
        ],
    )


def context(card: Scorecard, c: Ctx) -> SectionContent:
    """The weighted scorecard of the scope's reps; a rep's pack: own row + team average."""
    t, fmt = c.t, c.fmt
    rep_pack = c.level == "rep"

    def score(v) -> str:
        return fmt.number(v, 2)

    rows = [
        dict(
            rep_id=r.rep_id,
            name=r.name,
            team=r.team or fmt.na,
            result=score(r.result_score),
            process=score(r.process_score),
            capability=score(r.capability_score),
            score=score(r.scorecard_score),
            rank_in_team=fmt.count(r.rank_in_team),
            rank_in_company=fmt.count(r.rank_in_company),
        )
        for r in card.rows
    ]
    team = card.rows[0].team if rep_pack and card.rows else None
    average_label = t("scorecard.team_average", team=team or fmt.na)
    table_rows: list[list[object]] = [
        [
            r.name,
            r.team,
            r.result_score,
            r.process_score,
            r.capability_score,
            r.scorecard_score,
            r.rank_in_team,
            r.rank_in_company,
        ]
        for r in card.rows
    ]
    if card.team_average is not None:
        table_rows.append([average_label, team, None, None, None, card.team_average, None, None])
    table = Table(
        "scorecard",
        t("section.scorecard"),
        [
            Column(t("ranking.rep")),
            Column(t("ranking.team")),
            Column(t("scorecard.result"), "number"),
            Column(t("scorecard.process"), "number"),
            Column(t("scorecard.capability"), "number"),
            Column(t("scorecard.score"), "number"),
            Column(t("scorecard.rank_in_team"), "count"),
            Column(t("scorecard.rank_in_company"), "count"),
        ],
        table_rows,
    )
    return SectionContent(
        dict(
            rows=rows,
            team_average=dict(label=average_label, score=score(card.team_average))
            if card.team_average is not None
            else None,
            note=t("scorecard.note"),
            source=f"marts.fct_rep_scorecard ({c.kind}), marts.dim_sales_reps, marts.fct_targets",
        ),
        [
            *scorecard_commentary(card, fmt, t, rep_pack),
            *([governance_commentary(card.governance, fmt, t)] if card.governance else []),
        ],
        [table, *([governance_table(card.governance, t)] if card.governance else [])],
    )


SECTION = Section(
    key="scorecard",
    marts=("marts.fct_rep_scorecard", "marts.dim_sales_reps", "marts.fct_team_averages"),
    optional_marts=("marts.fct_targets",),
    load=load,
    context=context,
)
