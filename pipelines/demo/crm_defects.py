"""The defects injected into CRM records: accounts, leads and opportunities.

Each ``inject_*`` function makes or breaks the records of one entity and logs every
defect with ``add_defect`` (the kinds and their rules are in ``defects``). Quarantined
accounts and opportunities are kept apart from everything else; the warnings sit on
normal records owned by reps who were there through the whole history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from . import names as N
from .currency import REPORTING_CURRENCY
from .customers import new_account
from .defects import DefectLog, add_defect
from .organisation import steady_reps
from .pipeline import Pipeline
from .records import Rec
from .timeline import Timeline


def clean_account_of(
    tl: Timeline, accounts: list[Rec], rep: Rec, currency: str, before: datetime
) -> Rec:
    """A clean account owned (then and now) by ``rep`` in ``currency``, else any clean one."""
    mine = [
        a
        for a in accounts
        if a["owner"] is rep
        and a["orig_owner"] is rep
        and a["currency"] == currency
        and a["created"] < before
        and not a.get("defects")
    ]
    if mine:
        return tl.rng.choice(mine)
    pool = [
        a
        for a in accounts
        if a["currency"] == currency and a["created"] < before and not a.get("defects")
    ]
    return tl.rng.choice(pool or accounts)


# ---------------------------------------------------------------- opportunities


def inject_warn_opportunities(
    tl: Timeline, reps: list[Rec], accounts: list[Rec], pipeline: Pipeline, log: DefectLog
) -> None:
    """Four opportunities that warn: stale open, amount outlier, BANT incomplete, no order.

    Each is a normal, referenced record owned by a steady CNY rep on one of their accounts.
    """
    r = tl.rng
    # stale_open_opportunity: stuck at proposal, expected close long gone, untouched since.
    rep = r.choice(steady_reps(reps, tl.start))
    created = tl.biz_time(tl.end - timedelta(days=r.randint(140, 170)))
    acct = clean_account_of(tl, accounts, rep, REPORTING_CURRENCY, created - timedelta(days=1))
    ev = pipeline.forced_events(created, [("discovery", r.randint(5, 10)), ("proposal", 15)])
    opp = pipeline.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
    opp["expected"] = tl.end - timedelta(days=r.randint(70, 90))
    opp["modified"] = tl.after(ev[-1][1], r.randint(2, 6))
    opp["touch_until"] = opp["modified"]
    add_defect(
        log,
        "expected_close_passed",
        "opportunities",
        opp,
        "expected_close_date",
        "Open opportunity at proposal whose expected close date passed about 70-90 days "
        "before the drop date and that nobody has touched since.",
    )

    # amount_outlier: a stray zero on one of the busiest rep's deals (lost, so no order).
    counts: dict[str, int] = {}
    for o in pipeline.opps:
        counts[o["owner"]["id"]] = counts.get(o["owner"]["id"], 0) + 1
    steady = steady_reps(reps, tl.start)
    rep = max(steady, key=lambda x: (counts.get(x["id"], 0), x["id"]))
    created = tl.biz_time(tl.end - timedelta(days=r.randint(200, 300)))
    acct = clean_account_of(tl, accounts, rep, REPORTING_CURRENCY, created - timedelta(days=1))
    ev = pipeline.forced_events(
        created, [("discovery", 6), ("proposal", 12), ("negotiation", 10), ("lost", 9)]
    )
    usual = rep["base"] * r.randint(90, 110) // 100 // 100 * 100
    opp = pipeline.new_opportunity(
        acct, created, ev, owner=rep, from_lead=False, amount=Decimal(usual * 10)
    )
    add_defect(
        log,
        "stray_zero",
        "opportunities",
        opp,
        "amount",
        f"Amount has a stray zero: {usual * 10}.00 instead of about {usual}.00, ten times "
        "the owner's usual deal size (robust z-score far above 3.5).",
    )

    # bant_incomplete: at proposal, from a lead with only one BANT flag set.
    rep = r.choice(steady_reps(reps, tl.start))
    created = tl.biz_time(tl.end - timedelta(days=r.randint(20, 35)))
    acct = clean_account_of(tl, accounts, rep, REPORTING_CURRENCY, created - timedelta(days=1))
    ev = pipeline.forced_events(created, [("discovery", 4), ("proposal", 6)])
    opp = pipeline.new_opportunity(acct, created, ev, owner=rep, from_lead=True)
    opp["bant"] = (False, False, True, False)
    add_defect(
        log,
        "bant_one_of_four",
        "opportunities",
        opp,
        "lead_id",
        "Opportunity at proposal whose lead has only 1 of 4 BANT flags true (need only).",
    )

    # won_without_order: won about two months ago, never booked in the ERP.
    rep = r.choice(steady_reps(reps, tl.start))
    created = tl.biz_time(tl.end - timedelta(days=r.randint(120, 140)))
    acct = clean_account_of(tl, accounts, rep, REPORTING_CURRENCY, created - timedelta(days=1))
    ev = pipeline.forced_events(
        created, [("discovery", 8), ("proposal", 14), ("negotiation", 12), ("won", 10)]
    )
    opp = pipeline.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
    opp["no_order"] = True
    add_defect(
        log,
        "won_without_order",
        "opportunities",
        opp,
        "stage",
        "Opportunity won more than 30 days before the drop date with no order for it.",
    )


def inject_bad_opportunities(
    tl: Timeline, reps: list[Rec], accounts: list[Rec], pipeline: Pipeline, log: DefectLog
) -> None:
    """Four quarantined opportunities nothing else points at (no lead, stage history,
    activities or order): no owner, letter O in the amount, unknown stage, unknown account;
    and one closed before it was created, loaded and flagged with its stage history (a lost
    deal still counts)."""
    r = tl.rng

    def bad(days_back: int, events_steps: list[tuple[str, int]]) -> Rec:
        rep = r.choice(steady_reps(reps, tl.start))
        created = tl.biz_time(tl.end - timedelta(days=days_back))
        acct = clean_account_of(tl, accounts, rep, REPORTING_CURRENCY, created - timedelta(days=1))
        ev = pipeline.forced_events(created, events_steps)
        opp = pipeline.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
        opp["quarantined"] = True
        opp["no_order"] = True
        opp["override"] = {}
        return opp

    opp = bad(r.randint(20, 60), [("discovery", 5)])
    opp["override"]["owner_rep_id"] = ""
    add_defect(
        log,
        "empty_opportunity_owner",
        "opportunities",
        opp,
        "owner_rep_id",
        "Opportunity without an owner (required field empty).",
    )

    opp = bad(r.randint(20, 60), [("discovery", 5), ("proposal", 7)])
    digits = f"{int(opp['amount']):,}"
    opp["override"]["amount"] = digits[:2] + digits[2:].replace("0", "O") + ".00"
    add_defect(
        log,
        "amount_with_letter_o",
        "opportunities",
        opp,
        "amount",
        "Amount typed with thousands separators and the letter O instead of zero.",
    )

    opp = bad(r.randint(30, 90), [("discovery", 5), ("proposal", 9), ("negotiation", 8)])
    opp["override"]["stage"] = "closing"
    add_defect(
        log,
        "unknown_stage",
        "opportunities",
        opp,
        "stage",
        "Stage 'closing' is not one of the contract's stages.",
    )

    opp = bad(r.randint(100, 300), [("discovery", 6), ("lost", 10)])
    opp["closed"] = opp["created"] - timedelta(days=r.randint(5, 20), hours=r.randint(0, 5))
    # Only the close date was typed wrong: the stage history keeps when the stages changed.
    opp["quarantined"] = False  # loaded and flagged: its stage history is written too
    add_defect(
        log,
        "closed_before_created",
        "opportunities",
        opp,
        "closed_at",
        "Opportunity closed (lost) before it was created.",
    )

    opp = bad(r.randint(20, 90), [("discovery", 5)])
    opp["missing_account"] = True
    add_defect(
        log,
        "unknown_account",
        "opportunities",
        opp,
        "account_id",
        "Opportunity for an account id that exists in no file.",
    )


# ---------------------------------------------------------------- leads


def inject_short_phone(tl: Timeline, leads: list[Rec], log: DefectLog) -> None:
    """malformed_phone: one digit dropped from an unconverted, worked lead's mobile number."""
    r = tl.rng
    candidates = [x for x in leads if x["opp"] is None and x["status"] != "new"]
    lead = r.choice(candidates)
    lead["phone"] = (lead["phone"] or N.mobile_phone(r))[:10]
    add_defect(
        log,
        "short_phone",
        "leads",
        lead,
        "phone",
        "Mobile number with one digit missing (10 digits; a mainland mobile has 11).",
    )


