"""Orders, their lines and the payments that settle them.

Every won opportunity becomes an order a few days after it closes (same account, rep,
currency and total), and accounts that ordered reorder services and devices without an
opportunity. Lines add up to the order total exactly (``build_lines``). Orders are paid in
one to three instalments, on time or late by the account's pay profile, and at the end
date some receivables are left in every aging bucket (``fill_aging_buckets``). Invoices are
not simulated: the warehouse derives them from orders.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from .catalogue import DEVICES, SERVICES, by_line
from .currency import REPORTING_CURRENCY
from .formats import Q2
from .organisation import rep_for
from .records import Rec, drop
from .timeline import Timeline

PAYMENT_METHODS = ("bank_transfer", "acceptance_bill", "alipay", "wechat_pay", "check")
PAYMENT_METHOD_WEIGHTS = (70, 10, 8, 7, 5)
AGING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")


def ceil_div(a: Decimal, b: Decimal) -> int:
    q = int(a // b)
    return q if q * b >= a else q + 1


def due_date(order: Rec) -> date:
    """The order date plus its payment terms (30 days when it has none)."""
    return order["ordered"].date() + timedelta(days=order["terms"] or 30)


def outstanding(order: Rec) -> Decimal:
    """What is still to be paid on ``order``."""
    return order["total"] - sum((p["amount"] for p in order["payments"]), Decimal(0))


class Commerce:
    """The orders (with their lines) and payments, and how they are made."""

    def __init__(self, tl: Timeline, reps: list[Rec], products: list[Rec]) -> None:
        self.tl = tl
        self.reps = reps
        self.products_by_line = by_line(products)
        self.orders: list[Rec] = []
        self.payments: list[Rec] = []

    # ---------------------------------------------------------------- orders and lines

    def unit_price(self, product: Rec, currency: str) -> Decimal:
        """The list price less up to 15%, converted at a flat 7.2 for USD."""
        price = int(product["list_price"]) * self.tl.rng.randint(85, 100) // 100
        if currency != REPORTING_CURRENCY:
            price = price * 10 // 72
        return Decimal(max(price, 1))

    def build_lines(self, total: Decimal, currency: str, line: str, repeat: bool) -> list[Rec]:
        """Order lines whose quantity * unit_price - discount sums to ``total`` exactly."""
        r = self.tl.rng
        if repeat:
            prods = [r.choice(self.products_by_line[SERVICES] + self.products_by_line[DEVICES])]
        else:
            own = self.products_by_line[line]
            k = r.randint(1, min(2, len(own)))
            prods = r.sample(own, k)
            if line != SERVICES and r.random() < 0.5:
                prods.append(r.choice(self.products_by_line[SERVICES]))
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
            qty = ceil_div(share, price)
            if qty <= 1:
                qty, price, discount = 1, share, Decimal(0)
            else:
                discount = qty * price - share
                if discount * 100 > 15 * qty * price:
                    price = Decimal(ceil_div(share, Decimal(qty)))
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
        """The status at the end date and the delivery time, if delivered by then."""
        tl, r = self.tl, self.tl.rng
        if r.randint(1, 100) <= 3:
            return "cancelled", None
        shipped = tl.after(ordered, r.randint(2, 12))
        delivered = tl.after(shipped, r.randint(1, 6))
        if delivered <= tl.end_dt:
            return "delivered", delivered
        if shipped <= tl.end_dt:
            return "shipped", None
        age = (tl.end - ordered.date()).days
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
        """An order, added to ``orders`` and to the account's orders."""
        r = self.tl.rng
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

    def make_orders(self, opps: list[Rec], accounts: list[Rec]) -> None:
        """An order per won opportunity (unless it has none), then repeat orders."""
        tl, r = self.tl, self.tl.rng
        for opp in opps:
            if opp["stage"] != "won" or opp["no_order"] or opp["quarantined"]:
                continue
            ordered = tl.after(opp["closed"], r.randint(1, 10))
            if ordered > tl.end_dt:
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
        for acct in accounts:
            if not acct["orders"] or acct.get("defects"):
                continue
            first = min(o["ordered"] for o in acct["orders"])
            lo = first.date() + timedelta(days=20)
            if lo >= tl.end:
                continue
            for _ in range(r.choices((0, 1, 2, 3, 4), (45, 25, 15, 10, 5))[0]):
                d = lo + timedelta(days=r.randint(0, (tl.end - lo).days))
                ordered = tl.biz_time(d)
                if ordered > tl.end_dt:
                    continue
                cny = r.randint(80, 800) * 100
                total = Decimal(
                    cny if acct["currency"] == REPORTING_CURRENCY else max(cny * 10 // 72, 10)
                )
                rep = rep_for(self.reps, acct, d, d + timedelta(days=14))
                self.new_order(acct, rep, ordered, total, acct["currency"], SERVICES, None)

    # ---------------------------------------------------------------- payments

    def new_payment(self, order: Rec | None, paid: datetime, amount: Decimal, currency: str) -> Rec:
        """A payment, added to ``payments`` and to the order's payments (if any)."""
        r = self.tl.rng
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

    def make_payments(self) -> None:
        """Instalments for every live order, paid by the account's profile, up to the end."""
        tl, r = self.tl, self.tl.rng
        for order in self.orders:
            if order["quarantined"] or order["status"] == "cancelled":
                continue
            od = order["ordered"].date()
            due = due_date(order)
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
                paid = tl.biz_time(d)
                if paid > tl.end_dt or amount <= 0:
                    continue
                self.new_payment(order, paid, amount, order["currency"])
        self.fill_aging_buckets()

    def bucket(self, order: Rec) -> str:
        """The aging bucket of ``order``'s due date at the end date."""
        late = (self.tl.end - due_date(order)).days
        if late <= 0:
            return "not_due"
        if late <= 30:
            return "1-30"
        if late <= 60:
            return "31-60"
        if late <= 90:
            return "61-90"
        return "90+"

    def fill_aging_buckets(self) -> None:
        """Make sure receivables at end_date fall in every aging bucket."""
        live = [o for o in self.orders if not o["quarantined"] and o["status"] != "cancelled"]
        seen = {self.bucket(o) for o in live if outstanding(o) > 0}
        for b in AGING_BUCKETS:
            if b in seen:
                continue
            cands = [o for o in live if self.bucket(o) == b and o["payments"]]
            if not cands:
                continue
            order = self.tl.rng.choice(cands)
            pay = max(order["payments"], key=lambda p: p["paid"])
            drop(order["payments"], pay)
            drop(self.payments, pay)
