"""The simulated sales organisation behind the demo drop.

``World(seed, scale, end).build()`` creates two years of reps, accounts, leads,
opportunities with their stage history, activities, orders, payments, fx rates,
targets, capability scores and surveys, and injects the defects listed in
``DEFECT_KINDS``.

Records are plain dicts that point at each other (an opportunity holds its
account dict, not an id), so they are removed by identity, never compared.
Ids are assigned once every entity is complete, in time order. Each defect is
remembered as (record, column); ``render`` finds its row when writing.

Determinism: every random choice comes from one ``random.Random(seed)``, drawn
in a fixed order; written values come from integers and ``Decimal`` only, and
no clock is read.
"""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from . import names as N
from .formats import Q2, fmt_dec

Rec = dict[str, Any]

REPORTING_CURRENCY = "CNY"
SECOND_CURRENCY = "USD"
#: Entities the demo drop leaves out (the warehouse derives invoices from orders).
SKIPPED_ENTITIES = frozenset({"invoices"})


TEAMS: tuple[tuple[str, str, bool], ...] = (
    # (team, region, English-speaking key-account team)
    ("华东一组", "华东", False),
    ("华东二组", "华东", False),
    ("华南一组", "华南", False),
    ("华北一组", "华北", False),
    ("North Key Accounts", "华北", True),
)

#: Relative business per calendar month (Chinese New Year dip, year-end push).
SEASON = {
    1: 0.9,
    2: 0.6,
    3: 1.05,
    4: 1.0,
    5: 1.0,
    6: 1.1,
    7: 0.95,
    8: 0.95,
    9: 1.15,
    10: 0.8,
    11: 1.1,
    12: 1.2,
}
GROWTH = 0.35  # business grows ~35% across the two years

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

PRODUCT_LINES = ("工业软件", "智能硬件", "技术服务")
PRODUCT_LINE_EN = {"工业软件": "Software", "智能硬件": "Devices", "技术服务": "Services"}
PRODUCT_LINE_WEIGHTS = (45, 35, 20)
PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("PRD-001", "MES 标准版（年度订阅）", "工业软件", 98000),
    ("PRD-002", "数据采集平台 DataHub", "工业软件", 56000),
    ("PRD-003", "设备管理系统 EAM", "工业软件", 72000),
    ("PRD-004", "边缘计算网关 EG200", "智能硬件", 12800),
    ("PRD-005", "工业平板 T10", "智能硬件", 6800),
    ("PRD-006", "传感器套件 S5", "智能硬件", 2400),
    ("PRD-007", "实施服务（人天）", "技术服务", 2500),
    ("PRD-008", "年度运维服务", "技术服务", 36000),
)

PAY_PROFILES = ("prompt", "normal", "slow", "bad")
PAY_PROFILE_WEIGHTS = (55, 28, 12, 5)
PAYMENT_METHODS = ("bank_transfer", "acceptance_bill", "alipay", "wechat_pay", "check")
PAYMENT_METHOD_WEIGHTS = (70, 10, 8, 7, 5)
AGING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")

#: Injected defects: kind -> (expected_rule, severity), in manifest order.
DEFECT_KINDS: dict[str, tuple[str, str]] = {
    "empty_account_name": ("missing_required", "quarantine"),
    "empty_opportunity_owner": ("missing_required", "quarantine"),
    "payment_without_order": ("missing_required", "quarantine"),
    "amount_with_letter_o": ("unparseable_value", "quarantine"),
    "impossible_order_date": ("unparseable_value", "quarantine"),
    "unknown_stage": ("value_not_allowed", "quarantine"),
    "unknown_channel": ("value_not_allowed", "quarantine"),
    "rmb_currency_code": ("invalid_currency_code", "quarantine"),
    "negative_quantity": ("negative_value", "quarantine"),
    "negative_payment": ("negative_value", "quarantine"),
    "closed_before_created": ("timestamps_out_of_order", "quarantine"),
    "duplicate_account_id": ("duplicate_id_conflict", "quarantine"),
    "unknown_account": ("missing_reference", "quarantine"),
    "unknown_order": ("missing_reference", "quarantine"),
    "double_at_email": ("malformed_email", "warn"),
    "short_phone": ("malformed_phone", "warn"),
    "expected_close_passed": ("stale_open_opportunity", "warn"),
    "stray_zero": ("amount_outlier", "warn"),
    "bant_one_of_four": ("bant_incomplete", "warn"),
    "double_posted_payment": ("overpaid_order", "warn"),
    "won_without_order": ("won_without_order", "warn"),
}


def _minus_two_years(d: date) -> date:
    try:
        return d.replace(year=d.year - 2)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 2, day=28)