# ---------------------------------------------------------------- accounts


def inject_account_defects(
    tl: Timeline,
    used_names: set[str],
    reps: list[Rec],
    accounts: list[Rec],
    log: DefectLog,
) -> list[Rec]:
    """Three quarantined accounts (no name, unknown channel, an id written twice with
    different names), returned apart from the clean pool and used by nothing, and a
    malformed e-mail on a clean account in use.

    The duplicate's second row (``twin``) hangs off the first (``acct["twin"]``) and is
    placed when ids are given.
    """
    r = tl.rng
    bad_accounts: list[Rec] = []
    owners = [x for x in reps if x["left_on"] is None]
    last_day = tl.end - timedelta(days=5)

    def bad() -> Rec:
        owner = r.choice(owners)
        lo = max(tl.start, owner["hired_on"])
        d = lo + timedelta(days=r.randint(0, max(0, (last_day - lo).days)))
        acct = new_account(tl, used_names, owner, tl.biz_time(d))
        acct["override"] = {}
        bad_accounts.append(acct)
        return acct

    acct = bad()
    acct["override"]["account_name"] = ""
    add_defect(
        log,
        "empty_account_name",
        "accounts",
        acct,
        "account_name",
        "Account without a name (required field empty).",
    )
    acct = bad()
    acct["override"]["channel"] = "wholesale"
    add_defect(
        log,
        "unknown_channel",
        "accounts",
        acct,
        "channel",
        "Channel 'wholesale' is not one of direct, distribution, ecommerce, other.",
    )
    acct = bad()
    twin = dict(acct)
    twin["name"] = acct["short"]
    twin["override"] = {}
    twin["defects"] = []
    twin["twin_of"] = acct
    acct["twin"] = twin
    add_defect(
        log,
        "duplicate_account_id",
        "accounts",
        acct,
        "account_name",
        "Account id appears twice in accounts.csv with different names (first row).",
    )
    add_defect(
        log,
        "duplicate_account_id",
        "accounts",
        twin,
        "account_name",
        "Account id appears twice in accounts.csv with different names (second row).",
    )

    # malformed_email on an account that is otherwise fine and in use.
    acct = r.choice(accounts)
    surname = r.choice(N.SURNAMES)[1]
    acct["email"] = f"{surname}@@{acct['slug'].split('-')[0]}"
    add_defect(
        log,
        "double_at_email",
        "accounts",
        acct,
        "email",
        "E-mail address with a doubled @ and no domain suffix.",
    )
    return bad_accounts
