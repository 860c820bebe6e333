"""The Northwind sample database's CSV export, as published, through the whole nightly run
with the profile tests/realdata/profiles/northwind.yaml.

Figures are recomputed here from the CSV files with csv and Decimal, never read from the
output under test. orders.csv and customers.csv have ragged rows (commas inside unquoted
address fields), each quarantined as ragged_row; their leading columns (ids, dates) come
before any such field, so the plain Python reading takes them by position.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.support.realdata import REALDATA, real_night

pytestmark = pytest.mark.e2e

NORTHWIND = REALDATA / "northwind"
PROFILE = Path(__file__).parent / "profiles" / "northwind.yaml"
AS_OF = date(1998, 6, 30)  # the last orders are of May 1998


def records(name: str) -> list[list[str]]:
    """The data rows of a file as cell lists (ragged rows keep their extra cells)."""
    with (NORTHWIND / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


def header(name: str) -> list[str]:
    with (NORTHWIND / name).open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def northwind(tmp_path_factory):
    con = real_night(
        tmp_path_factory,
        NORTHWIND,
        profile=str(PROFILE),
        as_of=AS_OF,
        currency="USD",
        timezone="America/Los_Angeles",
        partitions_start="1996-01-01",
    )
    yield con
    con.close()


def load_files(con) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute(
            "select file_name, status, rows_in, rows_loaded, rows_quarantined, message "
            "from meta.load_files where entity is not null"
        ).fetchall()
    }


def ragged_rows(name: str) -> dict[int, str]:
    """Row number -> line as written, of the rows with more cells than the header (every
    Northwind record is one line)."""
    lines = (NORTHWIND / name).read_text(encoding="utf-8").splitlines()
    width = len(header(name))
    return {i: lines[i - 1] for i, r in enumerate(records(name), start=2) if len(r) > width}


def test_well_formed_files_account_for_every_row(northwind):
    """meta.load_files: employees, products and order-details loaded with rows_in = the
    file's data rows = loaded + quarantined."""
    files = load_files(northwind)
    for name in ("employees.csv", "products.csv", "order-details.csv"):
        status, rows_in, loaded, quarantined, _ = files[name]
        assert status == "loaded", name
        assert rows_in == len(records(name)) == loaded + quarantined, name


def test_reps_keep_null_literals_and_products_take_their_category(northwind):
    """staging.stg_crm__sales_reps: one rep per employee, manager = reportsTo, the literal NULL
    (Andrew Fuller's) read as empty; staging.stg_erp__products: the product line is the
    category name of categories.csv (a lookup by categoryID)."""
    cols = header("employees.csv")
    employees = [dict(zip(cols, r, strict=True)) for r in records("employees.csv")]
    reps = dict(
        northwind.execute("select rep_id, manager_id from staging.stg_crm__sales_reps").fetchall()
    )
    assert reps == {
        e["employeeID"]: None if e["reportsTo"] == "NULL" else e["reportsTo"] for e in employees
    }
    assert None in reps.values()
    category = {r[0]: r[1] for r in records("categories.csv")}
    cols = header("products.csv")
    products = [dict(zip(cols, r, strict=True)) for r in records("products.csv")]
    got = dict(
        northwind.execute(
            "select product_id, product_line from staging.stg_erp__products"
        ).fetchall()
    )
    assert got == {p["productID"]: category[p["categoryID"]] for p in products}


def test_ragged_rows_are_quarantined_with_their_reason_not_the_whole_file(northwind):
    """meta.load_files / meta.quarantine: orders.csv and customers.csv load; each ragged row
    (more cells than the header: a comma inside an unquoted address) is quarantined as
    ragged_row at its row number with the line as written, and only those; every other row
    loads (rows_in = the file's data rows = loaded + quarantined). The lines of a quarantined
    order wait for it (parked as missing_reference)."""
    files = load_files(northwind)
    for name in ("orders.csv", "customers.csv"):
        status, rows_in, loaded, quarantined, _ = files[name]
        ragged = ragged_rows(name)
        assert (status, rows_in) == ("loaded", len(records(name))), name
        assert (loaded, quarantined) == (rows_in - len(ragged), len(ragged)), name
        got = northwind.execute(
            "select source_row, rule, value_seen, reason from meta.quarantine "
            "where source_file = ?",
            [name],
        ).fetchall()
        width = len(header(name))
        assert {row: (rule, seen) for row, rule, seen, _ in got} == {
            row: ("ragged_row", line) for row, line in ragged.items()
        }, name
        for row, _, _, reason in got:
            cells = len(records(name)[row - 2])
            assert reason.startswith(f"the row has {cells} cells but the header has {width}")
    ragged_orders = {line.split(",")[0] for line in ragged_rows("orders.csv").values()}
    waiting = {
        i for i, r in enumerate(records("order-details.csv"), start=2) if r[0] in ragged_orders
    }
    parked = northwind.execute(
        "select source_row, rule, retryable from meta.quarantine "
        "where source_file = 'order-details.csv'"
    ).fetchall()
    assert {row: (rule, retry) for row, rule, retry in parked} == {
        row: ("missing_reference", True) for row in waiting
    }


def test_revenue_by_quarter_and_rep_is_the_order_details(northwind):
    """marts.fct_sales_performance, quarter periods, company and rep levels: revenue = the
    orders' totals, which the export lacks: each the sum of its lines' UnitPrice x Quantity x
    (1 - Discount) (each rounded half away from zero to 6 places), rounded to cents per order,
    by the quarter of the order's orderDate and its employeeID (orders.csv). Ragged orders
    are quarantined, so their lines count nowhere."""
    width = len(header("orders.csv"))
    orders = {r[0]: (r[3][:10], r[2]) for r in records("orders.csv") if len(r) == width}
    per_order: dict = defaultdict(Decimal)
    for order_id, _, price, quantity, discount in records("order-details.csv"):
        if order_id in orders:
            line = Decimal(price) * Decimal(quantity) * (1 - Decimal(discount))
            per_order[order_id] += line.quantize(Decimal("0.000001"), ROUND_HALF_UP)
    revenue: dict = defaultdict(Decimal)
    for order_id, amount in per_order.items():
        ordered, rep = orders[order_id]
        period = f"{ordered[:4]}Q{(int(ordered[5:7]) - 1) // 3 + 1}"
        cents = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
        revenue[("company", "all", period)] += cents
        revenue[("rep", rep, period)] += cents
    got = {
        (level, scope, period): Decimal(v)
        for level, scope, period, v in northwind.execute(
            "select level, scope_id, period, revenue from marts.fct_sales_performance "
            "where period_type = 'quarter' and level in ('company', 'rep') and revenue <> 0"
        ).fetchall()
    }
    assert got == dict(revenue)
