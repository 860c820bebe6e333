"""Turn a built ``World`` into CSV rows and the defect manifest."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from pipelines.core.contract import ENTITIES, entity

from .currency import SECOND_CURRENCY
from .defects import DEFECT_KINDS
from .formats import (
    fmt_bool,
    fmt_dec,
    fmt_opt_date,
    fmt_opt_ts,
    fmt_ts,
    fmt_ts_offset,
    fmt_ts_utc,
)
from .records import Rec
from .world import World

#: The forecast category a rep gives a deal in each stage (Salesforce's defaults): the demo's
#: commit and best-case totals. Derived, not drawn: the random stream is unchanged.
FORECAST_CATEGORY_OF_STAGE = {
    "qualified": "pipeline",
    "discovery": "pipeline",
    "proposal": "best_case",
    "negotiation": "commit",
    "won": "closed",
    "lost": "omitted",
}

#: Entities the demo drop leaves out (the warehouse derives invoices from orders; the reps'
#: teams are known from the first load on, so no hierarchy file is needed).
SKIPPED_ENTITIES = frozenset({"invoices", "rep_assignments"})

#: Per entity: (record or None, values in contract column order), in file order.
Rows = dict[str, list[tuple[Rec | None, list[str]]]]


def render(w: World) -> Rows:
    """Rows per written entity, in contract column order, each with its record."""
    fmt_rng = random.Random(f"salesops-demo-formats-{w.seed}")

    def zoned(rec: Rec, t: datetime, pct: float, utc: bool) -> str:
        """Most timestamps are local; a few carry an explicit offset or are in UTC."""
        if rec.get("defects") or fmt_rng.random() >= pct:
            return fmt_ts(t)
        return fmt_ts_utc(t) if utc else fmt_ts_offset(t)

    out: dict[str, list[tuple[Rec | None, dict[str, str]]]] = {}

    def add(entity: str, rec: Rec | None, row: dict[str, str]) -> None:
        if rec is not None:
            row.update(rec.get("override", {}))
        out.setdefault(entity, []).append((rec, row))

    for x in w.reps:
        add(
            "sales_reps",
            x,
            {
                "rep_id": x["id"],
                "rep_name": x["name"],
                "email": x["email"],
                "team": x["team"],
                "region": x["region"],
                "manager_id": x["manager"]["id"] if x["manager"] else "",
                "role": x["role"],
                "hired_on": x["hired_on"].isoformat(),
                "left_on": fmt_opt_date(x["left_on"]),
            },
        )
    for a in w.account_rows:
        add(
            "accounts",
            a,
            {
                "account_id": a["id"],
                "account_name": a["name"],
                "industry": a["industry"] or "",
                "size_band": a["size_band"],
                "region": a["region"],
                "channel": a["channel"],
                "owner_rep_id": a["owner"]["id"],
                "created_at": fmt_ts(a["created"]),
                "phone": a["phone"] or "",
                "country": "",  # mainland customers: phones read in the timezone's country
                "email": a["email"] or "",
            },
        )
    for p in w.products:
        add(
            "products",
            p,
            {
                "product_id": p["id"],
                "product_name": p["name"],
                "product_line": p["line"],
                "list_price": fmt_dec(p["list_price"]),
            },
        )
    for x in w.leads:
        b = x["bant"]
        add(
            "leads",
            x,
            {
                "lead_id": x["id"],
                "created_at": zoned(x, x["created"], 0.01, True),
                "source": x["source"],
                "owner_rep_id": x["owner"]["id"],
                "company_name": x["company"],
                "status": x["status"],
                "converted_at": fmt_opt_ts(x["converted"]),
                "opportunity_id": x["opp"]["id"] if x["opp"] else "",
                "bant_budget": fmt_bool(b[0]),
                "bant_authority": fmt_bool(b[1]),
                "bant_need": fmt_bool(b[2]),
                "bant_timeline": fmt_bool(b[3]),
                "phone": x["phone"] or "",
                "country": "",
                "email": x["email"] or "",
            },
        )
    for o in w.opps:
        add(
            "opportunities",
            o,
            {
                "opportunity_id": o["id"],
                "account_id": (
                    w.missing_account_id if o.get("missing_account") else o["account"]["id"]
                ),
                "owner_rep_id": o["owner"]["id"],
                "name": o["name"],
                "created_at": fmt_ts(o["created"]),
                "stage": o["stage"],
                "amount": fmt_dec(o["amount"]),
                "currency": o["currency"],
                "expected_close_date": o["expected"].isoformat(),
                "closed_at": fmt_opt_ts(o["closed"]),
                "lost_reason": o["lost_reason"] or "",
                "product_line": o["line"],
                "lead_id": o["lead"]["id"] if o["lead"] else "",
                "last_modified_at": zoned(o, o["modified"], 0.015, False),
                # the close date as the CRM shows it (a date in the business timezone)
                "close_date": o["closed"].date().isoformat() if o["closed"] else "",
                "forecast_category": FORECAST_CATEGORY_OF_STAGE.get(o["stage"], ""),
            },
        )
    for o in w.opps:
        if o["quarantined"]:
            continue
        for stage, t in o["events"]:
            add(
                "opportunity_stage_history",
                None,
                {"opportunity_id": o["id"], "stage": stage, "entered_at": fmt_ts(t)},
            )
    for x in w.activities:
        add(
            "activities",
            x,
            {
                "activity_id": x["id"],
                "rep_id": x["rep"]["id"],
                "account_id": x["account"]["id"] if x["account"] else "",
                "opportunity_id": x["opp"]["id"] if x["opp"] else "",
                "type": x["type"],
                "occurred_at": zoned(x, x["at"], 0.01, False),
            },
        )
    names = [c.name for c in entity("targets").columns]
    for row in w.targets:
        add("targets", None, dict(zip(names, row, strict=True)))
    names = [c.name for c in entity("marketing_spend").columns]
    for row in w.spend:
        add("marketing_spend", None, dict(zip(names, row, strict=True)))
    names = [c.name for c in entity("capability_scores").columns]
    for row in w.capability:
        add("capability_scores", None, dict(zip(names, row, strict=True)))
    for a in sorted(w.accounts, key=lambda a: a["id"]):
        for d, score in a.get("surveys", []):
            add(
                "satisfaction_surveys",
                None,
                {"account_id": a["id"], "surveyed_at": d.isoformat(), "score": fmt_dec(score)},
            )
    for o in w.orders:
        add(
            "orders",
            o,
            {
                "order_id": o["id"],
                "account_id": o["account"]["id"],
                "opportunity_id": o["opp"]["id"] if o["opp"] else "",
                "rep_id": o["rep"]["id"],
                "ordered_at": fmt_ts(o["ordered"]),
                "status": o["status"],
                "currency": o["currency"],
                "total_amount": fmt_dec(o["total"]),
                "channel": o["channel"] or "",
                "payment_terms_days": "" if o["terms"] is None else str(o["terms"]),
                "delivered_at": fmt_opt_ts(o["delivered"]),
            },
        )
    for o in w.orders:
        for ln in o["lines"]:
            add(
                "order_lines",
                ln,
                {
                    "order_id": o["id"],
                    "line_no": str(ln["line_no"]),
                    "product_id": ln["product"]["id"],
                    "quantity": fmt_dec(ln["qty"]),
                    "unit_price": fmt_dec(ln["price"]),
                    "discount_amount": "" if ln["blank_discount"] else fmt_dec(ln["discount"]),
                    "discount_rate": "",
                    "line_amount": "",
                },
            )
    for p in w.payments:
        if p.get("missing_order"):
            order_id = w.missing_order_id
        else:
            order_id = p["order"]["id"] if p["order"] else ""
        add(
            "payments",
            p,
            {
                "payment_id": p["id"],
                "order_id": order_id,
                "invoice_id": "",
                "paid_at": zoned(p, p["paid"], 0.02, True),
                "amount": fmt_dec(p["amount"]),
                "currency": p["currency"],
                "method": p["method"] or "",
                "reference": p["reference"] or "",
            },
        )
    for d in sorted(w.fx):
        add(
            "fx_rates",
            None,
            {
                "rate_date": d.isoformat(),
                "currency": SECOND_CURRENCY,
                "rate_to_reporting": fmt_dec(w.fx[d], 6),
            },
        )
    result: dict[str, list[tuple[Rec | None, list[str]]]] = {}
    for e in ENTITIES:
        if e.name in SKIPPED_ENTITIES:
            continue
        rows = out.get(e.name, [])
        result[e.name] = [(rec, [row[c] for c in e.column_names]) for rec, row in rows]
    return result


def manifest(w: World, rows: Rows) -> dict[str, Any]:
    """The ``_defects.json`` content: each injected defect with the row it sits in."""
    order = list(DEFECT_KINDS)
    defects = []
    for i, spec in enumerate(sorted(w.defects, key=lambda d: order.index(d["kind"]))):
        ent = entity(spec["entity"])
        idx = next(j for j, (rec, _) in enumerate(rows[ent.name]) if rec is spec["rec"])
        values = dict(zip(ent.column_names, rows[ent.name][idx][1], strict=True))
        rule, severity = DEFECT_KINDS[spec["kind"]]
        defects.append(
            {
                "id": f"D{i + 1:02d}",
                "kind": spec["kind"],
                "entity": ent.name,
                "record_id": "|".join(values[c] for c in ent.key),
                "source_row": idx + 2,  # as a spreadsheet shows it: the header is row 1
                "column": spec["column"],
                "value": values[spec["column"]],
                "expected_rule": rule,
                "severity": severity,
                "description": spec["description"],
            }
        )
    return {
        "seed": w.seed,
        "scale": w.scale,
        "end_date": w.end.isoformat(),
        "defects": defects,
    }
