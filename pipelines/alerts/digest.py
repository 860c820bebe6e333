"""Turn the open data-quality findings into alerts for the people who can fix them.

Reads the ``fct_dq_findings`` mart (one row per finding, with first/last seen load
and whether it is open), the reps (``dim_sales_reps``) and the alert log
(``meta.alert_log``: when each finding was last alerted). Each open finding is

* **new**: never alerted: sent in full to its owner rep;
* **due for a reminder**: last alerted ``reminder_days`` or more before the
  run's business date: sent again, marked as a reminder;
* otherwise **quiet**: counted in the owner's open total, not re-sent.

A finding alerted before and now closed is reported once as fixed. Messages:
one digest per owner rep with something new or due, one roll-up per team
(to the manager of the team's reps) when the team has something new or due,
and one sales-ops summary every run (counts by rule and team, the trend
against a week earlier, findings nobody owns). English or 中文 (strings in
``reports/i18n/alerts/``, templates in ``reports/templates/alerts/``). Phone numbers and
emails in CRM values (record names, values seen) are masked in every message, the rep's own
digest included (see ``_Renderer.message``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.alerts.message import Message
from pipelines.alerts.mutes import Mutes
from pipelines.alerts.recipients import Languages
from pipelines.core.file_names import file_part
from pipelines.core.i18n import Strings, load_strings
from pipelines.core.masking import mask_values
from pipelines.core.paths import ALERT_I18N_DIR, ALERT_TEMPLATES_DIR, PROJECT_ROOT

RULES_FILE = PROJECT_ROOT / "expectations" / "rules.yml"
#: Days in the ops summary's trend window.
TREND_DAYS = 7


@dataclass(frozen=True)
class Finding:
    finding_id: str
    rule: str
    severity: str
    entity: str
    record_id: str
    record_name: str | None
    owner_rep_id: str | None
    column_name: str | None
    value_seen: str | None
    first_seen_date: date | None
    last_seen_date: date | None
    is_open: bool


@dataclass(frozen=True)
class Rep:
    rep_id: str
    name: str
    email: str | None
    team: str | None
    manager_id: str | None


class RuleTexts:
    """What each rule means and how to fix it, in one language (``expectations/rules.yml``)."""

    def __init__(self, lang: str, catalogue: dict[str, Any]):
        self.lang, self.catalogue = lang, catalogue

    def _text(self, rule: str, part: str) -> str:
        entry = self.catalogue.get(rule)
        if entry is None:
            return rule
        return entry.get(self.lang, entry["en"])[part]

    def what(self, rule: str) -> str:
        return self._text(rule, "what")

    def fix(self, rule: str) -> str:
        return self._text(rule, "fix")


@lru_cache(maxsize=1)
def rule_catalogue(path: Path = RULES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass
class AlertPlan:
    """The messages of one run, and the alert-log changes sending them implies."""

    messages: list[Message]
    alerted: list[str] = field(default_factory=list)  # new + reminded finding ids
    fixed: list[str] = field(default_factory=list)  # closed findings reported as fixed
    counts: dict[str, int] = field(default_factory=dict)
    muted: list[MutedFinding] = field(default_factory=list)  # open findings muted tonight
    mutes_error: str | None = None  # the mutes file's problem: nothing is muted


def load_findings(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        """select f.finding_id, f.rule, f.severity, f.entity, f.record_id, f.record_name,
                  f.owner_rep_id, f.column_name, f.value_seen, first_load.as_of_date,
                  last_load.as_of_date, f.is_open
           from marts.fct_dq_findings f
           left join meta.loads first_load on first_load.load_id = f.first_seen_load
           left join meta.loads last_load on last_load.load_id = f.last_seen_load
           order by f.owner_rep_id nulls last, f.entity, f.record_id, f.rule, f.column_name"""
    ).fetchall()
    return [Finding(*r) for r in rows]


def load_reps(con: duckdb.DuckDBPyConnection) -> dict[str, Rep]:
    rows = con.execute(
        "select rep_id, rep_name, email, team, manager_id from marts.dim_sales_reps"
    ).fetchall()
    return {r[0]: Rep(*r) for r in rows}


def alert_log(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, bool]]:
    """finding id -> (date last alerted, reported as fixed)."""
    rows = con.execute(
        "select finding_id, last_alerted_date, fixed_reported from meta.alert_log"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@dataclass(frozen=True)
class MutedFinding:
    """An open finding left out of the digests tonight, and why (``alert_mutes.yaml``)."""

    finding: Finding
    reason: str
    until: date
    by: str | None


def plan_alerts(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    reminder_days: int = 7,
    lang: str = "en",
    languages: Languages | None = None,
    mutes: Mutes | None = None,
    ops_recipients: Sequence[str] = (),
    muted_receivables: Sequence[MutedFinding] = (),
) -> AlertPlan:
    """Work out who gets what tonight (nothing is sent or recorded here).

    ``languages``: each recipient's language (default: ``lang`` for everyone); ``mutes``:
    the findings sales ops muted (``pipelines.alerts.mutes``): left out of the reps' digests,
    the roll-ups and the reminders while valid, listed with their reasons in the summary.
    ``ops_recipients``: the sales-ops addresses (the email channels' ``to``), for the
    summary's languages (:func:`_ops_summaries`); ``muted_receivables``: the overdue
    receivables muted tonight (``pipelines.alerts.reminders``), listed in the summary and
    audited with the muted findings.
    """
    findings, reps, log = load_findings(con), load_reps(con), alert_log(con)
    languages = languages or Languages(lang)
    mutes = mutes or Mutes()
    due = as_of - timedelta(days=reminder_days)
    all_open = [f for f in findings if f.is_open]
    muted = []
    for f in all_open:
        if m := mutes.active(f, as_of):
            muted.append(MutedFinding(f, m.reason, m.until, m.by))
    muted_ids = {m.finding.finding_id for m in muted}
    open_ = [f for f in all_open if f.finding_id not in muted_ids]

    def due_again(f: Finding) -> bool:
        last = log[f.finding_id][0]
        ended = mutes.expired_before(f, as_of)  # not told since its mute ended: tell again
        return last <= due or (ended is not None and last <= ended)

    # Never alerted, or reported fixed and back again: new.
    new = [f for f in open_ if f.finding_id not in log or log[f.finding_id][1]]
    reminders = [
        f for f in open_ if f.finding_id in log and not log[f.finding_id][1] and due_again(f)
    ]
    fixed = [
        f for f in findings if not f.is_open and f.finding_id in log and not log[f.finding_id][1]
    ]
    plan = AlertPlan(messages=[])
    plan.alerted = [f.finding_id for f in (*new, *reminders)]
    plan.fixed = [f.finding_id for f in fixed]
    plan.muted = [*muted, *muted_receivables]
    plan.mutes_error = mutes.error
    plan.counts = {"open": len(all_open), "new": len(new), "reminders": len(reminders)}
    plan.counts["fixed"] = len(fixed)

    # A rule routed to sales ops (expectations/rules.yml `routes_to`) is theirs to fix, not the
    # record owner's (a rep's own target, a rep without a team): it goes to the summary.
    to_sales_ops = {r for r, e in rule_catalogue().items() if e.get("routes_to") == "sales_ops"}

    def owner(f: Finding) -> str | None:
        if f.rule in to_sales_ops:
            return None
        return f.owner_rep_id if f.owner_rep_id in reps else None

    by_owner: dict[str | None, dict[str, list[Finding]]] = defaultdict(
        lambda: {"new": [], "reminders": [], "open": [], "fixed": []}
    )
    for kind, items in (("new", new), ("reminders", reminders), ("open", open_), ("fixed", fixed)):
        for f in items:
            by_owner[owner(f)][kind].append(f)
    renderers: dict[str, _Renderer] = {}

    def render(language: str) -> _Renderer:
        if language not in renderers:
            t = load_strings(language, ALERT_I18N_DIR)
            renderers[language] = _Renderer(t, RuleTexts(language, rule_catalogue()), as_of)
        return renderers[language]

    def render_for(rep: Rep | None) -> _Renderer:
        return render(languages.for_person(rep.rep_id, rep.email) if rep else languages.default)

    for rep_id in sorted(k for k in by_owner if k is not None):
        mine, rep = by_owner[rep_id], reps[rep_id]
        if not (mine["new"] or mine["reminders"]):
            continue
        plan.messages.append(
            render_for(rep).message(
                "rep",
                f"rep-{file_part(rep_id)}",
                [rep.email] if rep.email else [],
                rep_name=rep.name,
                new=mine["new"],
                reminders=mine["reminders"],
                open_count=len(mine["open"]),
                fixed_count=len(mine["fixed"]),
            )
        )
    plan.messages += _manager_rollups(render_for, reps, by_owner)
    plan.messages += _ops_summaries(
        languages,
        ops_recipients,
        lambda language, key, to: _ops_summary(
            render(language),
            key,
            to,
            all_open,
            findings,
            reps,
            owner,
            new,
            fixed,
            as_of,
            muted=plan.muted,
            mutes_error=mutes.error,
        ),
    )
    return plan


#: Channel types that carry no personal address: they get the default-language summary only.
CHANNEL_WIDE = ("slack", "teams", "webhook")


def _ops_summaries(languages: Languages, addresses: Sequence[str], summary) -> list[Message]:
    """The sales-ops summary in the language of each of its ``addresses``.

    All in the default language (or no addresses): one summary, ``ops-summary``, to each
    channel's default recipients, as every channel-wide alert. Otherwise one per language
    group: the default's (``ops-summary``) to its addresses and the channel-wide channels,
    each other language's (``ops-summary-<lang>``) to its addresses by email and to the files.
    """
    groups = languages.group(addresses)
    if set(groups) <= {languages.default}:
        return [summary(languages.default, "ops-summary", [])]
    out = []
    if languages.default not in groups:  # nobody reads the default by email
        out.append(
            replace(summary(languages.default, "ops-summary", []), skip_channel_types=("email",))
        )
    for language, group in groups.items():
        message = summary(
            language,
            "ops-summary" if language == languages.default else f"ops-summary-{language}",
            group,
        )
        if language != languages.default:
            message = replace(message, skip_channel_types=CHANNEL_WIDE)
        out.append(message)
    return out


def _manager_rollups(render_for, reps: dict[str, Rep], by_owner) -> list[Message]:
    teams: dict[str, list[Rep]] = defaultdict(list)
    for rep in reps.values():
        if rep.team:
            teams[rep.team].append(rep)
    out = []
    for team in sorted(teams):
        members = sorted(teams[team], key=lambda r: r.rep_id)
        stats = [(r, by_owner.get(r.rep_id)) for r in members]
        if not any(s and (s["new"] or s["reminders"]) for _, s in stats):
            continue
        managers = Counter(r.manager_id for r in members if r.manager_id in reps)
        manager = reps[managers.most_common(1)[0][0]] if managers else None
        rows = [
            {
                "name": r.name,
                "new": len(s["new"]) if s else 0,
                "reminders": len(s["reminders"]) if s else 0,
                "open": len(s["open"]) if s else 0,
            }
            for r, s in stats
            if s and s["open"]
        ]
        by_rule = Counter(f.rule for _, s in stats if s for f in s["open"])
        out.append(
            render_for(manager).message(
                "manager",
                f"team-{file_part(team)}",
                [manager.email] if manager and manager.email else [],
                team=team,
                reps=rows,
                by_rule=sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])),
                new=sum(r["new"] for r in rows),
                open_count=sum(r["open"] for r in rows),
            )
        )
    return out


def _ops_summary(
    render, key, to, open_, findings, reps, owner, new, fixed, as_of, *, muted, mutes_error
) -> Message:
    """Everything open, muted findings included (counted, and listed with their reasons)."""
    muted_ids = {m.finding.finding_id for m in muted}
    week_ago = as_of - timedelta(days=TREND_DAYS)
    then = sum(
        1
        for f in findings
        if f.first_seen_date is not None
        and f.first_seen_date <= week_ago
        and (f.is_open or (f.last_seen_date is not None and f.last_seen_date >= week_ago))
    )
    severity = {f.rule: f.severity for f in open_}
    by_rule = Counter(f.rule for f in open_)
    by_team = Counter(reps[o].team if (o := owner(f)) else None for f in open_)
    return render.message(
        "ops",
        key,
        to,
        open_count=len(open_),
        new=len(new),
        fixed=len(fixed),
        week_ago=then,
        by_rule=[(r, severity[r], n) for r, n in sorted(by_rule.items(), key=lambda kv: -kv[1])],
        by_team=sorted(by_team.items(), key=lambda kv: (-kv[1], kv[0] or "")),
        unowned=[f for f in open_ if owner(f) is None and f.finding_id not in muted_ids],
        muted=muted,
        muted_count=len(muted),
        mutes_error=mutes_error or "",
    )


KINDS = {"rep": "rep_digest", "manager": "manager_rollup", "ops": "ops_summary"}


class _Renderer:
    def __init__(self, t: Strings, rules: RuleTexts, as_of: date):
        self.t, self.rules, self.date = t, rules, as_of.isoformat()

    def message(self, template: str, key: str, recipients: list[str], **context) -> Message:
        """Every message of the plan is made here, from ``context`` with its contact details
        masked (``pipelines.core.masking``): subject, text, HTML and payload alike, for the
        rep's own digest too. A digest travels through channels whose audience the
        pipeline cannot see (forwarded mail, a Slack channel, the files channel's folder, a
        webhook), and the record id, column and the masked value (its digit count and last
        four digits) are enough to find the record in the CRM, which shows the full value to
        whoever may see it. ``recipients`` (addresses to send to) are not masked."""
        context = mask_values(context)
        ctx = {"t": self.t, "rules": self.rules, "date": self.date, **context}
        subject = self._subject(template, context)
        ctx["subject"] = subject
        payload = {
            "kind": KINDS[template],
            "date": self.date,
            "language": self.t.lang,
            "findings": [
                _finding_json(f, self.rules, kind)
                for kind in ("new", "reminders", "unowned")
                if isinstance(context.get(kind), list)
                for f in context[kind]
            ]
            + [
                {
                    **_finding_json(m.finding, self.rules, "muted"),
                    "muted_until": m.until.isoformat(),
                    "muted_by": m.by,
                    "muted_reason": m.reason,
                }
                for m in context.get("muted", [])
            ],
            **{k: v for k, v in context.items() if isinstance(v, (int, str))},
        }
        return Message(
            subject=subject,
            text=_environment(False).get_template(f"{template}.txt").render(ctx).strip() + "\n",
            html=_environment(True).get_template(f"{template}.html").render(ctx),
            payload=payload,
            recipients=recipients,
            kind=KINDS[template],
            key=key,
        )

    def _subject(self, template: str, c: dict) -> str:
        t = self.t
        if template == "rep":
            return t(
                "rep.subject",
                name=c["rep_name"],
                new=len(c["new"]),
                reminders=len(c["reminders"]),
                date=self.date,
            )
        if template == "manager":
            return t(
                "manager.subject",
                team=c["team"],
                new=c["new"],
                open=c["open_count"],
                date=self.date,
            )
        return t(
            "ops.subject", open=c["open_count"], new=c["new"], fixed=c["fixed"], date=self.date
        )


def _finding_json(f: Finding, rules: RuleTexts, kind: str) -> dict[str, Any]:
    return {
        "status": kind,
        "finding_id": f.finding_id,
        "rule": f.rule,
        "severity": f.severity,
        "entity": f.entity,
        "record_id": f.record_id,
        "record_name": f.record_name,
        "owner_rep_id": f.owner_rep_id,
        "column": f.column_name,
        "value_seen": f.value_seen,
        "open_since": f.first_seen_date.isoformat() if f.first_seen_date else None,
        "what": rules.what(f.rule),
        "fix": rules.fix(f.rule),
    }


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(ALERT_TEMPLATES_DIR),
        autoescape=select_autoescape(default=html, default_for_string=html) if html else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def record_alerted(
    con: duckdb.DuckDBPyConnection, plan: AlertPlan, as_of: date, load_id: int
) -> None:
    """Note in ``meta.alert_log`` what this run's alerts told people: one statement per kind,
    however many findings (a night at millions of rows may alert hundreds of thousands)."""
    ids = pa.table({"finding_id": pa.array(plan.alerted, pa.string())})  # noqa: F841 - read by DuckDB
    fixed = pa.table({"finding_id": pa.array(plan.fixed, pa.string())})  # noqa: F841
    con.execute(
        """insert into meta.alert_log as l
               (finding_id, first_alerted_load, last_alerted_load, last_alerted_date,
                times_alerted, fixed_reported)
           select distinct finding_id, ?, ?, ?, 1, false from ids
           on conflict (finding_id) do update set
               last_alerted_load = excluded.last_alerted_load,
               last_alerted_date = excluded.last_alerted_date,
               times_alerted = l.times_alerted + 1,
               fixed_reported = false""",
        [load_id, load_id, as_of],
    )
    con.execute(
        """update meta.alert_log set fixed_reported = true
           where finding_id in (select finding_id from fixed)"""
    )
