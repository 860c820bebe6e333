"""The sales organisation: regions, teams, reps, and who moved during the history.

Five teams in three regions (``TEAMS``); each team's first rep is its manager. Two reps
leave and are replaced, one joins mid-way, and two key-account reps sell only in USD
(``make_reps``). ``rep_for`` says who works an account over a span of days.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import names as N
from .records import Rec
from .timeline import Timeline

TEAMS: tuple[tuple[str, str, bool], ...] = (
    # (team, region, English-speaking key-account team)
    ("华东一组", "华东", False),
    ("华东二组", "华东", False),
    ("华南一组", "华南", False),
    ("华北一组", "华北", False),
    ("North Key Accounts", "华北", True),
)
#: The English-speaking key-account team (the last in ``TEAMS``).
KEY_ACCOUNT_TEAM = TEAMS[-1][0]


def make_reps(tl: Timeline, used_names: set[str]) -> list[Rec]:
    """The reps in id order, teams filled round-robin; adds their names to ``used_names``."""
    r = tl.rng
    n = tl.count(24, 12)
    members: list[list[Rec]] = [[] for _ in TEAMS]
    reps: list[Rec] = []
    used_emails: set[str] = set()
    for i in range(n):
        ti = i % len(TEAMS)
        team, region, english = TEAMS[ti]
        manager = members[ti][0] if members[ti] else None
        for attempt in range(1, 1000):
            name, local = N.english_person(r) if english else N.chinese_person(r)
            if attempt > 40:
                name, local = f"{name}{attempt}", f"{local}{attempt}"
            if name not in used_names and local not in used_emails:
                break
        used_names.add(name)
        used_emails.add(local)
        if manager is None:
            role = "sales_manager"
            hired = tl.start - timedelta(days=r.randint(900, 3000))
        else:
            role = "key_account_manager" if english else "sales_rep"
            hired = tl.start - timedelta(days=r.randint(60, 1500))
        rep = {
            "id": f"REP-{i + 1:03d}",
            "name": name,
            "email": f"{local}@salesops-demo.example.com",
            "team": team,
            "region": region,
            "manager": manager,
            "role": role,
            "hired_on": hired,
            "left_on": None,
            "replaces": None,
            "usd_desk": False,
            "base": r.randint(1200, 3000) * 100,  # typical deal, CNY
            "deal_phase": r.randint(0, 99_999),
            "deals": 0,
        }
        members[ti].append(rep)
        reps.append(rep)
    move_people(tl, members)
    return reps


def move_people(tl: Timeline, members: list[list[Rec]]) -> None:
    """The hierarchy's changes during the history, on the reps of each team (``members``)."""
    r = tl.rng
    # Two reps left during the history; a replacement took over their accounts.
    for ti, (lo, hi) in ((0, (220, 300)), (1, (430, 520))):
        if len(members[ti]) >= 3:
            leaver, repl = members[ti][1], members[ti][-1]
            leaver["left_on"] = tl.start + timedelta(days=min(r.randint(lo, hi), tl.span - 60))
            repl["hired_on"] = leaver["left_on"] - timedelta(days=r.randint(20, 40))
            repl["replaces"] = leaver
    # Key-account reps who sell to foreign customers in USD (all their accounts).
    for rep in members[-1][1:3]:
        rep["usd_desk"] = True
    # One more rep joined mid-way and built a book from scratch.
    if len(members[2]) >= 4:
        members[2][-1]["hired_on"] = tl.start + timedelta(days=r.randint(120, 240))


def is_active(rep: Rec, a: date, b: date) -> bool:
    """Whether ``rep`` was employed from ``a`` through ``b``."""
    return rep["hired_on"] <= a and (rep["left_on"] is None or b < rep["left_on"])


def rep_for(reps: list[Rec], account: Rec, a: date, b: date) -> Rec:
    """Who works the account from a to b: its earlier owner, its owner, else a teammate."""
    for rep in (account["orig_owner"], account["owner"]):
        if is_active(rep, a, b):
            return rep
    team = account["owner"]["team"]
    for rep in reps:
        if rep["team"] == team and is_active(rep, a, b):
            return rep
    for rep in reps:
        if is_active(rep, a, b):
            return rep
    return account["owner"]


def steady_reps(reps: list[Rec], start: date) -> list[Rec]:
    """CNY reps active through the whole history (from 60 days before ``start``), in id order."""
    return [
        x
        for x in reps
        if x["hired_on"] <= start - timedelta(days=60)
        and x["left_on"] is None
        and not x["usd_desk"]
    ]
