"""One export file feeding several entities, declared in the profile (shared: true)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.core.contract import ENTITY_BY_NAME
from pipelines.core.errors import SalesOpsError
from pipelines.ingest.drop import scan_inbox
from pipelines.ingest.profiles.apply import read_export
from pipelines.ingest.profiles.loader import load_profile
from tests.ingest.support import write_export

REGISTER = """\
profile: erp
canonical_fallback: false
defaults: {currency: EUR, timezone: Europe/Madrid}
entities:
  invoices:
    files: invoice_register*.csv
    shared: true
    columns:
      invoice_id: Invoice
      order_id: Order
      issued_at: Issued
      due_date: Due
      amount: Total
  payments:
    files: invoice_register*.csv
    shared: true
    where: {Status: [Paid, Partially paid], Paid on: {empty: false}}
    columns:
      payment_id: {template: "{Invoice}-pay"}
      invoice_id: Invoice
      paid_at: Paid on
      amount: Paid
  accounts:
    files: invoice_register*.csv
    shared: true
    columns:
      account_id: Customer No
      account_name: Customer
      region: {value: Unknown}
      channel: {value: direct}
      created_at: Issued
"""

ROWS = [
    ["Invoice", "Order", "Issued", "Due", "Total", "Status", "Paid on", "Paid", "Customer No",
     "Customer"],
    ["F-1", "O-1", "2026-01-10", "2026-02-09", "1000.10", "Paid", "2026-02-01", "1000.10",
     "C1", "Acme"],
    ["F-2", "O-2", "2026-01-12", "2026-02-11", "250", "Open", "", "", "C2", "Globex"],
    ["F-3", "O-3", "2026-01-20", "2026-02-19", "400", "Partially paid", "2026-02-15", "100",
     "C1", "Acme"],
]  # fmt: skip


def test_an_invoice_register_yields_invoices_payments_and_accounts(tmp_path):
    (tmp_path / "erp.yaml").write_text(REGISTER, encoding="utf-8")
    inbox = tmp_path / "in"
    write_export(inbox, "invoice_register_2026.csv", "\n".join(",".join(r) for r in ROWS))
    profile = load_profile(str(tmp_path / "erp.yaml"))
    drop = scan_inbox(inbox, profile)
    assert set(drop.entity_files) == {"invoices", "payments", "accounts"}
    path = inbox / "invoice_register_2026.csv"

    def read(entity):
        return read_export(path, ENTITY_BY_NAME[entity], profile, "Europe/Madrid").mapped

    invoices = read("invoices").frame
    assert invoices["invoice_id"].to_list() == ["F-1", "F-2", "F-3"]
    payments = read("payments")
    # only paid rows are payments; the open invoice is counted as skipped, not lost silently
    expected = [(r[0] + "-pay", r[0], Decimal(r[7])) for r in ROWS[1:] if r[6]]
    got = [
        (p, i, Decimal(a))
        for p, i, a in payments.frame.select("payment_id", "invoice_id", "amount").iter_rows()
    ]
    assert got == expected
    assert payments.rows_skipped == 1
    assert read("accounts").frame["account_id"].to_list() == ["C1", "C2", "C1"]


def test_a_file_shared_by_only_one_of_its_entities_is_still_an_error(tmp_path):
    (tmp_path / "erp.yaml").write_text(
        REGISTER.replace("    shared: true\n    columns:\n      account_id", "    columns:\n"
                         "      account_id"), encoding="utf-8"
    )  # fmt: skip
    profile = load_profile(str(tmp_path / "erp.yaml"))
    with pytest.raises(SalesOpsError) as err:
        profile.entities_for("invoice_register_2026.csv")
    assert "shared: true" in err.value.fix and "accounts" in err.value.fix
