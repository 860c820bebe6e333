"""The sales pipeline: opportunities, the stages they pass through, and activities.

An opportunity's stage history (``opp["events"]``: (stage, entered at)) is planned when it
is opened: qualified -> discovery -> proposal -> negotiation -> won, with a chance to be
lost at each stage and to skip one early on (``plan_events``). Its amount follows its
owner's typical deal (``opp_amount``). Activities are logged by the owner in the stages
they fit, plus account visits and calls outside any opportunity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .catalogue import PRODUCT_LINE_EN, PRODUCT_LINE_WEIGHTS, PRODUCT_LINES
from .currency import REPORTING_CURRENCY
from .customers import AccountPool
from .organisation import rep_for
from .records import Rec
from .timeline import Timeline

OPEN_STAGES = ("qualified", "discovery", "proposal", "negotiation")
STAGE_DAYS = {
    "qualified": (2, 14),
    "discovery": (5, 25),
    "proposal": (5, 30),
    "negotiation": (3, 25),
}
LOSS_PCT = {"qualified": 18, "discovery": 15, "proposal": 20, "negotiation": 25}
SKIP_PCT = 5
LOST_REASONS = (
    "价格偏高",
    "选择了竞争对手",
    "预算不足",
    "项目延期",
    "客户内部无决策",
    "需求不匹配",
)

#: Per open stage: (activity types, one of which is logged; % chance of one extra).
STAGE_ACTIVITY = {
    "qualified": (("call", "email"), 0),
    "discovery": (("visit", "meeting", "call"), 30),
    "proposal": (("proposal",), 50),
    "negotiation": (("quote",), 50),
}
#: Per open stage: the types the extra activity is drawn from.
EXTRA_ACTIVITY = {
    "qualified": ("call",),
    "discovery": ("visit", "demo"),
    "proposal": ("demo", "meeting"),
    "negotiation": ("call", "meeting"),
}
#: Activities outside any opportunity: types and weights.
ACCOUNT_ACTIVITY = (("visit", "call", "email", "meeting"), (30, 35, 20, 15))

Events = list[tuple[str, datetime]]


def opp_amount(owner: Rec, currency: str) -> Decimal:
    """A deal size for ``owner``: 0.6-1.6 x their typical deal.

    The multipliers follow a golden-ratio sequence per rep, so any run of a
    rep's deals is evenly spread and never looks like an outlier by chance
    (robust z-score stays far below 3.5); only the injected one does.
    """
    spread = (owner["deal_phase"] + owner["deals"] * 61_803) % 100_000
    owner["deals"] += 1
    cny = owner["base"] * (60 + spread // 1000) // 100 // 100 * 100
    if currency == REPORTING_CURRENCY:
        return Decimal(max(cny, 100))
    return Decimal(max(cny * 10 // 72 // 100 * 100, 100))


class Pipeline:
    """The opportunities and activities (``opps``, ``activities``) and how they are made."""

    def __init__(self, tl: Timeline, reps: list[Rec]) -> None:
        self.tl = tl
        self.reps = reps
        self.opps: list[Rec] = []
        self.activities: list[Rec] = []

    def plan_events(self, created: datetime) -> Events:
        """The stages an opportunity opened at ``created`` enters, up to the end."""
        tl, r = self.tl, self.tl.rng
        events = [("qualified", created)]
        cur, t = "qualified", created
        while True:
            lo, hi = STAGE_DAYS[cur]
            t = tl.after(t, r.randint(lo, hi))
            if r.randint(1, 100) <= LOSS_PCT[cur]:
                events.append(("lost", t))
                break
            i = OPEN_STAGES.index(cur)
            if i + 1 == len(OPEN_STAGES):
                events.append(("won", t))
                break
            nxt = OPEN_STAGES[i + 1]
            if cur in ("qualified", "discovery") and r.randint(1, 100) <= SKIP_PCT:
                nxt = OPEN_STAGES[i + 2]
            events.append((nxt, t))
            cur = nxt
        return [e for e in events if e[1] <= tl.end_dt]

    def forced_events(self, created: datetime, steps: list[tuple[str, int]]) -> Events:
        """A chosen stage history: qualified at ``created``, then each (stage, days later)."""
        events = [("qualified", created)]
        t = created
        for stage, days in steps:
            t = self.tl.after(t, days)
            events.append((stage, t))
        return events

    def new_opportunity(
        self,
        account: Rec,
        created: datetime,
        events: Events | None = None,
        owner: Rec | None = None,
        from_lead: bool | None = None,
        amount: Decimal | None = None,
    ) -> Rec:
        """Open an opportunity on ``account`` and add it to ``opps``.

        Unless given, its stages are planned, its owner is whoever works the account
        then, whether it came from a lead is drawn and its amount is the owner's usual.
        """
        tl, r = self.tl, self.tl.rng
        if events is None:
            events = self.plan_events(created)
        if from_lead is None:
            from_lead = r.random() < (0.75 if account["created"].date() >= tl.start else 0.3)
        lead_created = None
        if from_lead:
            lead_created = tl.after(created, -r.randint(1, 30))
            if lead_created >= created:
                lead_created = created - timedelta(hours=r.randint(2, 48))
            start_dt = datetime.combine(tl.start, datetime.min.time())
            if lead_created < start_dt:  # no lead before the history starts
                lead_created = tl.between(start_dt, created)
        stage, last_t = events[-1]
        closed = last_t if stage in ("won", "lost") else None
        first_day = (lead_created or created).date()
        last_day = (closed or tl.end_dt).date() + timedelta(days=14)
        if owner is None:
            owner = rep_for(self.reps, account, first_day, last_day)
        line = r.choices(PRODUCT_LINES, PRODUCT_LINE_WEIGHTS)[0]
        if account["english"]:
            name = f"{account['short']} - {PRODUCT_LINE_EN[line]} deal"
        else:
            name = f"{account['short']} {line}项目"
        planned = created.date() + timedelta(days=r.randint(30, 90))
        if closed is None:
            expected = max(planned, tl.end + timedelta(days=r.randint(7, 75)))
            lo = max(last_t, tl.end_dt - timedelta(days=14))
            modified = tl.between(lo, tl.end_dt)
        else:
            expected = planned
            modified = tl.between(closed, min(closed + timedelta(days=3), tl.end_dt))
        opp = {
            "account": account,
            "owner": owner,
            "name": name,
            "created": created,
            "events": events,
            "stage": stage,
            "amount": amount if amount is not None else opp_amount(owner, account["currency"]),
            "currency": account["currency"],
            "expected": expected,
            "closed": closed,
            "lost_reason": r.choice(LOST_REASONS) if stage == "lost" else None,
            "line": line,
            "lead": None,
            "lead_created": lead_created,
            "modified": modified,
            "touch_until": tl.end_dt,
            "no_order": False,
            "quarantined": False,
        }
        self.opps.append(opp)
        return opp

    def make_opportunities(self, pool: AccountPool) -> None:
        """The ordinary opportunities, opened on busy days on accounts that existed then."""
        tl = self.tl
        hi = tl.end - timedelta(days=1)
        for _ in range(tl.count(2000, 60)):
            created = tl.biz_time(tl.sample_day(hi=hi))
            account = pool.pick(tl, created - timedelta(days=1))
            if account is None:
                continue
            self.new_opportunity(account, created)

    def make_activities(self, pool: AccountPool) -> None:
        """Activities in each stage of every clean opportunity, then account touches."""
        tl, r = self.tl, self.tl.rng
        for opp in self.opps:
            if opp["quarantined"]:
                continue
            ev = opp["events"]
            for i, (stage, t0) in enumerate(ev):
                if stage in ("won", "lost"):
                    break
                t1 = ev[i + 1][1] if i + 1 < len(ev) else opp["touch_until"]
                if t1 <= t0:
                    continue
                types, extra_pct = STAGE_ACTIVITY[stage]
                kinds = [r.choice(types)]
                if r.randint(1, 100) <= extra_pct:
                    kinds.append(r.choice(EXTRA_ACTIVITY[stage]))
                for kind in kinds:
                    self.activities.append(
                        {
                            "rep": opp["owner"],
                            "account": opp["account"],
                            "opp": opp,
                            "type": kind,
                            "at": tl.between(t0, t1),
                        }
                    )
        target = tl.count(15000, 300)
        kinds, weights = ACCOUNT_ACTIVITY
        for _ in range(max(0, target - len(self.activities))):
            t = tl.biz_time(tl.sample_day())
            acct = pool.pick(tl, t)
            if acct is None:
                continue
            rep = rep_for(self.reps, acct, t.date(), t.date())
            self.activities.append(
                {
                    "rep": rep,
                    "account": acct,
                    "opp": None,
                    "type": r.choices(kinds, weights)[0],
                    "at": t,
                }
            )
