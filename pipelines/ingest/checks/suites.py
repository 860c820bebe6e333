"""Great Expectations suites: one per entity, committed as JSON in expectations/.

``build_suite`` derives the baseline suite from the contract (which expectations) and the
rule catalogue, ``expectations/rules.yml`` (each one's rule, severity, message and fix:
:mod:`.catalogue`); ``salesops expectations write`` writes it to
``expectations/<entity>.json``. Validation always reads the committed file, so a team can
add or tune expectations there (e.g. a stricter regex) without touching code. Each
expectation carries in its ``meta`` the data-quality ``rule`` id, its message and a ``fix``
hint; its GE ``severity`` decides the fate of failing rows: ``critical`` = quarantine (kept
out of the warehouse), ``warning`` = loaded and flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.core.contract import CURRENCY_COLUMNS, ENTITIES, Column, Entity
from pipelines.core.currencies import ISO_4217_CODES
from pipelines.core.errors import SalesOpsError
from pipelines.core.paths import EXPECTATIONS_DIR
from pipelines.ingest.checks.catalogue import GE_SEVERITY
from pipelines.ingest.checks.catalogue import rule as catalogue_rule

QUARANTINE = GE_SEVERITY["quarantine"]
WARN = GE_SEVERITY["warn"]

#: Email: something@domain.tld, no spaces, one @.
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
#: Phone: the E.164 form the loader derives from a valid number (pipelines/ingest/values/
#: phones.py: libphonenumber, in the row's country or the business timezone's); an invalid
#: number stays as written there, and fails this pattern.
PHONE_REGEX = r"^\+[1-9]\d{6,14}$"

#: Period labels: a year (2026), a quarter (2026Q3) or a month (2026-07).
PERIOD_REGEX = r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$"
#: Columns holding scores on a 0-100 scale.
SCORE_COLUMNS = {
    "capability_scores": ("product_knowledge", "selling_skill", "teamwork"),
    "satisfaction_surveys": ("score",),
}
#: The scale of those scores.
SCORE_RANGE = (0, 100)
#: Columns holding a rate written as a fraction (0.05 = 5 %): a discount rate.
FRACTION_COLUMNS = {"order_lines": ("discount_rate",)}
#: The range of those rates: a rate above 1 (5 meant as 5 %) or below 0 is impossible.
FRACTION_RANGE = (0, 1)
#: Columns that must be greater than 0: an fx rate of 0 would turn every amount it converts
#: into 0 (a negative one is already ``negative_value``).
POSITIVE_COLUMNS = {"fx_rates": ("rate_to_reporting",)}


def _exp(type_: str, rule_id: str, details: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    """One expectation of ``rule_id``: severity, message and fix from the rule catalogue;
    ``details`` fill in the message's and fix's fields."""
    rule = catalogue_rule(rule_id)
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {
            "rule": rule_id,
            "message": rule.message.text(**details),
            "fix": rule.fix.text(**details),
        },
        "severity": rule.ge_severity,
    }


def flag_column(column: Column) -> str:
    """Name of the derived column that is null where ``column`` is empty on a row its
    ``flag_unless`` does not exempt (the loader derives it: pipelines/ingest/load/rows.py)."""
    return "_flagged__" + column.name


def one_of_column(columns: tuple[str, ...]) -> str:
    """Name of the derived column that is null when all of ``columns`` are."""
    return "_one_of__" + "__".join(columns)


#: Prefix of the derived column holding a date or timestamp column's calendar date.
DATE_OF = "_date__"


def date_of_column(column: str) -> str:
    """Name of the derived column holding ``column``'s calendar date (a timestamp's date in
    the business timezone): ordered pairs are compared on it."""
    return DATE_OF + column


#: Prefix of the derived column holding a phone column's number in E.164 (as written when
#: it is no valid number).
E164_OF = "_e164__"


def e164_column(column: str) -> str:
    """Name of the derived column holding ``column``'s phone number in E.164 (the loader
    derives it: pipelines/ingest/load/rows.py)."""
    return E164_OF + column


def source_column(column: str) -> str:
    """The contract column a derived column is read from (a contract column is itself)."""
    return column.removeprefix(DATE_OF).removeprefix(E164_OF).removeprefix("_flagged__")


#: Entities where at least one of several columns must be set.
ONE_OF_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "payments": (("order_id", "invoice_id"),),
}


def build_suite(entity: Entity) -> dict[str, Any]:
    """The baseline GE 1.x suite (as JSON-able dict) for ``entity``.

    Which expectations: from the contract. Each one's rule, severity, message and fix: from
    the rule catalogue (``expectations/rules.yml``), its message's details filled in here.
    """
    exps: list[dict[str, Any]] = []
    for col in entity.columns:
        column = {"column": col.name}
        if col.required:
            exps.append(
                _exp("expect_column_values_to_not_be_null", "missing_required", column, **column)
            )
        if col.flag_if_empty:
            checked = {"column": flag_column(col)} if col.flag_unless else column
            exps.append(
                _exp("expect_column_values_to_not_be_null", col.flag_if_empty, column, **checked)
            )
        if col.allowed:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    col.flag_if_not_allowed or "value_not_allowed",
                    {**column, "allowed": ", ".join(col.allowed)},
                    **column,
                    value_set=list(col.allowed),
                )
            )
        if col.name in CURRENCY_COLUMNS:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    "invalid_currency_code",
                    column,
                    **column,
                    value_set=list(ISO_4217_CODES),
                )
            )
        if col.name == "period":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    "malformed_period",
                    column,
                    **column,
                    regex=PERIOD_REGEX,
                )
            )
        if col.name in SCORE_COLUMNS.get(entity.name, ()):
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    "value_out_of_range",
                    {**column, "min": str(SCORE_RANGE[0]), "max": str(SCORE_RANGE[1])},
                    **column,
                    min_value=SCORE_RANGE[0],
                    max_value=SCORE_RANGE[1],
                )
            )
        if col.name in FRACTION_COLUMNS.get(entity.name, ()):
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    "rate_out_of_range",
                    {**column, "min": str(FRACTION_RANGE[0]), "max": str(FRACTION_RANGE[1])},
                    **column,
                    min_value=FRACTION_RANGE[0],
                    max_value=FRACTION_RANGE[1],
                )
            )
        if col.name == "email":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    "malformed_email",
                    column,
                    **column,
                    regex=EMAIL_REGEX,
                )
            )
        if col.name == "phone":
            exps.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    "malformed_phone",
                    column,
                    column=e164_column(col.name),
                    regex=PHONE_REGEX,
                )
            )
    for group in ONE_OF_REQUIRED.get(entity.name, ()):
        exps.append(
            _exp(
                "expect_column_values_to_not_be_null",
                "missing_required",
                {"column": f"one of {' / '.join(group)}"},
                column=one_of_column(group),
            )
        )
    for col_name in entity.non_negative:
        exps.append(
            _exp(
                "expect_column_values_to_be_between",
                "negative_value",
                {"column": col_name},
                column=col_name,
                min_value=0,
            )
        )
    for col_name in POSITIVE_COLUMNS.get(entity.name, ()):
        exps.append(
            _exp(
                "expect_column_values_to_be_between",
                "rate_not_positive",
                {"column": col_name},
                column=col_name,
                min_value=0,
                strict_min=True,
            )
        )
    for earlier, later in entity.ordered_pairs:
        exps.append(
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                "timestamps_out_of_order",
                {"earlier": earlier, "later": later},
                column_A=date_of_column(later),
                column_B=date_of_column(earlier),
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    key = list(entity.key)
    if len(key) == 1:
        exps.append(
            _exp(
                "expect_column_values_to_be_unique",
                "duplicate_id_conflict",
                {"key": key[0]},
                column=key[0],
            )
        )
    else:
        exps.append(
            _exp(
                "expect_compound_columns_to_be_unique",
                "duplicate_id_conflict",
                {"key": f"({', '.join(key)})"},
                column_list=key,
                ignore_row_if="never",
            )
        )
    return {
        "name": entity.name,
        "expectations": exps,
        "meta": {
            "description": f"Row-level contract checks for {entity.name}.",
            "generated_from": "pipelines/core/contract.py and expectations/rules.yml "
            "(salesops expectations write)",
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
