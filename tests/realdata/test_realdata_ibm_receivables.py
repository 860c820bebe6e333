"""The IBM "Accounts Receivable" sample register, as published, through the whole nightly run.

One file, one row per invoice (customer, invoice / due / settled dates M/D/YYYY, amount, days
late), read as accounts, orders, invoices and payments at once with the profile
tests/realdata/profiles/ibm_accounts_receivable.yaml ("one file, several entities"). Every
figure is recomputed here from the CSV with csv and Decimal, following docs of
../shared/domain.md ("Receivables"), never read from the output under test.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.support.realdata import REALDATA, real_night

pytestmark = pytest.mark.e2e

FOLDER = REALDATA / "ibm_accounts_receivable"
FILE = "WA_Fn-UseC_-Accounts-Receivable.csv"
PROFILE = Path(__file__).parent / "profiles" / "ibm_accounts_receivable.yaml"
AS_OF = date(2014, 3, 31)  # the register's invoices run to 2013, settlements into 2014
CENT = Decimal("0.01")


def mdy(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def invoices() -> list[dict]:
    with (FOLDER / FILE).open(newline="", encoding="utf-8") as fh:
        return [
            {
                "invoice": r["invoiceNumber"],
                "customer": r["customerID"],
                "issued": mdy(r["InvoiceDate"]),
                "due": mdy(r["DueDate"]),
                "settled": mdy(r["SettledDate"]),
                "amount": Decimal(r["InvoiceAmount"]),
                "days_late": int(r["DaysLate"]),
            }
            for r in csv.DictReader(fh)
        ]


def quarter_ends() -> list[tuple[str, date, date]]:
    """(label, first day, last day) of every quarter from 2012Q1 to AS_OF's."""
    out, year, q = [], 2012, 1
    while True:
        start = date(year, 3 * q - 2, 1)
        if start > AS_OF:
            return out
        nxt = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        out.append((f"{year}Q{q}", start, date.fromordinal(nxt.toordinal() - 1)))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "not_due"
    for top, name in ((30, "1_30"), (60, "31_60"), (90, "61_90")):
        if days_overdue <= top:
            return name
    return "over_90"


def open_at(d: date) -> list[dict]:
    """Invoices issued by d and not settled by d (each is settled in full once)."""
    return [i for i in invoices() if i["issued"] <= d and i["settled"] > d]


@pytest.fixture(scope="module")
def ar(tmp_path_factory):
    con = real_night(
        tmp_path_factory,
        FOLDER,
        profile=str(PROFILE),
        as_of=AS_OF,
        currency="USD",
        timezone="America/New_York",
        partitions_start="2012-01-01",
    )
    yield con
    con.close()


def test_one_register_feeds_every_entity_and_every_row_is_accounted_for(ar):
    """meta.load_files: the one file is read once per entity, each time rows_in = the CSV's
    rows = loaded + quarantined; the staged records equal the distinct ids of the CSV."""
    rows = invoices()
    got = {
        entity: (status, rows_in, loaded, quarantined)
        for entity, status, rows_in, loaded, quarantined in ar.execute(
            "select entity, status, rows_in, rows_loaded, rows_quarantined "
            "from meta.load_files where file_name = ?",
            [FILE],
        ).fetchall()
    }
    assert set(got) == {"sales_reps", "accounts", "orders", "invoices", "payments"}
    for entity, (status, rows_in, loaded, quarantined) in got.items():
        assert status == "loaded", entity
        assert rows_in == len(rows) == loaded + quarantined, entity
        assert quarantined == 0, entity
    counts = {
        table: ar.execute(f"select count(*) from staging.{table}").fetchone()[0]  # noqa: S608
        for table in ("stg_crm__accounts", "stg_erp__orders", "stg_erp__invoices")
    }
    assert counts == {
        "stg_crm__accounts": len({r["customer"] for r in rows}),
        "stg_erp__orders": len(rows),
        "stg_erp__invoices": len(rows),
    }


