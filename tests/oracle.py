"""A second, deliberately simple way to compute the marts' figures from a demo drop.

Reads the CSV files with the csv module and Decimal, follows the formulas of
shared/domain.md directly, and knows nothing of the pipeline's code. Rows the
demo's defect manifest marks as quarantined are left out.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def local_date(ts: str) -> date:
    text = ts.replace("T", " ").replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.date()
    return parsed.astimezone(TZ).date()


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarter_end(label: str) -> date:
    year, q = int(label[:4]), int(label[-1])
    first_next = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first_next - timedelta(days=1)


@dataclass
class Drop:
    folder: Path
    manifest: dict

    def rows(self, entity: str) -> list[dict[str, str]]:
        path = self.folder / f"{entity}.csv"
        if not path.exists():
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    def quarantined_ids(self, entity: str) -> set[str]:
        return {
            d["record_id"]
            for d in self.manifest["defects"]
            if d["severity"] == "quarantine" and d["entity"] == entity
        }

    def good(self, entity: str, key: str) -> list[dict[str, str]]:
        bad = self.quarantined_ids(entity)
        return [r for r in self.rows(entity) if r[key] not in bad]


def load_drop(folder: Path) -> Drop:
    return Drop(folder, json.loads((folder / "_defects.json").read_text(encoding="utf-8")))


class Fx:
    """Latest rate on or before a day; the reporting currency at 1."""

    def __init__(self, drop: Drop, reporting: str = "CNY"):
        self.reporting = reporting
        self.rates: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for r in drop.rows("fx_rates"):
            self.rates[r["currency"]].append(
                (date.fromisoformat(r["rate_date"]), Decimal(r["rate_to_reporting"]))
            )
        for series in self.rates.values():
            series.sort()

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        best = None
        for d, rate in self.rates.get(currency, []):
            if d <= day:
                best = rate
        return best

    def convert(self, amount: str, currency: str, day: date) -> Decimal | None:
        rate = self.rate(currency, day)
        if rate is None:
            return None
        return (Decimal(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def booked_orders(drop: Drop) -> list[dict[str, str]]:
    return [o for o in drop.good("orders", "order_id") if o["status"] != "cancelled"]


def revenue_by_quarter(drop: Drop, as_of: date, rep_id: str | None = None) -> dict[str, Decimal]:
    fx = Fx(drop)
    out: dict[str, Decimal] = defaultdict(Decimal)
    for o in booked_orders(drop):
        day = local_date(o["ordered_at"])
        if day > as_of or (rep_id and o["rep_id"] != rep_id):
            continue
        amount = fx.convert(o["total_amount"], o["currency"], day)
        if amount is not None:
            out[quarter_of(day)] += amount
    return dict(out)


def orders_by_quarter(drop: Drop, as_of: date) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for o in booked_orders(drop):
        day = local_date(o["ordered_at"])
        if day <= as_of:
            out[quarter_of(day)] += 1
    return dict(out)


def collections_by_quarter(drop: Drop, as_of: date) -> dict[str, Decimal]:
    fx = Fx(drop)
    out: dict[str, Decimal] = defaultdict(Decimal)
    for p in drop.good("payments", "payment_id"):
        day = local_date(p["paid_at"])
        if day <= as_of:
            amount = fx.convert(p["amount"], p["currency"], day)
            if amount is not None:
                out[quarter_of(day)] += amount
    return dict(out)


def new_customers_by_quarter(drop: Drop, as_of: date) -> dict[str, int]:
    first: dict[str, tuple[str, str]] = {}
    for o in booked_orders(drop):
        key = (o["ordered_at"], o["order_id"])
        if o["account_id"] not in first or key < first[o["account_id"]]:
            first[o["account_id"]] = key
    out: dict[str, int] = defaultdict(int)
    for ordered_at, _ in first.values():
        day = local_date(ordered_at)
        if day <= as_of:
            out[quarter_of(day)] += 1
    return dict(out)


def win_rate_by_quarter(drop: Drop, as_of: date) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in drop.good("opportunities", "opportunity_id"):
        if o["stage"] in ("won", "lost") and o["closed_at"]:
            day = local_date(o["closed_at"])
            if day <= as_of:
                out[quarter_of(day)][0 if o["stage"] == "won" else 1] += 1
    return {q: (w, lost) for q, (w, lost) in out.items()}


def lead_conversion_by_source(drop: Drop, year: str) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lead in drop.good("leads", "lead_id"):
        if str(local_date(lead["created_at"]).year) != year:
            continue
        converted = (
            lead["status"].lower() == "converted"
            or bool(lead["converted_at"])
            or bool(lead["opportunity_id"])
        )
        out[lead["source"]][0] += 1
        out[lead["source"]][1] += int(converted)
    return {s: (n, c) for s, (n, c) in out.items()}


def receivables(drop: Drop, as_of: date, default_terms: int = 30) -> dict[str, dict]:
    """Outstanding per order as of a day (orders with outstanding > 0), reporting currency."""
    fx = Fx(drop)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for p in drop.good("payments", "payment_id"):
        if p["order_id"] and local_date(p["paid_at"]) <= as_of:
            paid[p["order_id"]] += Decimal(p["amount"])  # demo pays in the order's currency
    out = {}
    for o in booked_orders(drop):
        ordered = local_date(o["ordered_at"])
        if ordered > as_of:
            continue
        outstanding = max(Decimal(o["total_amount"]) - paid[o["order_id"]], Decimal(0))
        if outstanding <= 0:
            continue
        terms = int(o["payment_terms_days"]) if o["payment_terms_days"] else default_terms
        due = ordered + timedelta(days=terms)
        overdue = max((as_of - due).days, 0)
        bucket = (
            "not_due"
            if overdue == 0
            else "1_30"
            if overdue <= 30
            else "31_60"
            if overdue <= 60
            else "61_90"
            if overdue <= 90
            else "over_90"
        )
        out[o["order_id"]] = {
            "outstanding": fx.convert(str(outstanding), o["currency"], ordered),
            "days_overdue": overdue,
            "aging_bucket": bucket,
        }
    return out


def csv_row_count(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1
