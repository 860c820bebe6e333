"""Data-quality appendix: open findings, the latest load and the trust statement.

Reads ``marts.fct_dq_findings`` open as of the last load on or before the as-of date (owned by
the scope's reps, by the owner's current team: findings go to today's owner; the company
pack keeps unowned ones too), owners' teams from ``marts.dim_sales_reps``, and that load's
files from ``meta.load_files`` / ``meta.loads``. The trust thresholds are set here, in
:class:`TrustPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, reverse_text
from pipelines.packs.tables import Column, Table

#: Severities in display order (the mart's ``dq_findings.severity`` values).
SEVERITIES: tuple[str, ...] = ("quarantine", "warn")
OLDEST_FINDINGS_LIMIT = 10


@dataclass(frozen=True)
class FindingCount:
    key: str | None  # rule, or owner's team (None: no owner / owner not in dim)
    severity: str
    count: int


@dataclass(frozen=True)
class OpenFinding:
    rule: str
    entity: str | None
    record_id: str | None
    record_name: str | None
    owner_rep_id: str | None
    owner_name: str | None
    column_name: str | None
    value_seen: str | None
    message: str | None
    first_seen_load: int | None


@dataclass(frozen=True)
class LoadQuality:
    load_id: int
    as_of_date: date | None
    files_loaded: int
    rows_in: int
    rows_quarantined: int


@dataclass(frozen=True)
class DataQuality:
    by_rule: list[FindingCount]
    by_team: list[FindingCount]
    oldest_quarantined: list[OpenFinding]
    latest_load: LoadQuality | None


# --------------------------------------------------------------------------- queries


def load_as_of(con: duckdb.DuckDBPyConnection, as_of: date) -> int | None:
    """The last load whose business date is on or before ``as_of``."""
    row = con.execute(
        "select max(load_id) from meta.loads where as_of_date <= ?", [as_of]
    ).fetchone()
    return row[0] if row else None


def data_quality(
    con: duckdb.DuckDBPyConnection, scope: Scope | None = None, as_of: date | None = None
) -> DataQuality:
    """Findings open as of the last load on or before ``as_of`` (default: open now).

    For the latest load that is ``is_open``; for an earlier load ``L`` a finding
    was open when ``first_seen_load <= L <= last_seen_load``. Findings are kept
    when their owner rep is in ``scope`` (the company keeps unowned ones too).
    """
    scope = scope or Scope.company()
    owner, owner_params = scope.rep_filter("f.owner_rep_id")
    latest = con.execute("select max(load_id) from meta.loads").fetchone()[0]
    as_of_load = load_as_of(con, as_of) if as_of is not None else latest
    if as_of_load is None and latest is not None:
        open_sql, open_params = "false", []  # nothing was loaded by then
    elif as_of_load is None or as_of_load == latest:
        open_sql, open_params = "f.is_open", []
    else:
        open_sql = "f.first_seen_load <= ? and f.last_seen_load >= ?"
        open_params = [as_of_load, as_of_load]
    where = f"({open_sql}) and {owner}"
    params = [*open_params, *owner_params]
    by_rule = [
        FindingCount(*r)
        for r in con.execute(
            f"""select rule, severity, count(*) from marts.fct_dq_findings f
               where {where} group by rule, severity order by rule, severity""",
            params,
        ).fetchall()
    ]
    by_team = [
        FindingCount(*r)
        for r in con.execute(
            f"""select s.team, f.severity, count(*)
               from marts.fct_dq_findings f
               left join marts.dim_sales_reps s on s.rep_id = f.owner_rep_id
               where {where} group by s.team, f.severity
               order by s.team nulls last, f.severity""",
            params,
        ).fetchall()
    ]
    oldest = [
        OpenFinding(*r)
        for r in con.execute(
            f"""select f.rule, f.entity, f.record_id, f.record_name, f.owner_rep_id, s.rep_name,
                      f.column_name, f.value_seen, f.message, f.first_seen_load
               from marts.fct_dq_findings f
               left join marts.dim_sales_reps s on s.rep_id = f.owner_rep_id
               where {where} and f.severity = 'quarantine'
               order by f.first_seen_load nulls last, f.finding_id
               limit ?""",
            [*params, OLDEST_FINDINGS_LIMIT],
        ).fetchall()
    ]
    row = con.execute(
        """with latest as (
               select max(load_id) as load_id from meta.load_files
               where status = 'loaded' and (? is null or load_id <= ?)
           )
           select f.load_id, any_value(l.as_of_date), count(*),
                  coalesce(sum(f.rows_in), 0), coalesce(sum(f.rows_quarantined), 0)
           from meta.load_files f
           join latest on latest.load_id = f.load_id
           left join meta.loads l on l.load_id = f.load_id
           where f.status = 'loaded'
           group by f.load_id""",
        [as_of_load, as_of_load],
    ).fetchone()
    latest_load = LoadQuality(*row) if row else None
    return DataQuality(by_rule, by_team, oldest, latest_load)


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> DataQuality:
    return data_quality(con, frame.scope, frame.as_of_date)


# --------------------------------------------------------------------------- trust policy

TrustLevel = Literal["high", "moderate", "low", "unknown"]


@dataclass(frozen=True)
class TrustPolicy:
    """Thresholds of the trust statement (the one place they are set).

    A level is granted only if both the quarantined share of the latest load is
    *below* the share limit and the open quarantine findings are *at most* the
    count limit; otherwise the next level down applies.
    """

    high_max_share: Decimal = Decimal("0.01")
    moderate_max_share: Decimal = Decimal("0.05")
    high_max_open_quarantine: int = 10
    moderate_max_open_quarantine: int = 50


TRUST_POLICY = TrustPolicy()

_LEVEL_ORDER: tuple[TrustLevel, ...] = ("high", "moderate", "low")


@dataclass(frozen=True)
class TrustAssessment:
    level: TrustLevel
    share: Decimal | None  # rows_quarantined / rows_in of the latest load
    open_quarantine: int
    load: LoadQuality | None
    #: entities the pack needs that were never loaded: the level cannot be "high"
    missing: tuple[str, ...] = ()


def assess_trust(
    load: LoadQuality | None,
    open_quarantine: int,
    policy: TrustPolicy = TRUST_POLICY,
    missing: tuple[str, ...] = (),
) -> TrustAssessment:
    """The trust level of the latest load; never "high" while an entity the pack needs was
    never loaded (its figures are not shown: the pack is incomplete)."""
    if load is None or load.rows_in == 0:
        return TrustAssessment("unknown", None, open_quarantine, load, missing)
    share = Decimal(load.rows_quarantined) / Decimal(load.rows_in)
    if share < policy.high_max_share:
        by_share = 0
    elif share < policy.moderate_max_share:
        by_share = 1
    else:
        by_share = 2
    if open_quarantine <= policy.high_max_open_quarantine:
        by_count = 0
    elif open_quarantine <= policy.moderate_max_open_quarantine:
        by_count = 1
    else:
        by_count = 2
    by_inputs = 1 if missing else 0
    level = _LEVEL_ORDER[max(by_share, by_count, by_inputs)]
    return TrustAssessment(level, share, open_quarantine, load, missing)


def trust_statement(
    a: TrustAssessment, fmt: Formatter, t: Strings, policy: TrustPolicy = TRUST_POLICY
) -> list[str]:
    rule = t(
        "trust.rule",
        high_share=fmt.pct(policy.high_max_share, 0),
        high_count=policy.high_max_open_quarantine,
        moderate_share=fmt.pct(policy.moderate_max_share, 0),
        moderate_count=policy.moderate_max_open_quarantine,
    )
    level = t(f"trust.level.{a.level}")
    if a.load is None or a.share is None:
        return [t("trust.unknown", level=level), rule]
    facts = t(
        "trust.facts",
        level=level,
        load_id=a.load.load_id,
        load_date=fmt.date(a.load.as_of_date),
        quarantined=fmt.count(a.load.rows_quarantined),
        rows_in=fmt.count(a.load.rows_in),
        share=fmt.pct(a.share, 2),
        open_quarantine=t.plural("trust.open_quarantine", a.open_quarantine),
    )
    out = [facts, rule]
    if a.missing:
        out.append(t("trust.missing", entities=t("inputs.list_sep").join(a.missing)))
    return [*out, t(f"trust.advice.{a.level}")]


def trust_summary(a: TrustAssessment, fmt: Formatter, t: Strings) -> str:
    """One sentence for "At a glance": the level and both measures it was judged on."""
    level = t(f"trust.level.{a.level}")
    open_quarantine = t.plural("trust.open_quarantine", a.open_quarantine)
    if a.share is None:
        said = t("trust.summary_unknown", level=level, open_quarantine=open_quarantine)
    else:
        said = t(
            "trust.summary",
            level=level,
            share=fmt.pct(a.share, 2),
            open_quarantine=open_quarantine,
        )
    if a.missing:
        said += t("fmt.sentence_sep") + t(
            "trust.missing", entities=t("inputs.list_sep").join(a.missing)
        )
    return said


# --------------------------------------------------------------------------- commentary


def quality_commentary(dq: DataQuality, fmt: Formatter, t: Strings) -> list[str]:
    total = sum(c.count for c in dq.by_rule)
    if total == 0:
        return [t("quality.none_open")]
    quarantine = sum(c.count for c in dq.by_rule if c.severity == "quarantine")
    out = [
        t.plural(
            "quality.open",
            total,
            quarantine=fmt.count(quarantine),
            warn=fmt.count(total - quarantine),
        )
    ]
    per_rule: dict[str, int] = {}
    for c in dq.by_rule:
        per_rule[c.key or ""] = per_rule.get(c.key or "", 0) + c.count
    rule, count = max(per_rule.items(), key=lambda kv: (kv[1], reverse_text(kv[0])))
    out.append(t("quality.top_rule", rule=rule, count=fmt.count(count)))
    per_team: dict[str | None, int] = {}
    for c in dq.by_team:
        per_team[c.key] = per_team.get(c.key, 0) + c.count
    team, count = max(per_team.items(), key=lambda kv: (kv[1], reverse_text(kv[0] or "\uffff")))
    if team is None:
        out.append(t("quality.top_team_unowned", count=fmt.count(count)))
    else:
        out.append(t("quality.top_team", team=team, count=fmt.count(count)))
    return out


# --------------------------------------------------------------------------- context


def _pivot(counts: list[FindingCount], unowned: str) -> list[dict[str, Any]]:
    table: dict[str | None, dict[str, int]] = {}
    for c in counts:
        table.setdefault(c.key, {s: 0 for s in SEVERITIES})
        table[c.key][c.severity] = table[c.key].get(c.severity, 0) + c.count
    rows = [
        dict(
            key=key if key is not None else unowned,
            unowned=key is None,
            counts=[by_sev.get(s, 0) for s in SEVERITIES],
            total=sum(by_sev.values()),
        )
        for key, by_sev in table.items()
    ]
    rows.sort(key=lambda r: (r["unowned"], -r["total"], r["key"]))
    return rows


def context(dq: DataQuality, c: Ctx) -> SectionContent:
    t, fmt = c.t, c.fmt
    open_quarantine = sum(x.count for x in dq.by_rule if x.severity == "quarantine")
    never = tuple(c.missing(c.needs))
    assessment = assess_trust(dq.latest_load, open_quarantine, missing=never)
    load = dq.latest_load
    by_rule = _pivot(dq.by_rule, t("quality.unowned"))
    by_team = _pivot(dq.by_team, t("quality.unowned"))
    oldest = [
        dict(
            rule=f.rule,
            record=" · ".join(x for x in (f.entity, c.crm(f.record_name) or f.record_id) if x)
            or fmt.na,
            owner=f.owner_name or f.owner_rep_id or fmt.na,
            column=f.column_name or "",
            value_seen=c.crm(f.value_seen) if f.value_seen is not None else "",
            message=c.crm(f.message) or "",
            since=str(f.first_seen_load) if f.first_seen_load is not None else fmt.na,
        )
        for f in dq.oldest_quarantined
    ]
    severities = [t(f"severity.{s}") for s in SEVERITIES]

    def pivot_table(key: str, title: str, label: str, rows) -> Table:
        return Table(
            key,
            title,
            [Column(label)]
            + [Column(s, "count") for s in severities]
            + [Column(t("quality.total"), "count")],
            [[r["key"], *r["counts"], r["total"]] for r in rows],
        )

    tables = [
        pivot_table("dq-by-rule", t("quality.by_rule"), t("quality.rule"), by_rule),
        pivot_table("dq-by-team", t("quality.by_team"), t("quality.team"), by_team),
        Table(
            "dq-oldest",
            t("quality.oldest_heading"),
            [
                Column(t("quality.rule")),
                Column(t("quality.record")),
                Column(t("quality.owner")),
                Column(t("quality.column")),
                Column(t("quality.value_seen")),
                Column(t("quality.message")),
                Column(t("quality.since_load"), "count"),
            ],
            [
                [
                    f["rule"],
                    f["record"],
                    f["owner"],
                    f["column"],
                    f["value_seen"],
                    f["message"],
                    o.first_seen_load,
                ]
                for f, o in zip(oldest, dq.oldest_quarantined, strict=True)
            ],
        ),
    ]
    if load:
        tables.append(
            Table(
                "latest-load",
                t("quality.latest_load"),
                [
                    Column(t("quality.latest_load")),
                    Column(t("quality.rows_in"), "count"),
                    Column(t("quality.rows_quarantined"), "count"),
                    Column(t("quality.share_quarantined"), "pct"),
                ],
                [[load.load_id, load.rows_in, load.rows_quarantined, assessment.share]],
            )
        )
    return SectionContent(
        dict(
            severities=severities,
            by_rule=by_rule,
            by_team=by_team,
            load=dict(
                value=t(
                    "quality.load_value",
                    load_id=load.load_id,
                    date=fmt.date(load.as_of_date),
                    files=fmt.count(load.files_loaded),
                ),
                rows_in=fmt.count(load.rows_in),
                rows_quarantined=fmt.count(load.rows_quarantined),
                share=fmt.pct(assessment.share, 2),
            )
            if load
            else None,
            trust=dict(
                level=assessment.level,
                label=t("trust.label", level=t(f"trust.level.{assessment.level}")),
                sentences=trust_statement(assessment, fmt, t),
                summary=trust_summary(assessment, fmt, t),
            ),
            oldest=oldest,
            scope_note=t("quality.scope_note") if c.level != "company" else None,
            source="marts.fct_dq_findings, marts.dim_sales_reps, meta.load_files, meta.loads",
        ),
        quality_commentary(dq, fmt, t),
        tables,
    )


def glance(dq: DataQuality, content: SectionContent, c: Ctx) -> str | None:
    """The trust level and both measures it was judged on."""
    return content.data["trust"]["summary"]


SECTION = Section(
    key="quality",
    marts=("marts.fct_dq_findings", "marts.dim_sales_reps", "meta.load_files", "meta.loads"),
    load=load,
    context=context,
    glance=glance,
    appendix=True,
)
