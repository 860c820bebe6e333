"""The defects the demo drop carries on purpose, and how each is recorded.

``DEFECT_KINDS`` lists every kind with the rule expected to catch it and its severity, in
manifest order (docs/demo-data.md, "Injected defects"). The injectors break or add
records and call ``add_defect``, which remembers each defect as (record, column) in the
defect log; ``render.manifest`` finds the row when the files are written.

Where each kind is injected:

- ``crm_defects``: accounts (``empty_account_name``, ``unknown_channel``,
  ``duplicate_account_id``, ``double_at_email``), leads (``short_phone``) and
  opportunities (``empty_opportunity_owner``, ``amount_with_letter_o``, ``unknown_stage``,
  ``closed_before_created``, ``unknown_account``, ``expected_close_passed``,
  ``stray_zero``, ``bant_one_of_four``, ``won_without_order``);
- ``order_defects``: orders and lines (``impossible_order_date``, ``rmb_currency_code``,
  ``negative_quantity``, ``double_posted_payment``) and payments
  (``payment_without_order``, ``negative_payment``, ``unknown_order``).

Quarantined records are kept apart: nothing else points at them, unless the defect is
itself a reference. Warnings sit on normal records that the rest of the data uses.
"""

from __future__ import annotations

from .records import Rec

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
    "closed_before_created": ("timestamps_out_of_order", "warn"),
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

#: The defect log: {"kind", "entity", "rec", "column", "description"} per defect.
DefectLog = list[Rec]


def add_defect(
    log: DefectLog, kind: str, entity: str, rec: Rec, column: str, description: str
) -> None:
    """Remember that ``rec`` (a row of ``entity``) is broken on purpose in ``column``."""
    assert kind in DEFECT_KINDS, kind
    log.append(
        {
            "kind": kind,
            "entity": entity,
            "rec": rec,
            "column": column,
            "description": description,
        }
    )
    rec.setdefault("defects", []).append(kind)
