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


def month_end(label: str) -> date:
    """Last day of the month ``2026-07``."""
    y, m = int(label[:4]), int(label[5:7])
    return date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)


def spend_by_quarter(drop: Drop, level: str, scope_id: str) -> dict[str, Decimal | None]:
    """The scope's sales and marketing spend per quarter from the drop's monthly
    marketing_spend rows (each converted at its month's last day; None when one has no
    rate). The demo writes month rows only, so a quarter is the sum of its months."""
    fx = Fx(drop)
    out: dict[str, Decimal | None] = {}
    for r in drop.rows("marketing_spend"):
        if r["level"] != level or r["scope_id"] != scope_id:
            continue
        label = quarter_of(date.fromisoformat(r["period"] + "-01"))
        amount = fx.convert(r["amount"], r["currency"], month_end(r["period"]))
        before = out.get(label, Decimal(0))
        out[label] = None if amount is None or before is None else before + amount
    return out


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


# --------------------------------------------------------------------------- cross-entity rules
# The dbt rules of int_dq_checks written again from their definitions in
# docs/data-quality.md, each returning the record ids it should flag.

PROCESS_ORDER = {
    "qualified": 1,
    "discovery": 2,
    "proposal": 3,
    "negotiation": 4,
    "won": 5,
    "lost": 5,  # closed like won: leaving either for an open stage is a step back
}


def local_datetime(ts: str) -> datetime:
    """A contract timestamp as naive business-timezone local time."""
    text = ts.replace("T", " ").replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(TZ).replace(tzinfo=None)


def dbt_var(name: str):
    """A var's default from dbt_project/dbt_project.yml (the thresholds are configuration)."""
    import yaml

    project = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
    return yaml.safe_load(project.read_text(encoding="utf-8"))["vars"][name]


def _good_composite(drop: Drop, entity: str, key: tuple[str, ...]) -> list[dict[str, str]]:
    bad = drop.quarantined_ids(entity)
    return [r for r in drop.rows(entity) if "|".join(r[k] for k in key) not in bad]


def stage_moves_backwards(drop: Drop, as_of: date) -> set[str]:
    """Stage-history entries (opportunity_id|stage|local entered_at) at an earlier stage than the
    entry before them, entries up to as_of in time order (ties in process order)."""
    known = {
        o["opportunity_id"]
        for o in drop.good("opportunities", "opportunity_id")
        if local_date(o["created_at"]) <= as_of
    }
    history: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    for h in drop.rows("opportunity_stage_history"):
        at = local_datetime(h["entered_at"])
        if h["opportunity_id"] in known and at.date() <= as_of:
            history[h["opportunity_id"]].append((at, PROCESS_ORDER[h["stage"]], h["stage"]))
    out = set()
    for opportunity_id, entries in history.items():
        entries.sort()
        for (_, before, _), (at, rank, stage) in zip(entries, entries[1:], strict=False):
            if rank < before:
                out.add(f"{opportunity_id}|{stage}|{at:%Y-%m-%d %H:%M:%S}")
    return out


def order_lines_mismatches(drop: Drop, as_of: date, tolerance: Decimal) -> set[str]:
    """Booked orders up to as_of whose lines (quantity * unit_price - discount) miss the total."""
    lines: dict[str, Decimal] = {}
    for ln in _good_composite(drop, "order_lines", ("order_id", "line_no")):
        amount = Decimal(ln["quantity"]) * Decimal(ln["unit_price"])
        amount -= Decimal(ln["discount_amount"] or "0")
        lines[ln["order_id"]] = lines.get(ln["order_id"], Decimal(0)) + amount
    return {
        o["order_id"]
        for o in booked_orders(drop)
        if o["order_id"] in lines
        and local_date(o["ordered_at"]) <= as_of
        and abs(lines[o["order_id"]] - Decimal(o["total_amount"])) > tolerance
    }


def _name_words(text: str) -> list[str]:
    """NFKC (full-width -> half-width), case-folded, split into runs of Latin letters/digits
    and runs of other letters/digits; everything else separates."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.findall(r"[a-z0-9]+|[^\W_a-z0-9]+", folded)


def account_name_key(name: str, suffixes: list[str]) -> str:
    """The name without spaces, punctuation and trailing legal-form suffixes. A Latin suffix is
    whole trailing words; another (有限公司) may end a word. A name that is nothing but suffixes
    keeps them."""
    words = _name_words(name)
    forms = [_name_words(s) for s in suffixes]
    out = list(words)
    cut = True
    while cut and out:
        cut = False
        for form in forms:
            if not form:
                continue
            if form[0][0].isascii():
                if len(out) > len(form) and out[-len(form) :] == form:
                    out, cut = out[: -len(form)], True
                    break
            else:
                # a non-Latin suffix is one run of characters (it may hold no space)
                text = "".join(form)
                if out[-1].endswith(text) and "".join(out) != text:
                    rest = out[-1][: -len(text)]
                    out, cut = out[:-1] + ([rest] if rest else []), True
                    break
    return "".join(out) or "".join(words)


def possible_duplicate_accounts(drop: Drop, as_of: date) -> set[str]:
    """Accounts (created up to as_of) sharing their name key with another account."""
    suffixes = dbt_var("legal_form_suffixes")
    groups: dict[str, set[str]] = defaultdict(set)
    for a in drop.good("accounts", "account_id"):
        if local_date(a["created_at"]) <= as_of:
            groups[account_name_key(a["account_name"], suffixes)].add(a["account_id"])
    return {i for ids in groups.values() if len(ids) > 1 for i in ids}


def untouched_opportunities(drop: Drop, as_of: date, days: int) -> set[str]:
    """Open opportunities whose last change and last activity are more than ``days`` back."""
    last_activity: dict[str, date] = {}
    for act in drop.rows("activities"):
        day = local_date(act["occurred_at"])
        if act["opportunity_id"] and day <= as_of:
            last_activity[act["opportunity_id"]] = max(
                day, last_activity.get(act["opportunity_id"], day)
            )
    out = set()
    for o in drop.good("opportunities", "opportunity_id"):
        if o["stage"] in ("won", "lost") or local_date(o["created_at"]) > as_of:
            continue
        touched = max(
            local_date(o["last_modified_at"]), last_activity.get(o["opportunity_id"], date.min)
        )
        if (as_of - touched).days > days:
            out.add(o["opportunity_id"])
    return out


def payments_for_cancelled_orders(drop: Drop, as_of: date) -> set[str]:
    """Payments up to as_of whose order (directly or through its invoice) is cancelled."""
    cancelled = {
        o["order_id"] for o in drop.good("orders", "order_id") if o["status"] == "cancelled"
    }
    invoice_order = {i["invoice_id"]: i["order_id"] for i in drop.good("invoices", "invoice_id")}
    return {
        p["payment_id"]
        for p in drop.good("payments", "payment_id")
        if local_date(p["paid_at"]) <= as_of
        and (p["order_id"] or invoice_order.get(p["invoice_id"] or "")) in cancelled
    }


def unlinked_activities(drop: Drop, as_of: date) -> set[str]:
    """Activities up to as_of with neither account_id nor opportunity_id."""
    return {
        a["activity_id"]
        for a in drop.good("activities", "activity_id")
        if not a["account_id"] and not a["opportunity_id"] and local_date(a["occurred_at"]) <= as_of
    }