def _ceil_div(a: Decimal, b: Decimal) -> int:
    q = int(a // b)
    return q if q * b >= a else q + 1


def _drop(items: list, item: object) -> None:
    """Remove ``item`` by identity (records are cyclic dicts; never compare them)."""
    items[:] = [x for x in items if x is not item]


class World:
    """The simulated organisation; ``build()`` fills every list, ids included."""

    def __init__(self, seed: int, scale: float, end: date) -> None:
        self.seed = seed
        self.scale = scale
        self.rng = random.Random(seed)
        self.end = end
        self.start = _minus_two_years(end) + timedelta(days=1)
        self.end_dt = datetime(end.year, end.month, end.day, 23, 59, 59)
        self.span = (end - self.start).days + 1
        self.days = [self.start + timedelta(days=i) for i in range(self.span)]
        acc = 0.0
        self.day_cum: list[float] = []
        for i, d in enumerate(self.days):
            w = (1 + GROWTH * i / self.span) * SEASON[d.month] * (1.0 if d.weekday() < 5 else 0.1)
            acc += w
            self.day_cum.append(acc)

        self.reps: list[Rec] = []
        self.accounts: list[Rec] = []  # clean pool, usable by other records
        self.bad_accounts: list[Rec] = []  # quarantined, referenced by nothing
        self.products: list[Rec] = []
        self.leads: list[Rec] = []
        self.opps: list[Rec] = []
        self.activities: list[Rec] = []
        self.orders: list[Rec] = []
        self.payments: list[Rec] = []
        self.fx: dict[date, Decimal] = {}
        self.targets: list[list[str]] = []
        self.capability: list[list[str]] = []
        self.defects: list[Rec] = []  # {"kind", "entity", "rec", "column", "description"}
        self.used_names: set[str] = set()

    # ---------------------------------------------------------------- helpers

    def count(self, base: int, minimum: int) -> int:
        return max(minimum, round(base * self.scale))

    def biz_time(self, d: date) -> datetime:
        """A business-hours time on ``d``; a weekend day moves to Monday (if not past the end)."""
        moved = d
        while moved.weekday() >= 5:
            moved += timedelta(days=1)
        if moved <= self.end or d > self.end:  # never push an event past the drop date
            d = moved
        r = self.rng
        return datetime(
            d.year, d.month, d.day, r.randint(9, 17), r.randint(0, 59), r.randint(0, 59)
        )

    def after(self, t: datetime, days: int) -> datetime:
        return self.biz_time(t.date() + timedelta(days=days))

    def between(self, a: datetime, b: datetime) -> datetime:
        """A time strictly inside (a, b), preferring weekday business hours."""
        span = int((b - a).total_seconds())
        if span < 2:
            return a
        t = a
        for _ in range(8):
            t = a + timedelta(seconds=self.rng.randint(1, span - 1))
            if 9 <= t.hour < 19 and (t.weekday() < 5 or self.rng.random() < 0.1):
                return t
        return t

    def sample_day(self, hi: date | None = None, lo: date | None = None) -> date:
        """A day in [lo, hi] of the history, weighted by trend, season and weekday."""
        k = self.span if hi is None else bisect.bisect_right(self.days, hi)
        j = 0 if lo is None else bisect.bisect_left(self.days, lo)
        if k <= j:
            return self.days[min(j, self.span - 1)]
        base = self.day_cum[j - 1] if j > 0 else 0.0
        x = base + self.rng.random() * (self.day_cum[k - 1] - base)
        return self.days[min(bisect.bisect_right(self.day_cum, x), k - 1)]

    def unique_name(self, make) -> dict[str, str]:
        info = make()
        tries = 1
        while info["name"] in self.used_names:
            info = make()
            tries += 1
            if tries > 40:
                info = dict(info)
                info["name"] = f"{info['name']} ({tries})"
        self.used_names.add(info["name"])
        return info

    @staticmethod
    def active(rep: Rec, a: date, b: date) -> bool:
        return rep["hired_on"] <= a and (rep["left_on"] is None or b < rep["left_on"])

    def rep_for(self, account: Rec, a: date, b: date) -> Rec:
        """Who works the account from a to b: its earlier owner, its owner, else a teammate."""
        for rep in (account["orig_owner"], account["owner"]):
            if self.active(rep, a, b):
                return rep
        team = account["owner"]["team"]
        for rep in self.reps:
            if rep["team"] == team and self.active(rep, a, b):
                return rep
        for rep in self.reps:
            if self.active(rep, a, b):
                return rep
        return account["owner"]

    def rate(self, currency: str, d: date) -> Decimal:
        if currency == REPORTING_CURRENCY:
            return Decimal(1)
        for back in range(15):
            r = self.fx.get(d - timedelta(days=back))
            if r is not None:
                return r
        return Decimal("7.2")

    def add_defect(self, kind: str, entity: str, rec: Rec, column: str, description: str) -> None:
        """Remember that ``rec`` (a row of ``entity``) is broken on purpose in ``column``."""
        assert kind in DEFECT_KINDS, kind
        self.defects.append(
            {
                "kind": kind,
                "entity": entity,
                "rec": rec,
                "column": column,
                "description": description,
            }
        )
        rec.setdefault("defects", []).append(kind)

    # ---------------------------------------------------------------- reps, products, fx

    def make_reps(self) -> None:
        r = self.rng
        n = self.count(24, 12)
        members: list[list[Rec]] = [[] for _ in TEAMS]
        used_emails: set[str] = set()
        for i in range(n):
            ti = i % len(TEAMS)
            team, region, english = TEAMS[ti]
            manager = members[ti][0] if members[ti] else None
            for attempt in range(1, 1000):
                name, local = N.english_person(r) if english else N.chinese_person(r)
                if attempt > 40:
                    name, local = f"{name}{attempt}", f"{local}{attempt}"
                if name not in self.used_names and local not in used_emails:
                    break
            self.used_names.add(name)
            used_emails.add(local)
            if manager is None:
                role = "sales_manager"
                hired = self.start - timedelta(days=r.randint(900, 3000))
            else:
                role = "key_account_manager" if english else "sales_rep"
                hired = self.start - timedelta(days=r.randint(60, 1500))
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
            self.reps.append(rep)
        # Two reps left during the history; a replacement took over their accounts.
        for ti, (lo, hi) in ((0, (220, 300)), (1, (430, 520))):
            if len(members[ti]) >= 3:
                leaver, repl = members[ti][1], members[ti][-1]
                leaver["left_on"] = self.start + timedelta(
                    days=min(r.randint(lo, hi), self.span - 60)
                )
                repl["hired_on"] = leaver["left_on"] - timedelta(days=r.randint(20, 40))
                repl["replaces"] = leaver
        # Key-account reps who sell to foreign customers in USD (all their accounts).
        for rep in members[-1][1:3]:
            rep["usd_desk"] = True
        # One more rep joined mid-way and built a book from scratch.
        if len(members[2]) >= 4:
            members[2][-1]["hired_on"] = self.start + timedelta(days=r.randint(120, 240))

    def make_products(self) -> None:
        for pid, name, line, price in PRODUCTS:
            self.products.append(
                {"id": pid, "name": name, "line": line, "list_price": Decimal(price)}
            )
        self.products_by_line = {
            line: [p for p in self.products if p["line"] == line] for line in PRODUCT_LINES
        }

    def make_fx(self) -> None:
        d = self.start
        while d.weekday() >= 5:
            d -= timedelta(days=1)
        micro = 7_200_000 + self.rng.randint(-40_000, 40_000)
        while d <= self.end:
            if d.weekday() < 5:
                micro += self.rng.randint(-9_000, 9_000) + (7_200_000 - micro) // 25
                micro = min(7_300_000, max(7_100_000, micro))
                self.fx[d] = Decimal(micro).scaleb(-6)
            d += timedelta(days=1)

    # ---------------------------------------------------------------- accounts

    def new_account(self, owner: Rec, created: datetime) -> Rec:
        r = self.rng
        desk = owner["usd_desk"]
        english_team = owner["team"] == TEAMS[-1][0]
        is_en = r.random() < (0.8 if desk else 0.4 if english_team else 0.05)
        region = owner["region"]
        info = self.unique_name(
            (lambda: N.english_company(r)) if is_en else (lambda: N.chinese_company(r, region))
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
            "channel": r.choices(("direct", "distribution", "ecommerce", "other"), (55, 25, 15, 5))[
                0
            ],
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

    def make_accounts(self) -> None:
        r = self.rng
        owners = [rep for rep in self.reps if rep["left_on"] is None]
        weights = [0.5 if rep["manager"] is None else 1.0 for rep in owners]
        last_day = self.end - timedelta(days=30)
        for _ in range(self.count(600, 40)):
            owner = r.choices(owners, weights)[0]
            if owner["hired_on"] > self.start and owner["replaces"] is None:
                lo = min(owner["hired_on"], last_day)
                d = lo + timedelta(days=r.randint(0, max(0, (last_day - lo).days)))
            elif r.random() < 0.5:
                d = self.start - timedelta(days=r.randint(30, 1800))
            else:
                d = self.start + timedelta(days=r.randint(0, max(0, (last_day - self.start).days)))
            self.accounts.append(self.new_account(owner, self.biz_time(d)))
        self.accounts.sort(key=lambda a: a["created"])
        self.acc_created = [a["created"] for a in self.accounts]
        acc = 0
        self.acc_cum: list[int] = []
        for a in self.accounts:
            acc += a["weight"]
            self.acc_cum.append(acc)

    def pick_account(self, before: datetime) -> Rec | None:
        k = bisect.bisect_left(self.acc_created, before)
        if k == 0:
            return None
        x = self.rng.randint(1, self.acc_cum[k - 1])
        return self.accounts[bisect.bisect_left(self.acc_cum, x)]

    # ---------------------------------------------------------------- opportunities

    def plan_events(self, created: datetime) -> list[tuple[str, datetime]]:
        r = self.rng
        events = [("qualified", created)]
        cur, t = "qualified", created
        while True:
            lo, hi = STAGE_DAYS[cur]
            t = self.after(t, r.randint(lo, hi))
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
        return [e for e in events if e[1] <= self.end_dt]

    def opp_amount(self, owner: Rec, currency: str) -> Decimal:
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

    def new_opportunity(
        self,
        account: Rec,
        created: datetime,
        events: list[tuple[str, datetime]] | None = None,
        owner: Rec | None = None,
        from_lead: bool | None = None,
        amount: Decimal | None = None,
    ) -> Rec:
        r = self.rng
        if events is None:
            events = self.plan_events(created)
        if from_lead is None:
            from_lead = r.random() < (0.75 if account["created"].date() >= self.start else 0.3)
        lead_created = None
        if from_lead:
            lead_created = self.after(created, -r.randint(1, 30))
            if lead_created >= created:
                lead_created = created - timedelta(hours=r.randint(2, 48))
            start_dt = datetime.combine(self.start, datetime.min.time())
            if lead_created < start_dt:  # no lead before the history starts
                lead_created = self.between(start_dt, created)
        stage, last_t = events[-1]
        closed = last_t if stage in ("won", "lost") else None
        first_day = (lead_created or created).date()
        last_day = (closed or self.end_dt).date() + timedelta(days=14)
        if owner is None:
            owner = self.rep_for(account, first_day, last_day)
        line = r.choices(PRODUCT_LINES, PRODUCT_LINE_WEIGHTS)[0]
        if account["english"]:
            name = f"{account['short']} - {PRODUCT_LINE_EN[line]} deal"
        else:
            name = f"{account['short']} {line}项目"
        planned = created.date() + timedelta(days=r.randint(30, 90))
        if closed is None:
            expected = max(planned, self.end + timedelta(days=r.randint(7, 75)))
            lo = max(last_t, self.end_dt - timedelta(days=14))
            modified = self.between(lo, self.end_dt)
        else:
            expected = planned
            modified = self.between(closed, min(closed + timedelta(days=3), self.end_dt))
        opp = {
            "account": account,
            "owner": owner,
            "name": name,
            "created": created,
            "events": events,
            "stage": stage,
            "amount": amount if amount is not None else self.opp_amount(owner, account["currency"]),
            "currency": account["currency"],
            "expected": expected,
            "closed": closed,
            "lost_reason": r.choice(LOST_REASONS) if stage == "lost" else None,
            "line": line,
            "lead": None,
            "lead_created": lead_created,
            "modified": modified,
            "touch_until": self.end_dt,
            "no_order": False,
            "quarantined": False,
        }
        self.opps.append(opp)
        return opp

    def forced_events(self, created: datetime, steps: list[tuple[str, int]]) -> list:
        events = [("qualified", created)]
        t = created
        for stage, days in steps:
            t = self.after(t, days)
            events.append((stage, t))
        return events

    def make_opportunities(self) -> None:
        hi = self.end - timedelta(days=1)
        for _ in range(self.count(2000, 60)):
            created = self.biz_time(self.sample_day(hi=hi))
            account = self.pick_account(created - timedelta(days=1))
            if account is None:
                continue
            self.new_opportunity(account, created)

    def account_of(self, rep: Rec, currency: str, before: datetime) -> Rec:
        """A clean account owned (then and now) by ``rep`` in ``currency``, else any clean one."""
        mine = [
            a
            for a in self.accounts
            if a["owner"] is rep
            and a["orig_owner"] is rep
            and a["currency"] == currency
            and a["created"] < before
            and not a.get("defects")
        ]
        if mine:
            return self.rng.choice(mine)
        pool = [
            a
            for a in self.accounts
            if a["currency"] == currency and a["created"] < before and not a.get("defects")
        ]
        return self.rng.choice(pool or self.accounts)

    def steady_rep(self) -> Rec:
        """A rep active through the whole history (the usual owner of warn defects)."""
        reps = [
            x
            for x in self.reps
            if x["hired_on"] <= self.start - timedelta(days=60)
            and x["left_on"] is None
            and not x["usd_desk"]
        ]
        return self.rng.choice(reps)

    def make_warn_opportunities(self) -> None:
        r = self.rng
        # stale_open_opportunity: stuck at proposal, expected close long gone, untouched since.
        rep = self.steady_rep()
        created = self.biz_time(self.end - timedelta(days=r.randint(140, 170)))
        acct = self.account_of(rep, REPORTING_CURRENCY, created - timedelta(days=1))
        ev = self.forced_events(created, [("discovery", r.randint(5, 10)), ("proposal", 15)])
        opp = self.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
        opp["expected"] = self.end - timedelta(days=r.randint(70, 90))
        opp["modified"] = self.after(ev[-1][1], r.randint(2, 6))
        opp["touch_until"] = opp["modified"]
        self.add_defect(
            "expected_close_passed",
            "opportunities",
            opp,
            "expected_close_date",
            "Open opportunity at proposal whose expected close date passed about 70-90 days "
            "before the drop date and that nobody has touched since.",
        )

        # amount_outlier: a stray zero on one of the busiest rep's deals (lost, so no order).
        counts: dict[str, int] = {}
        for o in self.opps:
            counts[o["owner"]["id"]] = counts.get(o["owner"]["id"], 0) + 1
        steady = [
            x
            for x in self.reps
            if x["left_on"] is None
            and x["hired_on"] <= self.start - timedelta(days=60)
            and not x["usd_desk"]
        ]
        rep = max(steady, key=lambda x: (counts.get(x["id"], 0), x["id"]))
        created = self.biz_time(self.end - timedelta(days=r.randint(200, 300)))
        acct = self.account_of(rep, REPORTING_CURRENCY, created - timedelta(days=1))
        ev = self.forced_events(
            created, [("discovery", 6), ("proposal", 12), ("negotiation", 10), ("lost", 9)]
        )
        usual = rep["base"] * r.randint(90, 110) // 100 // 100 * 100
        opp = self.new_opportunity(
            acct, created, ev, owner=rep, from_lead=False, amount=Decimal(usual * 10)
        )
        self.add_defect(
            "stray_zero",
            "opportunities",
            opp,
            "amount",
            f"Amount has a stray zero: {usual * 10}.00 instead of about {usual}.00, ten times "
            "the owner's usual deal size (robust z-score far above 3.5).",
        )

        # bant_incomplete: at proposal, from a lead with only one BANT flag set.
        rep = self.steady_rep()
        created = self.biz_time(self.end - timedelta(days=r.randint(20, 35)))
        acct = self.account_of(rep, REPORTING_CURRENCY, created - timedelta(days=1))
        ev = self.forced_events(created, [("discovery", 4), ("proposal", 6)])
        opp = self.new_opportunity(acct, created, ev, owner=rep, from_lead=True)
        opp["bant"] = (False, False, True, False)
        self.add_defect(
            "bant_one_of_four",
            "opportunities",
            opp,
            "lead_id",
            "Opportunity at proposal whose lead has only 1 of 4 BANT flags true (need only).",
        )

        # won_without_order: won about two months ago, never booked in the ERP.
        rep = self.steady_rep()
        created = self.biz_time(self.end - timedelta(days=r.randint(120, 140)))
        acct = self.account_of(rep, REPORTING_CURRENCY, created - timedelta(days=1))
        ev = self.forced_events(
            created, [("discovery", 8), ("proposal", 14), ("negotiation", 12), ("won", 10)]
        )
        opp = self.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
        opp["no_order"] = True
        self.add_defect(
            "won_without_order",
            "opportunities",
            opp,
            "stage",
            "Opportunity won more than 30 days before the drop date with no order for it.",
        )

    def make_bad_opportunities(self) -> None:
        """Quarantine-worthy opportunities: nothing else points at them."""
        r = self.rng

        def bad(days_back: int, events_steps: list[tuple[str, int]]) -> Rec:
            rep = self.steady_rep()
            created = self.biz_time(self.end - timedelta(days=days_back))
            acct = self.account_of(rep, REPORTING_CURRENCY, created - timedelta(days=1))
            ev = self.forced_events(created, events_steps)
            opp = self.new_opportunity(acct, created, ev, owner=rep, from_lead=False)
            opp["quarantined"] = True
            opp["no_order"] = True
            opp["override"] = {}
            return opp

        opp = bad(r.randint(20, 60), [("discovery", 5)])
        opp["override"]["owner_rep_id"] = ""
        self.add_defect(
            "empty_opportunity_owner",
            "opportunities",
            opp,
            "owner_rep_id",
            "Opportunity without an owner (required field empty).",
        )

        opp = bad(r.randint(20, 60), [("discovery", 5), ("proposal", 7)])
        digits = f"{int(opp['amount']):,}"
        opp["override"]["amount"] = digits[:2] + digits[2:].replace("0", "O") + ".00"
        self.add_defect(
            "amount_with_letter_o",
            "opportunities",
            opp,
            "amount",
            "Amount typed with thousands separators and the letter O instead of zero.",
        )

        opp = bad(r.randint(30, 90), [("discovery", 5), ("proposal", 9), ("negotiation", 8)])
        opp["override"]["stage"] = "closing"
        self.add_defect(
            "unknown_stage",
            "opportunities",
            opp,
            "stage",
            "Stage 'closing' is not one of the contract's stages.",
        )

        opp = bad(r.randint(100, 300), [("discovery", 6), ("lost", 10)])
        opp["closed"] = opp["created"] - timedelta(days=r.randint(5, 20), hours=r.randint(0, 5))
        opp["events"][-1] = ("lost", opp["closed"])
        self.add_defect(
            "closed_before_created",
            "opportunities",
            opp,
            "closed_at",
            "Opportunity closed (lost) before it was created.",
        )

        opp = bad(r.randint(20, 90), [("discovery", 5)])
        opp["missing_account"] = True
        self.add_defect(
            "unknown_account",
            "opportunities",
            opp,
            "account_id",
            "Opportunity for an account id that exists in no file.",
        )

    # ---------------------------------------------------------------- leads

    def bant_flags(self, status: str) -> tuple[bool | None, ...]:
        r = self.rng
        if status == "new":
            return (None, None, None, None)
        p = {"working": 55, "qualified": 85, "disqualified": 30}[status]
        flags = tuple(r.randint(1, 100) <= p for _ in range(4))
        if status == "working" and r.random() < 0.3:
            return tuple(f if r.random() < 0.6 else None for f in flags)
        return flags

    def lead_contact(self, lead: Rec, slug: str) -> None:
        r = self.rng
        lead["phone"] = N.mobile_phone(r) if r.random() < 0.8 else None
        if r.random() < 0.55:
            _, local = N.chinese_person(r)
            lead["email"] = f"{local}@{slug}.example.com"
        else:
            lead["email"] = None

    def make_leads(self) -> None:
        r = self.rng
        for opp in self.opps:
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
            self.lead_contact(lead, acct["slug"])
            opp["lead"] = lead
            self.leads.append(lead)
        n_other = max(self.count(3000, 100) - len(self.leads), self.count(1500, 50))
        hi = self.end
        active_sets: dict[date, list[Rec]] = {}
        for _ in range(n_other):
            created = self.biz_time(self.sample_day(hi=hi))
            d = created.date()
            if d not in active_sets:
                active_sets[d] = [x for x in self.reps if self.active(x, d, d)]
            owner = r.choice(active_sets[d])
            if r.random() < 0.2:
                acct = r.choice(self.accounts)
                company, slug = acct["name"], acct["slug"]
            else:
                en = owner["team"] == TEAMS[-1][0] and r.random() < 0.5
                info = N.english_company(r) if en else N.chinese_company(r, owner["region"])
                company, slug = info["name"], info["slug"]
            age = (self.end - created.date()).days
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
                "bant": self.bant_flags(status),
            }
            self.lead_contact(lead, slug)
            self.leads.append(lead)
        # malformed_phone: one digit dropped from a lead's mobile number.
        candidates = [x for x in self.leads if x["opp"] is None and x["status"] != "new"]
        lead = r.choice(candidates)
        lead["phone"] = (lead["phone"] or N.mobile_phone(r))[:10]
        self.add_defect(
            "short_phone",
            "leads",
            lead,
            "phone",
            "Mobile number with one digit missing (10 digits; a mainland mobile has 11).",
        )

    # ---------------------------------------------------------------- activities

    STAGE_ACTIVITY = {
        "qualified": (("call", "email"), 0),
        "discovery": (("visit", "meeting", "call"), 30),
        "proposal": (("proposal",), 50),
        "negotiation": (("quote",), 50),
    }
    EXTRA_ACTIVITY = {
        "qualified": ("call",),
        "discovery": ("visit", "demo"),
        "proposal": ("demo", "meeting"),
        "negotiation": ("call", "meeting"),
    }

    def make_activities(self) -> None:
        r = self.rng
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
                types, extra_pct = self.STAGE_ACTIVITY[stage]
                kinds = [r.choice(types)]
                if r.randint(1, 100) <= extra_pct:
                    kinds.append(r.choice(self.EXTRA_ACTIVITY[stage]))
                for kind in kinds:
                    self.activities.append(
                        {
                            "rep": opp["owner"],
                            "account": opp["account"],
                            "opp": opp,
                            "type": kind,
                            "at": self.between(t0, t1),
                        }
                    )
        target = self.count(15000, 300)
        kinds = ("visit", "call", "email", "meeting")
        weights = (30, 35, 20, 15)
        for _ in range(max(0, target - len(self.activities))):
            t = self.biz_time(self.sample_day())
            acct = self.pick_account(t)
            if acct is None:
                continue
            rep = self.rep_for(acct, t.date(), t.date())
            self.activities.append(
                {
                    "rep": rep,
                    "account": acct,
                    "opp": None,
                    "type": r.choices(kinds, weights)[0],
                    "at": t,
                }
            )

    # ---------------------------------------------------------------- orders

    def unit_price(self, product: Rec, currency: str) -> Decimal:
        price = int(product["list_price"]) * self.rng.randint(85, 100) // 100
        if currency != REPORTING_CURRENCY:
            price = price * 10 // 72
        return Decimal(max(price, 1))

    def build_lines(self, total: Decimal, currency: str, line: str, repeat: bool) -> list[Rec]:
        """Order lines whose quantity * unit_price - discount sums to ``total`` exactly."""
        r = self.rng
        if repeat:
            prods = [
                r.choice(self.products_by_line["技术服务"] + self.products_by_line["智能硬件"])
            ]
        else:
            own = self.products_by_line[line]
            k = r.randint(1, min(2, len(own)))
            prods = r.sample(own, k)
            if line != "技术服务" and r.random() < 0.5:
                prods.append(r.choice(self.products_by_line["技术服务"]))
        hundreds = int(total) // 100
        if hundreds < 2 * len(prods) or total != Decimal(hundreds * 100):
            prods = prods[:1]
        weights = [r.randint(2, 8) for _ in prods]
        weights[0] += 6
        shares: list[Decimal] = []
        left = hundreds
        for w in weights[:-1]:
            part = max(1, hundreds * w // sum(weights))
            shares.append(Decimal(part * 100))
            left -= part
        shares.append(total - sum(shares, Decimal(0)))
        if shares[-1] <= 0:
            prods, shares = prods[:1], [total]
        lines = []
        for i, (prod, share) in enumerate(zip(prods, shares, strict=True)):
            price = self.unit_price(prod, currency)
            qty = _ceil_div(share, price)
            if qty <= 1:
                qty, price, discount = 1, share, Decimal(0)
            else:
                discount = qty * price - share
                if discount * 100 > 15 * qty * price:
                    price = Decimal(_ceil_div(share, Decimal(qty)))
                    discount = qty * price - share
            lines.append(
                {
                    "line_no": i + 1,
                    "product": prod,
                    "qty": Decimal(qty),
                    "price": price,
                    "discount": discount,
                    "blank_discount": discount == 0 and r.random() < 0.3,
                }
            )
        return lines

    def order_status(self, ordered: datetime) -> tuple[str, datetime | None]:
        r = self.rng
        if r.randint(1, 100) <= 3:
            return "cancelled", None
        shipped = self.after(ordered, r.randint(2, 12))
        delivered = self.after(shipped, r.randint(1, 6))
        if delivered <= self.end_dt:
            return "delivered", delivered
        if shipped <= self.end_dt:
            return "shipped", None
        age = (self.end - ordered.date()).days
        if age < 1:
            return "received", None
        if age <= 2:
            return "reviewed", None
        return ("in_production" if age <= 6 else "in_warehouse"), None

    def new_order(
        self,
        account: Rec,
        rep: Rec,
        ordered: datetime,
        total: Decimal,
        currency: str,
        line: str,
        opp: Rec | None,
        with_lines: bool = True,
    ) -> Rec:
        r = self.rng
        status, delivered = self.order_status(ordered)
        terms = account["terms"] if r.random() < 0.9 else r.choice((30, 45, 60))
        order = {
            "account": account,
            "opp": opp,
            "rep": rep,
            "ordered": ordered,
            "status": status,
            "currency": currency,
            "total": total,
            "channel": account["channel"] if r.random() < 0.9 else None,
            "terms": terms,
            "delivered": delivered,
            "lines": self.build_lines(total, currency, line, opp is None) if with_lines else [],
            "payments": [],
            "quarantined": False,
        }
        self.orders.append(order)
        account["orders"].append(order)
        return order

    def make_orders(self) -> None:
        r = self.rng
        for opp in self.opps:
            if opp["stage"] != "won" or opp["no_order"] or opp["quarantined"]:
                continue
            ordered = self.after(opp["closed"], r.randint(1, 10))
            if ordered > self.end_dt:
                continue
            self.new_order(
                opp["account"],
                opp["owner"],
                ordered,
                opp["amount"],
                opp["currency"],
                opp["line"],
                opp,
            )
        # Repeat business without an opportunity (consumables, extra service days).
        for acct in self.accounts:
            if not acct["orders"] or acct.get("defects"):
                continue
            first = min(o["ordered"] for o in acct["orders"])
            lo = first.date() + timedelta(days=20)
            if lo >= self.end:
                continue
            for _ in range(r.choices((0, 1, 2, 3, 4), (45, 25, 15, 10, 5))[0]):
                d = lo + timedelta(days=r.randint(0, (self.end - lo).days))
                ordered = self.biz_time(d)
                if ordered > self.end_dt:
                    continue
                cny = r.randint(80, 800) * 100
                total = Decimal(
                    cny if acct["currency"] == REPORTING_CURRENCY else max(cny * 10 // 72, 10)
                )
                rep = self.rep_for(acct, d, d + timedelta(days=14))
                self.new_order(acct, rep, ordered, total, acct["currency"], "技术服务", None)

    def make_bad_orders(self) -> None:
        r = self.rng
        clean = [a for a in self.accounts if not a.get("defects")]

        def bad(currency: str) -> Rec:
            acct = r.choice([a for a in clean if a["currency"] == currency] or clean)
            d = self.sample_day(lo=self.end - timedelta(days=200), hi=self.end - timedelta(days=10))
            rep = self.rep_for(acct, d, d + timedelta(days=14))
            total = Decimal(r.randint(100, 900) * 100)
            order = self.new_order(acct, rep, self.biz_time(d), total, currency, "", None, False)
            _drop(acct["orders"], order)
            order["quarantined"] = True
            order["override"] = {}
            return order

        order = bad(REPORTING_CURRENCY)
        t = order["ordered"]
        order["override"]["ordered_at"] = f"{t.year}-13-40 {t.hour:02d}:{t.minute:02d}:00"
        self.add_defect(
            "impossible_order_date",
            "orders",
            order,
            "ordered_at",
            "Order date with month 13 and day 40 cannot be parsed.",
        )
        order = bad(REPORTING_CURRENCY)
        order["override"]["currency"] = "RMB"
        self.add_defect(
            "rmb_currency_code",
            "orders",
            order,
            "currency",
            "Currency written as 'RMB', which is not an ISO 4217 code (CNY is).",
        )

        # negative_value on a line: an extra line on an otherwise correct order.
        order = r.choice(
            [o for o in self.orders if not o["quarantined"] and o["status"] == "delivered"]
        )
        prod = order["lines"][0]["product"]
        line = {
            "line_no": len(order["lines"]) + 1,
            "product": prod,
            "qty": Decimal(-3),
            "price": self.unit_price(prod, order["currency"]),
            "discount": Decimal(0),
            "blank_discount": False,
            "override": {"quantity": "-3"},
        }
        order["lines"].append(line)
        order["neg_line"] = True
        self.add_defect(
            "negative_quantity",
            "order_lines",
            line,
            "quantity",
            "Extra order line with quantity -3 (a return keyed as a negative line); the "
            "order's other lines already add up to its total.",
        )

    # ---------------------------------------------------------------- payments

    def new_payment(self, order: Rec | None, paid: datetime, amount: Decimal, currency: str) -> Rec:
        r = self.rng
        method = r.choices(PAYMENT_METHODS, PAYMENT_METHOD_WEIGHTS)[0]
        if currency != REPORTING_CURRENCY:
            method = "bank_transfer"
        pay = {
            "order": order,
            "paid": paid,
            "amount": amount,
            "currency": currency,
            "method": method if r.random() < 0.92 else None,
            "reference": (
                f"TRX{paid:%Y%m%d}{r.randint(100000, 999999)}" if r.random() < 0.85 else None
            ),
        }
        self.payments.append(pay)
        if order is not None:
            order["payments"].append(pay)
        return pay

    def due_date(self, order: Rec) -> date:
        return order["ordered"].date() + timedelta(days=order["terms"] or 30)

    def make_payments(self) -> None:
        r = self.rng
        for order in self.orders:
            if order["quarantined"] or order["status"] == "cancelled":
                continue
            od = order["ordered"].date()
            due = self.due_date(order)
            n = r.choices((1, 2, 3), (55, 30, 15))[0]
            if n == 1:
                plan = [(due, 100)]
            elif n == 2 and r.random() < 0.6:
                plan = [(od + timedelta(days=r.randint(1, 7)), 30), (due, 70)]
            elif n == 2:
                plan = [(due, 50), (due + timedelta(days=30), 50)]
            else:
                plan = [
                    (od + timedelta(days=r.randint(1, 7)), 30),
                    (due, 60),
                    (due + timedelta(days=r.randint(60, 90)), 10),
                ]
            total = order["total"]
            profile = order["account"]["pay_profile"]
            paid_so_far = Decimal(0)
            for i, (when, pct) in enumerate(plan):
                last = i == len(plan) - 1
                amount = (
                    total - paid_so_far
                    if last
                    else (total * pct / 100).quantize(Q2, rounding=ROUND_DOWN)
                )
                paid_so_far += amount
                if profile == "prompt":
                    delay = r.randint(-5, 3)
                elif profile == "normal":
                    delay = r.randint(0, 20)
                elif profile == "slow":
                    delay = r.randint(15, 75)
                else:
                    if last and r.random() < 0.7:
                        continue
                    delay = r.randint(60, 150)
                d = max(when + timedelta(days=delay), od + timedelta(days=1))
                paid = self.biz_time(d)
                if paid > self.end_dt or amount <= 0:
                    continue
                self.new_payment(order, paid, amount, order["currency"])
        self.fill_aging_buckets()

    def bucket(self, order: Rec) -> str:
        late = (self.end - self.due_date(order)).days
        if late <= 0:
            return "not_due"
        if late <= 30:
            return "1-30"
        if late <= 60:
            return "31-60"
        if late <= 90:
            return "61-90"
        return "90+"

    def outstanding(self, order: Rec) -> Decimal:
        return order["total"] - sum((p["amount"] for p in order["payments"]), Decimal(0))

    def fill_aging_buckets(self) -> None:
        """Make sure receivables at end_date fall in every aging bucket."""
        live = [o for o in self.orders if not o["quarantined"] and o["status"] != "cancelled"]
        seen = {self.bucket(o) for o in live if self.outstanding(o) > 0}
        for b in AGING_BUCKETS:
            if b in seen:
                continue
            cands = [o for o in live if self.bucket(o) == b and o["payments"]]
            if not cands:
                continue
            order = self.rng.choice(cands)
            pay = max(order["payments"], key=lambda p: p["paid"])
            _drop(order["payments"], pay)
            _drop(self.payments, pay)

    def make_payment_defects(self) -> None:
        r = self.rng
        settled = [
            o
            for o in self.orders
            if not o["quarantined"]
            and not o.get("neg_line")
            and o["status"] == "delivered"
            and o["payments"]
            and self.outstanding(o) == 0
            and max(p["paid"] for p in o["payments"]) < self.end_dt - timedelta(days=10)
        ]
        # overpaid_order: the last instalment was posted twice.
        order = r.choice(settled)
        dup = max(order["payments"], key=lambda p: p["paid"])
        self.new_payment(
            order, self.after(dup["paid"], r.randint(1, 3)), dup["amount"], dup["currency"]
        )
        paid = sum((p["amount"] for p in order["payments"]), Decimal(0))
        self.add_defect(
            "double_posted_payment",
            "orders",
            order,
            "total_amount",
            f"Payments add up to {fmt_dec(paid)} against an order total of "
            f"{fmt_dec(order['total'])}: the last instalment was posted twice.",
        )
        order["overpaid"] = True

        # negative_value: a payment of -500.00 against a fine order.
        order = r.choice([o for o in settled if not o.get("overpaid")])
        pay = self.new_payment(
            order,
            self.after(max(p["paid"] for p in order["payments"]), 2),
            Decimal(-500),
            order["currency"],
        )
        _drop(order["payments"], pay)  # quarantined: not part of the order's collections
        pay["quarantined"] = True
        pay["override"] = {"amount": "-500.00"}
        self.add_defect(
            "negative_payment",
            "payments",
            pay,
            "amount",
            "Payment with a negative amount (a refund keyed as a payment).",
        )

        # missing_required: a payment that names neither order nor invoice.
        d = self.sample_day(lo=self.end - timedelta(days=120), hi=self.end - timedelta(days=3))
        pay = self.new_payment(None, self.biz_time(d), Decimal(r.randint(50, 500) * 100), "CNY")
        pay["quarantined"] = True
        self.add_defect(
            "payment_without_order",
            "payments",
            pay,
            "order_id",
            "Payment with neither order_id nor invoice_id.",
        )

        # missing_reference: a payment for an order id that exists nowhere.
        d = self.sample_day(lo=self.end - timedelta(days=120), hi=self.end - timedelta(days=3))
        pay = self.new_payment(None, self.biz_time(d), Decimal(r.randint(50, 500) * 100), "CNY")
        pay["quarantined"] = True
        pay["missing_order"] = True
        self.add_defect(
            "unknown_order",
            "payments",
            pay,
            "order_id",
            "Payment for an order id that exists in no file.",
        )

    # ---------------------------------------------------------------- accounts defects

    def make_account_defects(self) -> None:
        r = self.rng
        owners = [x for x in self.reps if x["left_on"] is None]
        last_day = self.end - timedelta(days=5)

        def bad() -> Rec:
            owner = r.choice(owners)
            lo = max(self.start, owner["hired_on"])
            d = lo + timedelta(days=r.randint(0, max(0, (last_day - lo).days)))
            acct = self.new_account(owner, self.biz_time(d))
            acct["override"] = {}
            self.bad_accounts.append(acct)
            return acct

        acct = bad()
        acct["override"]["account_name"] = ""
        self.add_defect(
            "empty_account_name",
            "accounts",
            acct,
            "account_name",
            "Account without a name (required field empty).",
        )
        acct = bad()
        acct["override"]["channel"] = "wholesale"
        self.add_defect(
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
        self.add_defect(
            "duplicate_account_id",
            "accounts",
            acct,
            "account_name",
            "Account id appears twice in accounts.csv with different names (first row).",
        )
        self.add_defect(
            "duplicate_account_id",
            "accounts",
            twin,
            "account_name",
            "Account id appears twice in accounts.csv with different names (second row).",
        )

        # malformed_email on an account that is otherwise fine and in use.
        acct = r.choice(self.accounts)
        surname = r.choice(N.SURNAMES)[1]
        acct["email"] = f"{surname}@@{acct['slug'].split('-')[0]}"
        self.add_defect(
            "double_at_email",
            "accounts",
            acct,
            "email",
            "E-mail address with a doubled @ and no domain suffix.",
        )

    # ---------------------------------------------------------------- targets, scores, surveys

    def target_months(self) -> list[date]:
        first = (
            self.start
            if self.start.day == 1
            else (self.start.replace(day=28) + timedelta(days=4)).replace(day=1)
        )
        end_idx = self.end.year * 12 + self.end.month - 1
        last_idx = end_idx - (end_idx % 3) + 5  # last month of the next quarter
        months = []
        idx = first.year * 12 + first.month - 1
        while idx <= last_idx:
            months.append(date(idx // 12, idx % 12 + 1, 1))
            idx += 1
        return months

    @staticmethod
    def quarter_of(m: date) -> str:
        return f"{m.year}Q{(m.month - 1) // 3 + 1}"

    def make_targets(self) -> None:
        r = self.rng
        months = self.target_months()
        month_set = set(months)
        quarters: list[str] = []
        for m in months:
            q = self.quarter_of(m)
            qm = date(m.year, (m.month - 1) // 3 * 3 + 1, 1)
            in_q = [date(qm.year, qm.month + k, 1) for k in range(3)]
            if q not in quarters and all(x in month_set for x in in_q):
                quarters.append(q)
        years = sorted(
            {m.year for m in months if all(date(m.year, k, 1) in month_set for k in range(1, 13))}
        )

        live_orders = [
            o for o in self.orders if not o["quarantined"] and o["status"] != "cancelled"
        ]
        # Actuals per rep and calendar year (CNY), the base the targets are set against.
        revenue: dict[tuple[str, int], float] = {}
        collections: dict[tuple[str, int], float] = {}
        new_customers: dict[tuple[str, int], int] = {}
        first_order: dict[int, Rec] = {}
        for o in live_orders:
            key = (o["rep"]["id"], o["ordered"].year)
            amount = o["total"] * self.rate(o["currency"], o["ordered"].date())
            revenue[key] = revenue.get(key, 0.0) + float(amount)
            for p in o["payments"]:
                pkey = (o["rep"]["id"], p["paid"].year)
                paid = p["amount"] * self.rate(p["currency"], p["paid"].date())
                collections[pkey] = collections.get(pkey, 0.0) + float(paid)
            acct = id(o["account"])
            if acct not in first_order or o["ordered"] < first_order[acct]["ordered"]:
                first_order[acct] = o
        for o in first_order.values():
            key = (o["rep"]["id"], o["ordered"].year)
            new_customers[key] = new_customers.get(key, 0) + 1

        n = len(self.reps)
        factors = [0.6 + 0.9 * k / max(1, n - 1) for k in range(n)]
        r.shuffle(factors)

        def on_15th(rep: Rec, m: date) -> bool:
            d = m + timedelta(days=14)
            return rep["hired_on"] <= d and (rep["left_on"] is None or rep["left_on"] > d)

        def per_month(actual: dict, rep: Rec, year: int | None) -> float:
            """Average actual per active month, in ``year`` (None: the whole history)."""
            lo, hi = max(self.start, rep["hired_on"]), self.end
            if rep["left_on"] is not None:
                hi = min(hi, rep["left_on"] - timedelta(days=1))
            if year is not None:
                lo, hi = max(lo, date(year, 1, 1)), min(hi, date(year, 12, 31))
            days = (hi - lo).days + 1
            years = [year] if year is not None else range(self.start.year, self.end.year + 1)
            total = sum(actual.get((rep["id"], y), 0) for y in years)
            if days < 60 or total <= 0:
                return 0.0
            return total / (days / 30.4375)

        rep_month: dict[tuple[str, date], Decimal] = {}
        rep_q_coll: dict[tuple[str, str], Decimal] = {}
        rep_q_new: dict[tuple[str, str], Decimal] = {}
        for rep, factor in zip(self.reps, factors, strict=True):
            rid = rep["id"]
            cfactor = factor * r.randint(90, 110) / 100
            mine = [m for m in months if on_15th(rep, m)]
            for year in sorted({m.year for m in mine}):
                in_year = [m for m in mine if m.year == year]
                season = sum(SEASON[m.month] for m in in_year) / len(in_year)
                base = per_month(revenue, rep, year) or per_month(revenue, rep, None) or 300000.0
                cbase = per_month(collections, rep, year) or per_month(collections, rep, None)
                nbase = per_month(new_customers, rep, year) or per_month(new_customers, rep, None)
                for m in in_year:
                    v = base * SEASON[m.month] / season / factor * r.randint(94, 106) / 100
                    rep_month[(rid, m)] = Decimal(max(1000, int(v) // 1000 * 1000))
                for q in sorted({self.quarter_of(m) for m in in_year}):
                    if q not in quarters:
                        continue
                    k = sum(1 for m in in_year if self.quarter_of(m) == q)
                    c = (cbase or base) * k / cfactor * r.randint(94, 106) / 100
                    rep_q_coll[(rid, q)] = Decimal(max(1000, int(c) // 1000 * 1000))
                    rep_q_new[(rid, q)] = Decimal(max(1, int(nbase * k / factor + 0.5)))

        def period_rows(metric: str, values: dict[tuple[str, str], Decimal], levels) -> None:
            periods = sorted({p for _, p in values}, key=lambda p: (len(p), p))
            for level in levels:
                scopes: dict[str, list[Rec]] = {}
                for rep in self.reps:
                    key = {
                        "company": "all",
                        "region": rep["region"],
                        "team": rep["team"],
                        "rep": rep["id"],
                    }[level]
                    scopes.setdefault(key, []).append(rep)
                for scope, reps in scopes.items():
                    for p in periods:
                        vals = [values[(x["id"], p)] for x in reps if (x["id"], p) in values]
                        if vals:
                            total = sum(vals, Decimal(0))
                            self.targets.append([p, level, scope, metric, "", fmt_dec(total)])

        rev: dict[tuple[str, str], Decimal] = {}
        for (rid, m), v in rep_month.items():
            keys = [f"{m.year}-{m.month:02d}", self.quarter_of(m)]
            if m.year in years:
                keys.append(str(m.year))
            for k in keys:
                rev[(rid, k)] = rev.get((rid, k), Decimal(0)) + v
        rev = {k: v for k, v in rev.items() if len(k[1]) != 6 or k[1] in quarters}
        period_rows("revenue", rev, ("company", "region", "team", "rep"))
        period_rows("collections", rep_q_coll, ("team", "rep"))
        period_rows("new_customers", rep_q_new, ("team", "rep"))

    def make_capability(self) -> None:
        r = self.rng
        q_start = date(self.start.year, (self.start.month - 1) // 3 * 3 + 1, 1)
        if q_start < self.start:
            q_start = (q_start + timedelta(days=95)).replace(day=1)
        quarters = []
        qs = q_start
        while True:
            qe = (qs + timedelta(days=95)).replace(day=1) - timedelta(days=1)
            if qe > self.end:
                break
            quarters.append((qs, qe))
            qs = qe + timedelta(days=1)
        for rep in self.reps:
            level = r.randint(60, 88)
            for qs, qe in quarters:
                if rep["hired_on"] > qs + timedelta(days=30):
                    continue
                if rep["left_on"] is not None and rep["left_on"] <= qe:
                    continue
                level = min(95, max(45, level + r.randint(-3, 4)))
                scores = [
                    Decimal(min(200, max(0, 2 * level + r.randint(-16, 16)))) / 2 for _ in range(3)
                ]
                self.capability.append(
                    [rep["id"], self.quarter_of(qs)] + [fmt_dec(s) for s in scores]
                )

    def make_surveys(self) -> None:
        r = self.rng
        for acct in self.accounts:
            delivered = sorted(o["delivered"] for o in acct["orders"] if o["delivered"] is not None)
            if not delivered or r.random() > 0.35:
                continue
            mood = r.randint(62, 97)
            days: set[date] = set()
            for _ in range(r.choices((1, 2, 3), (60, 30, 10))[0]):
                d = r.choice(delivered).date() + timedelta(days=r.randint(7, 45))
                if d <= self.end:
                    days.add(d)
            for d in sorted(days):
                score = min(100, max(0, mood + r.randint(-10, 6)))
                acct.setdefault("surveys", []).append((d, Decimal(score)))

    # ---------------------------------------------------------------- ids and rows

    def assign_ids(self) -> None:
        every = self.accounts + self.bad_accounts
        every.sort(key=lambda a: a["created"])
        for i, a in enumerate(every):
            a["id"] = f"ACC-{i + 1:05d}"
        self.account_rows = list(every)
        for a in every:
            twin = a.get("twin")
            if twin is not None:
                twin["id"] = a["id"]
                pos = next(i for i, x in enumerate(self.account_rows) if x is a)
                at = self.rng.randint(pos + 1, len(self.account_rows))
                self.account_rows.insert(at, twin)
        self.missing_account_id = f"ACC-{len(every) + 1000:05d}"

        self.opps.sort(key=lambda o: o["created"])
        for i, o in enumerate(self.opps):
            o["id"] = f"OPP-{i + 1:05d}"
        self.leads.sort(key=lambda x: x["created"])
        for i, x in enumerate(self.leads):
            x["id"] = f"LEAD-{i + 1:05d}"
        self.activities.sort(key=lambda x: x["at"])
        for i, x in enumerate(self.activities):
            x["id"] = f"ACT-{i + 1:06d}"
        self.orders.sort(key=lambda o: o["ordered"])
        for i, o in enumerate(self.orders):
            o["id"] = f"ORD-{i + 1:06d}"
        self.missing_order_id = f"ORD-{len(self.orders) + 5000:06d}"
        self.payments.sort(key=lambda p: p["paid"])
        for i, p in enumerate(self.payments):
            p["id"] = f"PAY-{i + 1:06d}"

    # ---------------------------------------------------------------- run

    def build(self) -> None:
        self.make_reps()
        self.make_products()
        self.make_fx()
        self.make_accounts()
        self.make_opportunities()
        self.make_warn_opportunities()
        self.make_bad_opportunities()
        self.make_leads()
        self.make_activities()
        self.make_orders()
        self.make_bad_orders()
        self.make_payments()
        self.make_payment_defects()
        self.make_account_defects()
        self.assign_ids()
        self.make_targets()
        self.make_capability()
        self.make_surveys()
