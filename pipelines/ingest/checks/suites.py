"""Great Expectations suites: one per entity, committed as JSON in expectations/.

``build_suite`` derives the baseline suite from the contract; ``salesops
expectations write`` writes it to ``expectations/<entity>.json``. Validation
always reads the committed file, so a team can add or tune expectations there
(e.g. a stricter regex) without touching code. Each expectation carries in its
``meta`` the data-quality ``rule`` id and a ``fix`` hint; its GE ``severity``
decides the fate of failing rows: ``critical`` = quarantine (kept out of the
warehouse), ``warning`` = loaded and flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.core.contract import CURRENCY_COLUMNS, ENTITIES, Entity
from pipelines.core.currencies import ISO_4217_CODES
from pipelines.core.errors import SalesOpsError
from pipelines.core.paths import EXPECTATIONS_DIR

QUARANTINE = "critical"
WARN = "warning"

#: Email: something@domain.tld, no spaces, one @.
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
#: Phone: Chinese mobile (11 digits, 1[3-9]…, optional +86), Chinese landline
#: with area code, or an international number starting with +.
PHONE_REGEX = r"^((\+?86[ -]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\+[1-9][\d \-]{6,18}\d)$"

#: Period labels: a year (2026), a quarter (2026Q3) or a month (2026-07).
PERIOD_REGEX = r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$"
#: Columns holding scores on a 0-100 scale.
SCORE_COLUMNS = {
    "capability_scores": ("product_knowledge", "selling_skill", "teamwork"),
    "satisfaction_surveys": ("score",),
}

#: Rule ids the suites emit, with the default fix hint shown to the owner.
RULES: dict[str, str] = {
    "missing_required": "fill in the field in the source system and re-export",
    "missing_owner": "assign an owner rep to the record in the CRM",
    "value_not_allowed": "use one of the allowed values",
    "invalid_currency_code": "use the ISO 4217 code (e.g. CNY, USD, EUR)",
    "negative_value": "enter the amount or quantity as a positive number",
    "malformed_period": "write the period as 2026 (year), 2026Q3 (quarter) or 2026-07 (month)",
    "value_out_of_range": "enter a score between 0 and 100",
    "timestamps_out_of_order": "correct the later date so it does not precede the earlier one",
    "duplicate_id_conflict": (
        "the export holds two different rows with this id; merge or remove one in the source"
    ),
    "malformed_email": "correct the email address (name@domain.tld)",
    "malformed_phone": "correct the phone number (11-digit mobile, or area code + number)",
}


def _exp(type_: str, severity: str, rule: str, message: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"rule": rule, "message": message, "fix": RULES[rule]},
        "severity": severity,
    }


def one_of_column(columns: tuple[str, ...]) -> str:
    """Name of the derived column that is null when all of ``columns`` are."""
    return "_one_of__" + "__".join(columns)


#: Entities where at least one of several columns must be set.
ONE_OF_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "payments": (("order_id", "invoice_id"),),
}


def build_suite(entity: Entity) -> dict[str, Any]:
    """The baseline GE 1.x suite (as JSON-able dict) for ``entity``."""
    exps: list[dict[str, Any]] = []
    for col in entity.columns:
        if col.required:
            exps.append(
                _exp(
                    "expect_column_values_to_not_be_null",
                    QUARANTINE,
                    "missing_required",
                    f"{col.name} is required",
                    column=col.name,
                )
            )
        if col.flag_if_empty:
            exps.append(
                _exp(
                    "expect_column_values_to_not_be_null",
                    WARN,
                    col.flag_if_empty,
                    f"{col.name} is empty",
                    column=col.name,
                )
            )
        if col.allowed:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    QUARANTINE,
                    "value_not_allowed",
                    f"{col.name} must be one of: {', '.join(col.allowed)}",
                    column=col.name,
                    value_set=list(col.allowed),
                )
            )
        if col.name in CURRENCY_COLUMNS:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    QUARANTINE,
                    "invalid_currency_code",
                    f"{col.name} must be an ISO 4217 currency code",
                    column=col.name,
                    value_set=list(ISO_4217_CODES),
                )
            )
        if col.name == "period":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    QUARANTINE,
                    "malformed_period",
                    "period must be like 2026, 2026Q3 or 2026-07",
                    column=col.name,
                    regex=PERIOD_REGEX,
                )
            )
        if col.name in SCORE_COLUMNS.get(entity.name, ()):
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    QUARANTINE,
                    "value_out_of_range",
                    f"{col.name} must be between 0 and 100",
                    column=col.name,
                    min_value=0,
                    max_value=100,
                )
            )
        if col.name == "email":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    WARN,
                    "malformed_email",
                    "email address is malformed",
                    column=col.name,
                    regex=EMAIL_REGEX,
                )
            )
        if col.name == "phone":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    WARN,
                    "malformed_phone",
                    "phone number is malformed",
                    column=col.name,
                    regex=PHONE_REGEX,
                )
            )
    for group in ONE_OF_REQUIRED.get(entity.name, ()):
        exps.append(
            _exp(
                "expect_column_values_to_not_be_null",
                QUARANTINE,
                "missing_required",
                f"one of {' / '.join(group)} is required",
                column=one_of_column(group),
            )
        )
    for col_name in entity.non_negative:
        exps.append(
            _exp(
                "expect_column_values_to_be_between",
                QUARANTINE,
                "negative_value",
                f"{col_name} may not be negative",
                column=col_name,
                min_value=0,
            )
        )
    for earlier, later in entity.ordered_pairs:
        exps.append(
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                QUARANTINE,
                "timestamps_out_of_order",
                f"{later} is before {earlier}",
                column_A=later,
                column_B=earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    key = list(entity.key)
    if len(key) == 1:
        exps.append(
            _exp(
                "expect_column_values_to_be_unique",
                QUARANTINE,
                "duplicate_id_conflict",
                f"{key[0]} appears on several rows with different content",
                column=key[0],
            )
        )
    else:
        exps.append(
            _exp(
                "expect_compound_columns_to_be_unique",
                QUARANTINE,
                "duplicate_id_conflict",
                f"({', '.join(key)}) appears on several rows with different content",
                column_list=key,
                ignore_row_if="never",
            )
        )
    return {
        "name": entity.name,
        "expectations": exps,
        "meta": {
            "description": f"Row-level contract checks for {entity.name}.",
            "generated_from": "pipelines/core/contract.py (salesops expectations write)",
        },
    }


def suite_path(entity_name: str, directory: Path = EXPECTATIONS_DIR) -> Path:
    return directory / f"{entity_name}.json"


def write_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for e in ENTITIES:
        path = suite_path(e.name, directory)
        path.write_text(
            json.dumps(build_suite(e), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(path)
    return written


def read_suite(entity_name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    path = suite_path(entity_name, directory)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SalesOpsError(
            f"the validation suite {path} is missing",
            "restore it from git, or run `salesops expectations write` to regenerate "
            "the baseline suites from the contract",
        ) from None
