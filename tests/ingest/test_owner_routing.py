"""Quarantined order lines, invoices and payments go to the rep of their order.

docs/data-quality.md: a finding goes to the record's owner; order lines, invoices and
payments take the order's rep. These rows carry no rep themselves, so the ingest follows them
to their order (a payment naming only an invoice through the invoice's order) and records that
rep as the quarantined row's ``owner_rep_id`` (and on its warnings), even when the row itself
never loads.
"""

from __future__ import annotations

from tests.ingest.support import load_file, new_warehouse, write_export

REPS = (
    "rep_id,rep_name,email,team,region,manager_id,role,hired_on,left_on\n"
    "R1,张伟,zw@example.cn,华东一组,华东,,manager,2024-01-01,\n"
    "R2,Li Na,ln@example.cn,华东一组,华东,R1,rep,2024-02-01,\n"
)
ACCOUNTS = (
    "account_id,account_name,industry,size_band,region,channel,owner_rep_id,created_at,phone,email\n"
    "A1,上海华锐科技有限公司,IT,large,华东,direct,R1,2025-01-01 10:00:00,,\n"
)
ORDERS = (
    "order_id,account_id,opportunity_id,rep_id,ordered_at,status,currency,total_amount,"
    "channel,payment_terms_days,delivered_at\n"
    "O1,A1,,R2,2026-08-01 10:00:00,delivered,CNY,1000,,30,\n"
)
INVOICES = (
    "invoice_id,order_id,issued_at,due_date,amount,currency\nI1,O1,2026-08-01,2026-08-31,1000,CNY\n"
)


def _base(con, tmp_path):
    load_file(con, "sales_reps", write_export(tmp_path / "n1", "sales_reps.csv", REPS), 1)
    load_file(con, "accounts", write_export(tmp_path / "n1", "accounts.csv", ACCOUNTS), 1)
    load_file(con, "orders", write_export(tmp_path / "n1", "orders.csv", ORDERS), 1)
    load_file(con, "invoices", write_export(tmp_path / "n1", "invoices.csv", INVOICES), 1)


def _owners(con, entity):
    return dict(
        con.execute(
            "select record_id, owner_rep_id from meta.quarantine where entity = ?", [entity]
        ).fetchall()
    )


def test_quarantined_payment_goes_to_the_orders_rep(tmp_path):
    con = new_warehouse(tmp_path / "w.duckdb")
    _base(con, tmp_path)
    payments = (
        "payment_id,order_id,invoice_id,paid_at,amount,currency,method,reference\n"
        "P1,O1,,2026-09-01 10:00:00,-50,CNY,,\n"  # negative: quarantined
        "P2,,I1,2026-09-02 10:00:00,7 apples,CNY,,\n"  # unreadable; order through the invoice
        "P3,O9,,2026-09-03 10:00:00,-1,CNY,,\n"  # unknown order: nobody (sales ops)
    )
    load_file(con, "payments", write_export(tmp_path / "n2", "payments.csv", payments), 2)
    assert _owners(con, "payments") == {"P1": "R2", "P2": "R2", "P3": None}


def test_quarantined_order_line_and_invoice_go_to_the_orders_rep(tmp_path):
    con = new_warehouse(tmp_path / "w.duckdb")
    _base(con, tmp_path)
    lines = (
        "order_id,line_no,product_id,quantity,unit_price,discount_amount,discount_rate,line_amount\n"
        "O1,1,,-2,100,,,\n"
    )
    load_file(con, "order_lines", write_export(tmp_path / "n2", "order_lines.csv", lines), 2)
    invoices = (
        "invoice_id,order_id,issued_at,due_date,amount,currency\n"
        "I2,O1,2026-08-01,2026-08-31,-5,CNY\n"
    )
    load_file(con, "invoices", write_export(tmp_path / "n2", "invoices.csv", invoices), 2)
    assert _owners(con, "order_lines") == {"O1|1": "R2"}
    assert _owners(con, "invoices") == {"I2": "R2"}
