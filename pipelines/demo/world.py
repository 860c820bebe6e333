"""The simulated sales organisation behind the demo drop, put together from its parts.

``World(seed, scale, end).build()`` creates two years of reps, accounts, leads,
opportunities with their stage history, activities, orders, payments, fx rates,
targets, capability scores, surveys and sales and marketing spend, and injects the defects listed in
``defects.DEFECT_KINDS``. Each part lives in its own module (organisation, customers,
pipeline, commerce, currency, catalogue, targets, spend; the defects in crm_defects and
order_defects); ``build`` runs them in a fixed order and ``render`` reads the lists it
leaves on the ``World``.

Determinism: every random choice comes from one ``random.Random(seed)``
(``Timeline.rng``), drawn in the fixed order of ``build``; written values come from
integers and ``Decimal`` only, and no clock is read. Ids are assigned once every entity
is complete, in time order (``assign_ids``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .catalogue import make_products
from .commerce import Commerce
from .crm_defects import (
    inject_account_defects,
    inject_bad_opportunities,
    inject_short_phone,
    inject_warn_opportunities,
)
from .currency import make_fx
from .customers import make_accounts, make_leads, make_surveys
from .defects import DefectLog
from .order_defects import inject_bad_orders, inject_payment_defects
from .organisation import make_reps
from .pipeline import Pipeline
from .records import Rec
from .spend import make_spend
from .targets import make_capability, make_targets
from .timeline import Timeline


class World:
    """The simulated organisation; ``build()`` fills every list, ids included."""

    def __init__(self, seed: int, scale: float, end: date) -> None:
        self.seed = seed
        self.scale = scale
        self.end = end
        self.timeline = Timeline(seed, scale, end)
        self.used_names: set[str] = set()  # people and companies, so none is named twice

        self.reps: list[Rec] = []
        self.accounts: list[Rec] = []  # clean pool, usable by other records
        self.bad_accounts: list[Rec] = []  # quarantined, referenced by nothing
        self.account_rows: list[Rec] = []  # accounts.csv in file order (with the duplicate)
        self.products: list[Rec] = []
        self.leads: list[Rec] = []
        self.opps: list[Rec] = []
        self.activities: list[Rec] = []
        self.orders: list[Rec] = []
        self.payments: list[Rec] = []
        self.fx: dict[date, Decimal] = {}
        self.targets: list[list[str]] = []
        self.spend: list[list[str]] = []
        self.capability: list[list[str]] = []
        self.defects: DefectLog = []
        self.missing_account_id = ""
        self.missing_order_id = ""

    def build(self) -> None:
        """Simulate the history; the order of the steps fixes the random stream."""
        tl, log = self.timeline, self.defects
        self.reps = make_reps(tl, self.used_names)
        self.products = make_products()
        self.fx = make_fx(tl)
        pool = make_accounts(tl, self.used_names, self.reps)
        self.accounts = pool.accounts

        pipeline = Pipeline(tl, self.reps)
        pipeline.make_opportunities(pool)
        inject_warn_opportunities(tl, self.reps, self.accounts, pipeline, log)
        inject_bad_opportunities(tl, self.reps, self.accounts, pipeline, log)
        self.opps = pipeline.opps
        self.leads = make_leads(tl, self.reps, self.accounts, self.opps)
        inject_short_phone(tl, self.leads, log)
        pipeline.make_activities(pool)
        self.activities = pipeline.activities

        commerce = Commerce(tl, self.reps, self.products)
        commerce.make_orders(self.opps, self.accounts)
        inject_bad_orders(tl, self.reps, self.accounts, commerce, log)
        commerce.make_payments()
        inject_payment_defects(tl, commerce, log)
        self.orders, self.payments = commerce.orders, commerce.payments

        self.bad_accounts = inject_account_defects(
            tl, self.used_names, self.reps, self.accounts, log
        )
        self.assign_ids()
        self.targets = make_targets(tl, self.reps, self.orders, self.fx, self.activities)
        self.capability = make_capability(tl, self.reps)
        make_surveys(tl, self.accounts)
        # its own random stream: the draws above are unchanged
        self.spend = make_spend(self.seed, tl, self.reps, self.orders, self.fx)

    def assign_ids(self) -> None:
        """Number every entity in time order; place the duplicate account row at random."""
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
                at = self.timeline.rng.randint(pos + 1, len(self.account_rows))
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
