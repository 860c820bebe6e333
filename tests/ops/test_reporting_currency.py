"""A currency no fx rate converts into the reporting currency stops the night before dbt.

The check (pipelines/transform/fx_preflight.py) runs on the run's working copy after the
ingest: the live warehouse stays as it was, and the message names the currencies, the files
and their records, the setting and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.core.errors import SalesOpsError
from pipelines.ops.runner import run_nightly
from pipelines.transform.fx_preflight import check_reporting_currency
from pipelines.warehouse.schema import ensure_schema
from tests.conftest import SMALL_NIGHT

TZ = "Asia/Shanghai"
LOADED = datetime(2026, 9, 29, tzinfo=UTC)


def _order(con, order_id: str, currency: str, ordered_at: str, file: str, row: int, load=1):
    con.execute(
        """insert into raw.orders (order_id, account_id, rep_id, ordered_at, status, currency,
                                   total_amount, _load_id, _source_file, _source_row,
                                   _row_hash, _loaded_at)
           values (?, 'A1', 'R1', ?, 'delivered', ?, 100, ?, ?, ?, ?, ?)""",
        [order_id, ordered_at, currency, load, file, row, order_id + currency, LOADED],
    )


def _payment(con, payment_id: str, currency: str, paid_at: str, file: str, row: int):
    con.execute(
        """insert into raw.payments (payment_id, order_id, paid_at, amount, currency,
                                     _load_id, _source_file, _source_row, _row_hash, _loaded_at)
           values (?, 'O1', ?, 10, ?, 1, ?, ?, ?, ?)""",
        [payment_id, paid_at, currency, file, row, payment_id, LOADED],
    )


def _rate(con, day: str, currency: str, rate: str) -> None:
    con.execute(
        """insert into raw.fx_rates (rate_date, currency, rate_to_reporting, _load_id,
                                     _source_file, _source_row, _row_hash, _loaded_at)
           values (?, ?, ?, 1, 'fx_rates.csv', 2, ?, ?)""",
        [day, currency, Decimal(rate), day + currency, LOADED],
    )


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    ensure_schema(con)
    yield con
    con.close()


def test_usd_amounts_without_a_rate_into_cny_stop_with_the_currency_files_setting_and_fix(con):
    for i in range(3):
        _order(con, f"O{i}", "USD", "2026-09-01 10:00:00+00", "orders.csv", i + 2)
    _order(con, "O9", "CNY", "2026-09-01 10:00:00+00", "orders.csv", 11)  # converts at 1
    for i in range(2):
        _payment(con, f"P{i}", "usd", "2026-09-02 10:00:00+00", "payments.csv", i + 2)
    with pytest.raises(SalesOpsError) as caught:
        check_reporting_currency(con, "CNY", TZ)
    text = str(caught.value)
    assert "amounts in USD cannot be converted into the reporting currency CNY" in text
    assert "USD: 5 records" in text
    assert "orders.csv (orders: 3 records)" in text
    assert "payments.csv (payments: 2 records)" in text
    assert "fx_rates holds no USD rate" in text
    assert "SALESOPS_REPORTING_CURRENCY" in text
    assert "SALESOPS_REPORTING_CURRENCY=USD" in caught.value.fix
    assert "fx rates for USD->CNY" in caught.value.fix
    assert "dated on or before the record's date" in text


def test_a_rate_must_be_dated_on_or_before_a_record(con):
    """A rate converts records dated on or after it: a currency whose only rate comes after
    its latest record converts nothing; one rate on or before any record suffices (older
    records are missing_fx_rate findings, not a stop)."""
    _order(con, "O1", "USD", "2026-08-01 10:00:00+00", "orders.csv", 2)
    _order(con, "O2", "USD", "2026-09-01 10:00:00+00", "orders.csv", 3)
    _rate(con, "2026-09-02", "USD", "7.1")
    with pytest.raises(SalesOpsError, match="first USD rate in fx_rates is dated 2026-09-02"):
        check_reporting_currency(con, "CNY", TZ)
    _rate(con, "2026-09-01", "USD", "7.1")  # covers O2 (not O1: a finding, not a stop)
    check_reporting_currency(con, "CNY", TZ)


def test_the_date_is_the_business_date_and_only_current_versions_count(con):
    # 2026-08-31 17:00 UTC is 2026-09-01 01:00 in Shanghai: the rate of 09-01 covers it.
    _order(con, "O1", "USD", "2026-08-31 17:00:00+00", "orders.csv", 2)
    _rate(con, "2026-09-01", "USD", "7.1")
    check_reporting_currency(con, "CNY", TZ)
    # A later version of O1 in EUR: only the current version counts.
    _order(con, "O1", "EUR", "2026-08-31 17:00:00+00", "orders-2.csv", 2, load=2)
    with pytest.raises(SalesOpsError, match=r"EUR: 1 record in orders-2\.csv"):
        check_reporting_currency(con, "CNY", TZ)
    # Non-positive rates are no quote; the reporting currency's own rows are ignored.
    _rate(con, "2026-08-01", "EUR", "0")
    with pytest.raises(SalesOpsError, match="fx_rates holds no EUR rate"):
        check_reporting_currency(con, "CNY", TZ)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_night_in_a_currency_without_rates_fails_before_dbt_and_keeps_the_warehouse(
    small_night, tmp_path
):
    """The small night's home; the next drop re-sends its orders, every one now in GBP (no
    GBP rate was ever loaded)."""
    home = tmp_path / "home"
    shutil.copytree(small_night["home"], home)
    live = home / "warehouse.duckdb"
    before = _sha256(live)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with (small_night["inbox"] / "orders.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (inbox / "orders.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "currency": "GBP"} for r in rows)
    summary = run_nightly(inbox, home=home, as_of=SMALL_NIGHT + timedelta(days=1), echo=False)
    assert summary["status"] == "failed"
    assert summary["failed_step"] == "salesops_dbt_assets"
    error = summary["error"]
    # Every order the file brought is in GBP (rows the load quarantines are not records).
    found = re.search(r"GBP: (\d+) records in orders\.csv \(orders: (\d+) records\)", error)
    assert found and found[1] == found[2] and 0 < int(found[1]) <= len(rows)
    assert "reporting currency CNY" in error
    assert "SALESOPS_REPORTING_CURRENCY" in error
    assert "fx rates for GBP->CNY" in error
    assert "Fix: see the error above" not in error
    assert _sha256(live) == before
    con = duckdb.connect(str(live), read_only=True)
    try:
        currencies = {
            r[0] for r in con.execute("select distinct currency from raw.orders").fetchall()
        }
    finally:
        con.close()
    assert "GBP" not in currencies
    assert date.fromisoformat(summary["as_of_date"]) == SMALL_NIGHT + timedelta(days=1)
