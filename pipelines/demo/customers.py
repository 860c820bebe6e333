"""The customers: accounts, the leads that point at them, and their satisfaction surveys.

``make_accounts`` creates the clean pool of accounts (about half older than the history)
that every other record picks from through ``AccountPool``. ``make_leads`` writes a
converted lead for each opportunity that came from one, plus the leads that did not
convert. ``make_surveys`` scores a third of the accounts a few weeks after a delivery.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from . import names as N
from .currency import REPORTING_CURRENCY, SECOND_CURRENCY
from .organisation import KEY_ACCOUNT_TEAM, is_active
from .records import Rec
from .timeline import Timeline

PAY_PROFILES = ("prompt", "normal", "slow", "bad")
PAY_PROFILE_WEIGHTS = (55, 28, 12, 5)

LEAD_SOURCES = (
    "Content marketing",
    "WeChat",
    "Weibo",
    "Zhihu",
    "LinkedIn",
    "SEO/SEM",
    "Exhibition",
    "Customer referral",
    "Telemarketing",
    "Partner",
)
LEAD_SOURCE_WEIGHTS = (12, 16, 5, 6, 7, 15, 12, 8, 12, 7)
CONVERTED_SOURCE_WEIGHTS = (10, 12, 2, 4, 6, 12, 16, 20, 6, 12)


# ---------------------------------------------------------------- accounts


def unique_name(used_names: set[str], make: Callable[[], dict[str, str]]) -> dict[str, str]:
    """A company from ``make`` whose name no rep or account has yet; records it as used."""
    info = make()
    tries = 1
    while info["name"] in used_names:
        info = make()
        tries += 1
        if tries > 40:
            info = dict(info)
            info["name"] = f"{info['name']} ({tries})"
    used_names.add(info["name"])
    return info


def new_account(tl: Timeline, used_names: set[str], owner: Rec, created: datetime) -> Rec:
    """An account of ``owner`` created at ``created`` (not added to any pool)."""
    r = tl.rng
    desk = owner["usd_desk"]
    english_team = owner["team"] == KEY_ACCOUNT_TEAM
    is_en = r.random() < (0.8 if desk else 0.4 if english_team else 0.05)
    region = owner["region"]
    info = unique_name(
        used_names,
        (lambda: N.english_company(r)) if is_en else (lambda: N.chinese_company(r, region)),
    )
    orig = owner
    if owner["replaces"] is not None and created.date() < owner["replaces"]["left_on"]:
        orig = owner["replaces"]
    local = r.choice(N.MAIL_LOCAL_PARTS)
    return {
        "name": info["name"],
        "short": info["short"],
        "slug": info["slug"],
        "english": is_en,
        "industry": info["industry"] if r.random() < 0.92 else None,
        "size_band": r.choices(("1-49", "50-199", "200-999", "1000+"), (25, 35, 28, 12))[0],
        "region": region,
        "channel": r.choices(("direct", "distribution", "ecommerce", "other"), (55, 25, 15, 5))[0],
        "owner": owner,
        "orig_owner": orig,
        "created": created,
        "phone": N.mobile_phone(r) if r.random() < 0.85 else None,
        "email": f"{local}@{info['slug']}.example.com" if r.random() < 0.7 else None,
        "currency": SECOND_CURRENCY if desk else REPORTING_CURRENCY,
        "pay_profile": r.choices(PAY_PROFILES, PAY_PROFILE_WEIGHTS)[0],
        "terms": r.choices((30, 45, 60, None, 90), (45, 25, 18, 8, 4))[0],
        "weight": r.choices((1, 2, 3, 6), (50, 25, 15, 10))[0],
        "orders": [],
    }


class AccountPool:
    """The clean accounts in creation order; ``pick`` favours those that do more business."""

    def __init__(self, accounts: list[Rec]) -> None:
        self.accounts = accounts
        self.created = [a["created"] for a in accounts]
        acc = 0
        self.cum_weight: list[int] = []
        for a in accounts:
            acc += a["weight"]
            self.cum_weight.append(acc)

    def pick(self, tl: Timeline, before: datetime) -> Rec | None:
        """An account created before ``before``, weighted by its ``weight``; None if none."""
        k = bisect.bisect_left(self.created, before)
        if k == 0:
            return None
        x = tl.rng.randint(1, self.cum_weight[k - 1])
        return self.accounts[bisect.bisect_left(self.cum_weight, x)]


def make_accounts(tl: Timeline, used_names: set[str], reps: list[Rec]) -> AccountPool:
    """The clean accounts of the current reps (managers own fewer), in creation order."""
    r = tl.rng
    owners = [rep for rep in reps if rep["left_on"] is None]
    weights = [0.5 if rep["manager"] is None else 1.0 for rep in owners]
    last_day = tl.end - timedelta(days=30)
    accounts: list[Rec] = []
    for _ in range(tl.count(600, 40)):
        owner = r.choices(owners, weights)[0]
        if owner["hired_on"] > tl.start and owner["replaces"] is None:
            lo = min(owner["hired_on"], last_day)
            d = lo + timedelta(days=r.randint(0, max(0, (last_day - lo).days)))
        elif r.random() < 0.5:
            d = tl.start - timedelta(days=r.randint(30, 1800))
        else:
            d = tl.start + timedelta(days=r.randint(0, max(0, (last_day - tl.start).days)))
        accounts.append(new_account(tl, used_names, owner, tl.biz_time(d)))
    accounts.sort(key=lambda a: a["created"])
    return AccountPool(accounts)


# ---------------------------------------------------------------- leads


def bant_flags(tl: Timeline, status: str) -> tuple[bool | None, ...]:
    """BANT flags of an unconverted lead: none while new, more often true the further along."""
    r = tl.rng
    if status == "new":
        return (None, None, None, None)
    p = {"working": 55, "qualified": 85, "disqualified": 30}[status]
    flags = tuple(r.randint(1, 100) <= p for _ in range(4))
    if status == "working" and r.random() < 0.3:
        return tuple(f if r.random() < 0.6 else None for f in flags)
    return flags


def lead_contact(tl: Timeline, lead: Rec, slug: str) -> None:
    """Give ``lead`` a mobile phone and an e-mail at ``slug`` (either may be missing)."""
    r = tl.rng
    lead["phone"] = N.mobile_phone(r) if r.random() < 0.8 else None
    if r.random() < 0.55:
        _, local = N.chinese_person(r)
        lead["email"] = f"{local}@{slug}.example.com"
    else:
        lead["email"] = None


def make_leads(tl: Timeline, reps: list[Rec], accounts: list[Rec], opps: list[Rec]) -> list[Rec]:
    """Converted leads for the opportunities that came from one, then the other leads.

    Links each converted lead and its opportunity both ways (``opp["lead"]``).
    """
    r = tl.rng
    leads: list[Rec] = []
    for opp in opps:
        if opp["lead_created"] is None:
            continue
        acct = opp["account"]
        lead = {
            "created": opp["lead_created"],
            "source": r.choices(LEAD_SOURCES, CONVERTED_SOURCE_WEIGHTS)[0],
            "owner": opp["owner"],
            "company": acct["name"],
            "status": "converted",
            "converted": opp["created"],
            "opp": opp,
            "bant": opp.get("bant", (True, True, True, True)),
        }
        lead_contact(tl, lead, acct["slug"])
        opp["lead"] = lead
        leads.append(lead)
    n_other = max(tl.count(3000, 100) - len(leads), tl.count(1500, 50))
    hi = tl.end
    active_sets: dict[date, list[Rec]] = {}
    for _ in range(n_other):
        created = tl.biz_time(tl.sample_day(hi=hi))
        d = created.date()
        if d not in active_sets:
            active_sets[d] = [x for x in reps if is_active(x, d, d)]
        owner = r.choice(active_sets[d])
        if r.random() < 0.2:
            acct = r.choice(accounts)
            company, slug = acct["name"], acct["slug"]
        else:
            en = owner["team"] == KEY_ACCOUNT_TEAM and r.random() < 0.5
            info = N.english_company(r) if en else N.chinese_company(r, owner["region"])
            company, slug = info["name"], info["slug"]
        age = (tl.end - created.date()).days
        if age <= 14:
            status = r.choices(("new", "working"), (60, 40))[0]
        elif age <= 60:
            status = r.choices(("working", "qualified", "disqualified"), (55, 15, 30))[0]
        else:
            status = r.choices(("disqualified", "working", "qualified"), (85, 10, 5))[0]
        lead = {
            "created": created,
            "source": r.choices(LEAD_SOURCES, LEAD_SOURCE_WEIGHTS)[0],
            "owner": owner,
            "company": company,
            "status": status,
            "converted": None,
            "opp": None,
            "bant": bant_flags(tl, status),
        }
        lead_contact(tl, lead, slug)
        leads.append(lead)
    return leads


# ---------------------------------------------------------------- surveys


def make_surveys(tl: Timeline, accounts: list[Rec]) -> None:
    """Satisfaction scores (``acct["surveys"]``: (day, score)) a few weeks after deliveries."""
    r = tl.rng
    for acct in accounts:
        delivered = sorted(o["delivered"] for o in acct["orders"] if o["delivered"] is not None)
        if not delivered or r.random() > 0.35:
            continue
        mood = r.randint(62, 97)
        days: set[date] = set()
        for _ in range(r.choices((1, 2, 3), (60, 30, 10))[0]):
            d = r.choice(delivered).date() + timedelta(days=r.randint(7, 45))
            if d <= tl.end:
                days.add(d)
        for d in sorted(days):
            score = min(100, max(0, mood + r.randint(-10, 6)))
            acct.setdefault("surveys", []).append((d, Decimal(score)))
