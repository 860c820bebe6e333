"""Every row-level rule of the suites: one bad row caught with its rule, one good row clean.

Rows are written as an export would write them (text), typed by the loader's parser and
checked by the committed suites exactly as ingest does (:func:`check_rows`); the loader's
own rules (unreadable values, currency marks) are checked through the same steps.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.core.contract import ENTITY_BY_NAME
from pipelines.ingest.checks.vectorised import compile_suite
from pipelines.ingest.load.rows import check_rows, currency_failures
from pipelines.ingest.values.parse import ROW_INDEX, ValueFormats, parse_frame_failures

GOOD = {
    "sales_reps": {
        "rep_id": "R1", "rep_name": "Ann Lee", "email": None, "team": "East A", "region": "East",
        "manager_id": None, "role": "rep", "hired_on": "2024-01-01", "left_on": None,
    },
    "accounts": {
        "account_id": "A1", "account_name": "上海华锐科技有限公司", "industry": "IT",
        "size_band": "large", "region": "华东", "channel": "direct", "owner_rep_id": "R1",
        "created_at": "2025-01-01 10:00:00", "phone": "13800138000", "email": "a@b.cn",
    },
    "targets": {
        "period": "2026Q3", "level": "rep", "scope_id": "R1", "metric": "revenue",
        "product_line": None, "target_value": "100000",
    },
    "capability_scores": {
        "rep_id": "R1", "period": "2026Q3", "product_knowledge": "80", "selling_skill": "75",
        "teamwork": "90",
    },
    "opportunities": {
        "opportunity_id": "OP1", "account_id": "A1", "owner_rep_id": "R1", "name": "Deal",
        "created_at": "2026-01-05 09:00:00", "stage": "won", "amount": "5000.00",
        "currency": "CNY", "expected_close_date": "2026-03-01",
        "closed_at": "2026-02-20 17:00:00", "lost_reason": None, "product_line": None,
        "lead_id": None, "last_modified_at": "2026-02-20 17:00:00", "close_date": "2026-02-20",
    },
    "order_lines": {
        "order_id": "O1", "line_no": "1", "product_id": "PRD1", "quantity": "14",
        "unit_price": "18.40", "discount_amount": None, "discount_rate": "0.05",
        "line_amount": None,
    },
    "payments": {
        "payment_id": "P1", "order_id": "O1", "invoice_id": None,
        "paid_at": "2026-03-01 10:00:00", "amount": "100.00", "currency": "CNY",
        "method": "bank", "reference": None,
    },
    "fx_rates": {"rate_date": "2026-03-01", "currency": "USD", "rate_to_reporting": "7.1"},
    "invoices": {
        "invoice_id": "I1", "order_id": "O1", "issued_at": "2026-08-20",
        "due_date": "2026-09-19", "amount": "100.00", "currency": "CNY",
    },
    "rep_assignments": {
        "rep_id": "R1", "team": "East A", "region": "East", "manager_id": "M1",
        "effective_from": "2026-01-01", "effective_to": "2026-07-01",
    },
}  # fmt: skip

CASES = [
    # (entity, changed fields of the bad row, rule, severity)
    # a rep known only as a deal's owner: loaded and flagged, counts for the rep and company
    ("sales_reps", {"team": None}, "rep_without_team", "warn"),
    ("sales_reps", {"region": None}, "rep_without_team", "warn"),
    ("accounts", {"account_name": None}, "missing_required", "quarantine"),
    ("accounts", {"owner_rep_id": None}, "missing_owner", "warn"),
    ("accounts", {"channel": "telepathy"}, "value_not_allowed", "quarantine"),
    ("accounts", {"email": "a.b.cn"}, "malformed_email", "warn"),
    ("accounts", {"phone": "12345"}, "malformed_phone", "warn"),
    ("accounts", {"created_at": "2025-02-30 10:00:00"}, "unparseable_value", "quarantine"),
    ("targets", {"period": "Q3 2026"}, "malformed_period", "quarantine"),
    ("targets", {"target_value": "-5"}, "negative_value", "quarantine"),
    ("capability_scores", {"teamwork": "130"}, "value_out_of_range", "quarantine"),
    ("opportunities", {"currency": "RMB"}, "invalid_currency_code", "quarantine"),
    # closed before created: loaded and flagged, never quarantined (a won deal still counts)
    ("opportunities", {"closed_at": "2026-01-04 09:00:00"}, "timestamps_out_of_order", "warn"),
    ("opportunities", {"close_date": "2026-01-04"}, "timestamps_out_of_order", "warn"),
    # a rep who left before being hired, an invoice due before it was issued: the same rule
    (
        "sales_reps",
        {"hired_on": "2026-05-01", "left_on": "2026-01-01"},
        "timestamps_out_of_order",
        "warn",
    ),
    (
        "invoices",
        {"issued_at": "2026-08-20", "due_date": "2026-08-10"},
        "timestamps_out_of_order",
        "warn",
    ),
    # a hierarchy row that ends before it starts: loaded and flagged (two rows of a rep whose
    # periods overlap are a dbt rule, rep_assignments_overlap, across drops)
    (
        "rep_assignments",
        {"effective_from": "2026-03-01", "effective_to": "2026-02-01"},
        "timestamps_out_of_order",
        "warn",
    ),
    ("rep_assignments", {"team": None}, "missing_required", "quarantine"),
    ("rep_assignments", {"effective_to": "2026-02-30"}, "unparseable_value", "quarantine"),
    ("opportunities", {"amount": "EUR 5,000.00"}, "currency_mismatch", "quarantine"),
    # a forecast category the contract does not know: loaded and flagged (the CRM's own word)
    ("opportunities", {"forecast_category": "Upside"}, "unknown_forecast_category", "warn"),
    # a deal without a measure or a link is a business fact: loaded and flagged
    ("opportunities", {"amount": None}, "missing_amount", "warn"),
    ("opportunities", {"account_id": None}, "missing_account", "warn"),
    (
        "opportunities",
        {"stage": "proposal", "closed_at": None, "close_date": None, "expected_close_date": None},
        "missing_expected_close",
        "warn",
    ),
    ("payments", {"order_id": None}, "missing_required", "quarantine"),  # no order nor invoice
    # a discount rate is a fraction: 5 meant as 5 % (or a negative rate) cannot price the line
    ("order_lines", {"discount_rate": "5"}, "rate_out_of_range", "quarantine"),
    ("order_lines", {"discount_rate": "-0.05"}, "rate_out_of_range", "quarantine"),
    ("order_lines", {"line_amount": "-10"}, "negative_value", "quarantine"),
    # an fx rate of 0 would turn every amount it converts into 0
    ("fx_rates", {"rate_to_reporting": "0"}, "rate_not_positive", "quarantine"),
    ("fx_rates", {"rate_to_reporting": "0.000"}, "rate_not_positive", "quarantine"),
]


def _failures(entity_name: str, rows: list[dict]) -> pl.DataFrame:
    entity = ENTITY_BY_NAME[entity_name]
    text = pl.DataFrame(rows, schema={c: pl.String for c in entity.column_names}).with_row_index(
        ROW_INDEX, offset=2
    )
    text = text.with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    formats = ValueFormats(timezone="Asia/Shanghai")
    typed, unread = parse_frame_failures(text, entity, formats)
    suite, _ = check_rows(
        entity, compile_suite(entity_name), typed, text, timezone=formats.timezone
    )
    parsed = unread.select(ROW_INDEX, pl.lit("unparseable_value").alias("rule"))
    money = currency_failures(entity, text, typed, formats).select(ROW_INDEX, "rule")
    return pl.concat(
        [
            suite.select(ROW_INDEX, "rule", "severity"),
            parsed.with_columns(pl.lit("quarantine").alias("severity")),
            money.with_columns(pl.lit("quarantine").alias("severity")),
        ]
    )


@pytest.mark.parametrize(("entity", "change", "rule", "severity"), CASES, ids=lambda v: str(v))
def test_a_bad_row_is_caught_and_a_good_row_is_not(entity, change, rule, severity):
    good = GOOD[entity]
    failures = _failures(entity, [good, {**good, **change}])
    assert failures.filter(pl.col(ROW_INDEX) == 2).is_empty(), "the good row is clean"
    bad = failures.filter(pl.col(ROW_INDEX) == 3)
    assert (rule, severity) in set(bad.select("rule", "severity").iter_rows()), bad


def test_an_order_line_may_give_its_amount_or_a_rate_from_0_to_1():
    """A sales-lines export gives the line amount; an ERP gives a discount rate (0 and 1
    included); an order export may give no total at all: all are clean rows."""
    line = GOOD["order_lines"]
    rows = [
        {**line, "discount_rate": "0"},
        {**line, "line_no": "2", "discount_rate": "1"},
        {**line, "line_no": "3", "discount_rate": None, "line_amount": "3000.00"},
    ]
    assert _failures("order_lines", rows).is_empty()
    order = {
        "order_id": "O1", "account_id": "A1", "opportunity_id": None, "rep_id": "R1",
        "ordered_at": "2026-03-01 10:00:00", "status": "delivered", "currency": "CNY",
        "total_amount": None, "channel": None, "payment_terms_days": None, "delivered_at": None,
    }  # fmt: skip
    assert _failures("orders", [order]).is_empty()


def test_every_row_rule_of_the_suites_has_a_case():
    rules = {e.rule for name in ENTITY_BY_NAME for e in compile_suite(name).row}
    assert rules <= {c[2] for c in CASES}, sorted(rules - {c[2] for c in CASES})


def test_closed_the_day_it_was_created_is_in_order_whatever_the_times():
    """A CRM's close date (a date, or written as midnight) compared with a creation time
    later that day: the dates are equal, nothing is flagged, in a zone behind UTC too."""
    entity = ENTITY_BY_NAME["opportunities"]
    good = GOOD["opportunities"]
    rows = [
        {**good, "created_at": "2023-05-11 15:00:00", "closed_at": None, "close_date": day}
        for day in ("2023-05-11", "2023-05-11 00:00:00", "2023-05-11T00:00:00.000Z")
    ] + [{**good, "created_at": "2023-05-11 15:00:00", "closed_at": "2023-05-11 00:00:00"}]
    text = pl.DataFrame(rows, schema={c: pl.String for c in entity.column_names})
    text = text.with_row_index(ROW_INDEX, offset=2).with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    formats = ValueFormats(timezone="America/New_York")
    typed, unread = parse_frame_failures(text, entity, formats)
    assert unread.is_empty()
    failures, _ = check_rows(
        entity, compile_suite("opportunities"), typed, text, timezone=formats.timezone
    )
    assert failures.is_empty(), failures


def test_a_closed_deal_needs_no_expected_close_date():
    good = GOOD["opportunities"]
    failures = _failures("opportunities", [{**good, "expected_close_date": None}])
    assert failures.is_empty(), failures


@pytest.mark.parametrize(
    ("timezone", "phone", "country", "flagged"),
    [
        # read in the business timezone's country when the row names none
        ("America/New_York", "(415) 555-2671", None, False),
        ("America/New_York", "415-555-267", None, True),  # one digit short
        ("Europe/Madrid", "912 345 678", None, False),
        ("Asia/Shanghai", "138.1234.5678", None, False),
        ("Asia/Shanghai", "1381234567", None, True),
        # the row's country wins over the timezone's
        ("Asia/Shanghai", "(415) 555-2671", "US", False),
        ("Asia/Shanghai", "020 7946 0958", "gb", False),
        ("America/New_York", "13812345678", "CN", False),
        ("America/New_York", "13812345678", None, True),
        # + and a calling code: valid anywhere
        ("UTC", "+49 30 901820", None, False),
        ("UTC", "+1 415 555 2671", "CN", False),
        ("UTC", "0571-88888888", None, True),  # no country at all: only + numbers read
    ],
)
def test_phones_are_checked_in_their_country(timezone, phone, country, flagged):
    """libphonenumber judges a number in the row's country (ISO code), else in the business
    timezone's country: a US or Spanish number is no longer malformed because it is not
    Chinese."""
    entity = ENTITY_BY_NAME["accounts"]
    rows = [{**GOOD["accounts"], "phone": phone, "country": country}]
    text = pl.DataFrame(rows, schema={c: pl.String for c in entity.column_names})
    text = text.with_row_index(ROW_INDEX, offset=2).with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    typed, _ = parse_frame_failures(text, entity, ValueFormats(timezone=timezone))
    failures, _ = check_rows(entity, compile_suite("accounts"), typed, text, timezone=timezone)
    rules = failures.select("rule", "value_seen").rows()
    assert rules == ([("malformed_phone", phone)] if flagged else []), rules
