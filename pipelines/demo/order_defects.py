"""The defects injected into order records: orders, order lines and payments.

Each ``inject_*`` function makes or breaks records through ``Commerce`` and logs every
defect with ``add_defect`` (the kinds and their rules are in ``defects``). Quarantined
orders have no lines or payments; quarantined payments count towards no order.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from .commerce import Commerce, outstanding
from .currency import REPORTING_CURRENCY
from .defects import DefectLog, add_defect
from .formats import fmt_dec
from .organisation import rep_for
from .records import Rec, drop
from .timeline import Timeline

# ---------------------------------------------------------------- orders


def inject_bad_orders(
    tl: Timeline, reps: list[Rec], accounts: list[Rec], commerce: Commerce, log: DefectLog
) -> None:
    """Two quarantined orders (impossible date, 'RMB'), without lines or payments and left
    out of their account's orders, and a negative extra line on a delivered order."""
    r = tl.rng
    clean = [a for a in accounts if not a.get("defects")]

    def bad(currency: str) -> Rec:
        acct = r.choice([a for a in clean if a["currency"] == currency] or clean)
        d = tl.sample_day(lo=tl.end - timedelta(days=200), hi=tl.end - timedelta(days=10))
        rep = rep_for(reps, acct, d, d + timedelta(days=14))
        total = Decimal(r.randint(100, 900) * 100)
        order = commerce.new_order(acct, rep, tl.biz_time(d), total, currency, "", None, False)
        drop(acct["orders"], order)
        order["quarantined"] = True
        order["override"] = {}
        return order

    order = bad(REPORTING_CURRENCY)
    t = order["ordered"]
    order["override"]["ordered_at"] = f"{t.year}-13-40 {t.hour:02d}:{t.minute:02d}:00"
    add_defect(
        log,
        "impossible_order_date",
        "orders",
        order,
        "ordered_at",
        "Order date with month 13 and day 40 cannot be parsed.",
    )
    order = bad(REPORTING_CURRENCY)
    order["override"]["currency"] = "RMB"
    add_defect(
        log,
        "rmb_currency_code",
        "orders",
        order,
        "currency",
        "Currency written as 'RMB', which is not an ISO 4217 code (CNY is).",
    )

    # negative_value on a line: an extra line on an otherwise correct order.
    order = r.choice(
        [o for o in commerce.orders if not o["quarantined"] and o["status"] == "delivered"]
    )
    prod = order["lines"][0]["product"]
    line = {
        "line_no": len(order["lines"]) + 1,
        "product": prod,
        "qty": Decimal(-3),
        "price": commerce.unit_price(prod, order["currency"]),
        "discount": Decimal(0),
        "blank_discount": False,
        "override": {"quantity": "-3"},
    }
    order["lines"].append(line)
    order["neg_line"] = True
    add_defect(
        log,
        "negative_quantity",
        "order_lines",
        line,
        "quantity",
        "Extra order line with quantity -3 (a return keyed as a negative line); the "
        "order's other lines already add up to its total.",
    )


# ---------------------------------------------------------------- payments


def inject_payment_defects(tl: Timeline, commerce: Commerce, log: DefectLog) -> None:
    """An order paid twice for its last instalment (warns), and three quarantined payments:
    a negative amount, one with no order, one for an order id that exists nowhere."""
    r = tl.rng
    settled = [
        o
        for o in commerce.orders
        if not o["quarantined"]
        and not o.get("neg_line")
        and o["status"] == "delivered"
        and o["payments"]
        and outstanding(o) == 0
        and max(p["paid"] for p in o["payments"]) < tl.end_dt - timedelta(days=10)
    ]
    # overpaid_order: the last instalment was posted twice.
    order = r.choice(settled)
    dup = max(order["payments"], key=lambda p: p["paid"])
    commerce.new_payment(
        order, tl.after(dup["paid"], r.randint(1, 3)), dup["amount"], dup["currency"]
    )
    paid = sum((p["amount"] for p in order["payments"]), Decimal(0))
    add_defect(
        log,
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
    pay = commerce.new_payment(
        order,
        tl.after(max(p["paid"] for p in order["payments"]), 2),
        Decimal(-500),
        order["currency"],
    )
    drop(order["payments"], pay)  # quarantined: not part of the order's collections
    pay["quarantined"] = True
    pay["override"] = {"amount": "-500.00"}
    add_defect(
        log,
        "negative_payment",
        "payments",
        pay,
        "amount",
        "Payment with a negative amount (a refund keyed as a payment).",
    )

    # missing_required: a payment that names neither order nor invoice.
    d = tl.sample_day(lo=tl.end - timedelta(days=120), hi=tl.end - timedelta(days=3))
    pay = commerce.new_payment(None, tl.biz_time(d), Decimal(r.randint(50, 500) * 100), "CNY")
    pay["quarantined"] = True
    add_defect(
        log,
        "payment_without_order",
        "payments",
        pay,
        "order_id",
        "Payment with neither order_id nor invoice_id.",
    )

    # missing_reference: a payment for an order id that exists nowhere.
    d = tl.sample_day(lo=tl.end - timedelta(days=120), hi=tl.end - timedelta(days=3))
    pay = commerce.new_payment(None, tl.biz_time(d), Decimal(r.randint(50, 500) * 100), "CNY")
    pay["quarantined"] = True
    pay["missing_order"] = True
    add_defect(
        log,
        "unknown_order",
        "payments",
        pay,
        "order_id",
        "Payment for an order id that exists in no file.",
    )