def test_invoice_numbers_stay_zero_padded_strings_and_dates_are_the_registers(ar):
    """stg_erp__invoices: each invoice's id (zero-padded, as written), issue and due date
    and amount equal the CSV row's; the settled date is the payment's local paid date."""
    got = {
        r[0]: r[1:]
        for r in ar.execute(
            "select invoice_id, issued_at, due_date, amount from staging.stg_erp__invoices"
        ).fetchall()
    }
    expected = {i["invoice"]: (i["issued"], i["due"], i["amount"]) for i in invoices()}
    assert {k: (a, b, Decimal(c)) for k, (a, b, c) in got.items()} == expected
    assert any(k.startswith("000") for k in got)
    paid = dict(
        ar.execute("select payment_id, paid_date from staging.stg_finance__payments").fetchall()
    )
    assert paid == {i["invoice"]: i["settled"] for i in invoices()}


def test_receivables_and_aging_at_quarter_ends_match_the_register(ar):
    """marts.fct_receivables_aging at each quarter end d: per aging bucket, the sum and number
    of invoices issued by d and settled after d, aged by days past DueDate (domain.md:
    not yet due, 1-30, 31-60, 61-90, >90)."""
    got: dict[tuple, tuple] = {
        (d, b): (Decimal(s), n)
        for d, b, s, n in ar.execute(
            "select as_of_date, aging_bucket, sum(outstanding), count(*) "
            "from marts.fct_receivables_aging group by all"
        ).fetchall()
    }
    expected: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    for _, _, end in quarter_ends():
        for i in open_at(end):
            slot = expected[(end, bucket((end - i["due"]).days))]
            slot[0] += i["amount"]
            slot[1] += 1
    assert got == {k: tuple(v) for k, v in expected.items()}


def test_dso_and_on_time_rate_by_quarter_match_the_register(ar):
    """marts.fct_receivables_kpis, company level, by quarter: revenue = invoices issued in the
    quarter; receivables_end = open at its last day; DSO = receivables_end / revenue x days;
    due_in_period = amount of invoices due in the quarter; paid_on_time = those of them settled
    on or before DueDate; on-time rate = paid_on_time / due_in_period (domain.md)."""
    rows = invoices()
    got = {
        r[0]: r[1:]
        for r in ar.execute(
            "select period, revenue, receivables_end, dso_days, due_in_period, paid_on_time, "
            "on_time_collection_rate from marts.fct_receivables_kpis "
            "where level = 'company' and period_type = 'quarter'"
        ).fetchall()
    }
    assert set(got) == {label for label, _, _ in quarter_ends()}
    for label, start, end in quarter_ends():
        revenue = sum((i["amount"] for i in rows if start <= i["issued"] <= end), Decimal(0))
        receivables = sum((i["amount"] for i in open_at(end)), Decimal(0))
        days = (end - start).days + 1
        due = [i for i in rows if start <= i["due"] <= end]
        due_amount = sum((i["amount"] for i in due), Decimal(0))
        on_time = sum((i["amount"] for i in due if i["settled"] <= i["due"]), Decimal(0))
        g_revenue, g_receivables, g_dso, g_due, g_on_time, g_rate = got[label]
        assert (g_revenue, g_receivables) == (revenue, receivables), label
        if revenue:
            dso = (receivables * days / revenue).quantize(CENT, ROUND_HALF_UP)
            assert g_dso == dso, label
        assert (g_due, g_on_time) == (due_amount, on_time), label
        assert abs(Decimal(str(g_rate)) - on_time / due_amount) < Decimal("1e-9"), label


def test_late_invoices_are_the_registers_days_late(ar):
    """The on-time rule agrees with the register's own DaysLate column: an invoice is paid
    late exactly when DaysLate > 0, and the warehouse has as many invoices paid after their
    due date (stg_finance__payments.paid_date > stg_erp__invoices.due_date)."""
    rows = invoices()
    assert all((i["settled"] > i["due"]) == (i["days_late"] > 0) for i in rows)
    late = ar.execute(
        "select count(*) from staging.stg_erp__invoices i "
        "join staging.stg_finance__payments p on p.invoice_id = i.invoice_id "
        "where p.paid_date > i.due_date"
    ).fetchone()[0]
    assert late == sum(i["days_late"] > 0 for i in rows)
