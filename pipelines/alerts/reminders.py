"""Overdue-receivable reminders: each overdue invoice (or order without invoices) to the rep
who owns the order, escalated to that rep's manager once it is long overdue.

Reads ``marts.fct_overdue_receivables`` at its latest snapshot on or before the run's business
date (the run's as_of_date is an aging snapshot) and the reps (``marts.dim_sales_reps``). An
overdue receivable is alerted like a finding (``meta.alert_log``, id
``overdue:<order_id>:<receivable_id>``): the first night it is overdue, then again every
``reminder_days``; when it is paid it drops out. Messages:

* ``overdue_reminder`` (file ``overdue-<rep_id>``): to the rep on the order (their email), every
  receivable of theirs that is new or due for a reminder;
* ``overdue_escalation`` (file ``overdue-escalation-<manager_id>``): to the manager of the rep
  (``sales_reps.manager_id``), the receivables of their reps that are at least
  ``escalate_after_days`` overdue (setting ``SALESOPS_OVERDUE_ESCALATION_DAYS``).

Each message is in its reader's language (the ``recipients`` of the alerts file,
:mod:`pipelines.alerts.recipients`): the reminder in the rep's, the escalation in the
manager's. Contact details in account names are masked (``pipelines.core.masking``) as in
every alert.

An overdue receivable can be muted in ``HOME/alert_mutes.yaml`` (:mod:`pipelines.alerts.mutes`)
like a finding: by its id (``finding: overdue:O1:I1``, one instalment), or as rule
:data:`OVERDUE_RULE` with ``record:`` the order id (every receivable of the order) or ``rep:``.
A muted receivable is neither reminded nor escalated; the plan lists it (``muted``) for the
sales-ops summary and the audit. The night after its mute ends it is reminded again at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from pipelines.alerts.digest import Finding, MutedFinding, Rep, alert_log, load_reps
from pipelines.alerts.message import Message
from pipelines.alerts.mutes import OVERDUE_RULE, Mutes, overdue_id
from pipelines.alerts.recipients import Languages
from pipelines.core.file_names import file_part
from pipelines.core.i18n import Strings, load_strings
from pipelines.core.masking import mask_values
from pipelines.core.paths import ALERT_I18N_DIR

REMINDER_KIND = "overdue_reminder"
ESCALATION_KIND = "overdue_escalation"


@dataclass(frozen=True)
class Overdue:
    order_id: str
    receivable_id: str
    invoice_id: str | None
    account_name: str | None
    rep_id: str | None
    due_date: date
    days_overdue: int
    outstanding: Decimal | None
    outstanding_original: Decimal
    currency: str | None

    @property
    def alert_id(self) -> str:
        return overdue_id(self.order_id, self.receivable_id)

    # what a mute is matched against (pipelines.alerts.mutes.Muteable)
    finding_id = alert_id
    rule = OVERDUE_RULE
    entity = "receivables"

    @property
    def record_id(self) -> str:
        return self.order_id

    @property
    def owner_rep_id(self) -> str | None:
        return self.rep_id

    def as_finding(self) -> Finding:
        """The receivable as the sales-ops summary lists a muted finding."""
        invoice = f" / {self.invoice_id}" if self.invoice_id else ""
        return Finding(
            self.alert_id,
            OVERDUE_RULE,
            "warn",
            self.entity,
            f"{self.order_id}{invoice}",
            self.account_name,
            self.rep_id,
            "days_overdue",
            f"{self.days_overdue} ({self.outstanding_original} {self.currency or ''})".strip(),
            self.due_date,
            None,
            True,
        )


@dataclass
class OverduePlan:
    messages: list[Message]
    alerted: list[str]
    #: Overdue receivables muted tonight (not reminded, not escalated).
    muted: list[MutedFinding] = field(default_factory=list)


def load_overdue(con: duckdb.DuckDBPyConnection, as_of: date) -> list[Overdue]:
    exists = con.execute(
        """select count(*) from information_schema.tables
           where table_schema = 'marts' and table_name = 'fct_overdue_receivables'"""
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(
        """select order_id, receivable_id, invoice_id, account_name, rep_id, due_date,
                  days_overdue, outstanding, outstanding_original, currency
           from marts.fct_overdue_receivables
           where as_of_date = (select max(as_of_date) from marts.fct_overdue_receivables
                               where as_of_date <= ?)
           order by rep_id, days_overdue desc, order_id, receivable_id""",
        [as_of],
    ).fetchall()
    return [Overdue(*r) for r in rows]


def plan_overdue_reminders(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    reminder_days: int = 7,
    escalate_after_days: int = 30,
    lang: str = "en",
    languages: Languages | None = None,
    mutes: Mutes | None = None,
) -> OverduePlan:
    """Work out tonight's overdue reminders and escalations (nothing is sent here).

    ``languages``: each reader's language (default: ``lang`` for everyone); ``mutes``: the
    receivables sales ops muted, left out while valid and returned as ``muted``."""
    items, reps, log = load_overdue(con, as_of), load_reps(con), alert_log(con)
    languages = languages or Languages(lang)
    mutes = mutes or Mutes()
    due = as_of - timedelta(days=reminder_days)
    muted = []
    for o in items:
        if o.rep_id in reps and (m := mutes.active(o, as_of)):
            muted.append(MutedFinding(o.as_finding(), m.reason, m.until, m.by))
    muted_ids = {m.finding.finding_id for m in muted}

    def due_now(o: Overdue) -> bool:
        if o.alert_id not in log or log[o.alert_id][1]:
            return True
        last = log[o.alert_id][0]
        ended = mutes.expired_before(o, as_of)  # not reminded since its mute ended: remind
        return last <= due or (ended is not None and last <= ended)

    send = [o for o in items if o.alert_id not in muted_ids and due_now(o)]
    strings: dict[str, Strings] = {}

    def strings_for(rep: Rep) -> Strings:
        language = languages.for_person(rep.rep_id, rep.email)
        if language not in strings:
            strings[language] = load_strings(language, ALERT_I18N_DIR)
        return strings[language]

    by_rep: dict[str, list[Overdue]] = defaultdict(list)
    for o in send:
        if o.rep_id in reps:
            by_rep[o.rep_id].append(o)
    messages = []
    by_manager: dict[str, list[tuple[Rep, Overdue]]] = defaultdict(list)
    for rep_id in sorted(by_rep):
        rep = reps[rep_id]
        mine = by_rep[rep_id]
        messages.append(
            _message(
                strings_for(rep),
                REMINDER_KIND,
                f"overdue-{file_part(rep_id)}",
                rep,
                [rep],
                mine,
                as_of,
            )
        )
        if rep.manager_id in reps and rep.manager_id != rep_id:
            by_manager[rep.manager_id] += [
                (rep, o) for o in mine if o.days_overdue >= escalate_after_days
            ]
    for manager_id in sorted(m for m, v in by_manager.items() if v):
        manager = reps[manager_id]
        pairs = by_manager[manager_id]
        messages.append(
            _message(
                strings_for(manager),
                ESCALATION_KIND,
                f"overdue-escalation-{file_part(manager_id)}",
                manager,
                [rep for rep, _ in pairs],
                [o for _, o in pairs],
                as_of,
            )
        )
    return OverduePlan(messages, [o.alert_id for o in send if o.rep_id in reps], muted)


def _message(t, kind, key, to: Rep, owners: list[Rep], items: list[Overdue], as_of) -> Message:
    names = {r.rep_id: r.name for r in owners}
    rows = mask_values(
        [
            {
                "order_id": o.order_id,
                "invoice_id": o.invoice_id,
                "account": o.account_name or "",
                "rep": names.get(o.rep_id or "", o.rep_id or ""),
                "due_date": o.due_date.isoformat(),
                "days_overdue": o.days_overdue,
                "outstanding": str(o.outstanding_original),
                "currency": o.currency or "",
            }
            for o in items
        ]
    )
    section = "overdue" if kind == REMINDER_KIND else "escalation"
    subject = t(f"{section}.subject", name=to.name, count=len(items), date=as_of.isoformat())
    lines = [
        t(f"{section}.greeting", name=to.name),
        "",
        t(f"{section}.intro", date=as_of.isoformat()),
        "",
    ]
    for r in rows:
        lines.append(
            t(
                "overdue.line",
                order=r["order_id"],
                invoice=r["invoice_id"] or "-",
                account=r["account"],
                rep=r["rep"],
                due=r["due_date"],
                days=r["days_overdue"],
                amount=r["outstanding"],
                currency=r["currency"],
            )
        )
    lines += ["", t(f"{section}.closing")]
    return Message(
        subject=subject,
        text="\n".join(lines) + "\n",
        payload={"kind": kind, "date": as_of.isoformat(), "language": t.lang, "receivables": rows},
        recipients=[to.email] if to.email else [],
        kind=kind,
        key=key,
    )
