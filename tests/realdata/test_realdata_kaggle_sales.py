"""The Kaggle "Sample Sales Data" file (cp850), as published, through the whole nightly run
with the profile tests/realdata/profiles/kaggle_sales_data_sample.yaml, which leaves the
encoding to detection.

Every figure is recomputed here from sales_data_sample.csv with csv and Decimal (read as
cp850, which the file is), never read from the output under test. Quarters are the file's own
YEAR_ID / QTR_ID columns (checked against ORDERDATE).
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.support.realdata import REALDATA, real_night

pytestmark = pytest.mark.e2e

FOLDER = REALDATA / "kaggle_sales_data_sample"
FILE = "sales_data_sample.csv"
PROFILE = Path(__file__).parent / "profiles" / "kaggle_sales_data_sample.yaml"
AS_OF = date(2005, 6, 30)  # the file's last order is in May 2005
ENTITIES = ("sales_reps", "accounts", "products", "orders", "order_lines")


def rows() -> list[dict]:
    with (FOLDER / FILE).open(newline="", encoding="cp850") as fh:
        return list(csv.DictReader(fh))


def quarter(r: dict) -> str:
    ordered = datetime.strptime(r["ORDERDATE"], "%m/%d/%Y %H:%M").date()
    label = f"{r['YEAR_ID']}Q{r['QTR_ID']}"
    assert label == f"{ordered.year}Q{(ordered.month - 1) // 3 + 1}", r["ORDERNUMBER"]
    return label


def booked() -> list[dict]:
    """Lines of orders that count as sales: every status but Cancelled."""
    return [r for r in rows() if r["STATUS"] != "Cancelled"]


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    con = real_night(
        tmp_path_factory,
        FOLDER,
        profile=str(PROFILE),
        as_of=AS_OF,
        currency="USD",
        timezone="America/New_York",
        partitions_start="2003-01-01",
    )
    yield con
    con.close()


def test_the_encoding_is_detected_as_cp850_not_declared(sales):
    """The profile leaves the encoding to detection; meta.load_files.read_notes says cp850,
    detected, for each entity read from the file; the accented letters of each line (read
    here as cp850) are stored as such."""
    declared = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    assert declared["defaults"]["encoding"] == "auto"
    assert all("encoding" not in m for m in declared["entities"].values())
    notes = {
        entity: json.loads(n)
        for entity, n in sales.execute(
            "select entity, read_notes from meta.load_files where file_name = ?", [FILE]
        ).fetchall()
    }
    assert set(notes) == set(ENTITIES)
    for entity, n in notes.items():
        assert (n["encoding"], n["encoding_detected"]) == ("cp850", True), entity
    # the file's only non-ASCII text is in contact names and addresses (Martín, Berguvsvägen,
    # Cataluña), kept per line in raw.order_lines._extra
    expected = {
        (r["ORDERNUMBER"], int(r["ORDERLINENUMBER"])): (r["CONTACTFIRSTNAME"], r["ADDRESSLINE1"])
        for r in rows()
    }
    assert any(not (a + b).isascii() for a, b in expected.values())
    stored = {
        (order, line): (first, address)
        for order, line, first, address in sales.execute(
            "select order_id, line_no, _extra ->> 'CONTACTFIRSTNAME', _extra ->> 'ADDRESSLINE1' "
            "from raw.order_lines"
        ).fetchall()
    }
    assert stored == expected


def test_every_line_is_accounted_for_and_na_is_north_america(sales):
    """meta.load_files: for each entity, rows_in = the file's lines = loaded + quarantined;
    staging holds the file's distinct orders, lines, customers and products; territory "NA"
    (North America) is a region, not a null: accounts by region = the file's customers by
    TERRITORY."""
    lines = rows()
    for entity, status, rows_in, loaded, quarantined in sales.execute(
        "select entity, status, rows_in, rows_loaded, rows_quarantined from meta.load_files"
    ).fetchall():
        assert status == "loaded", entity
        assert rows_in == len(lines) == loaded + quarantined, entity
    count = {
        t: sales.execute(f"select count(*) from staging.{t}").fetchone()[0]  # noqa: S608
        for t in ("stg_erp__orders", "stg_erp__order_lines", "stg_crm__accounts")
    }
    assert count == {
        "stg_erp__orders": len({r["ORDERNUMBER"] for r in lines}),
        "stg_erp__order_lines": len(lines),
        "stg_crm__accounts": len({r["CUSTOMERNAME"] for r in lines}),
    }
    regions = dict(
        sales.execute(
            "select region, count(*) from staging.stg_crm__accounts group by region"
        ).fetchall()
    )
    territory = {r["CUSTOMERNAME"]: r["TERRITORY"] for r in lines}
    assert regions == dict(Counter(territory.values()))
    assert regions["NA"] > 0


def test_lines_orders_and_quantities_by_quarter_match_the_file(sales):
    """By quarter, over orders not cancelled: the number of lines and orders and the quantity
    ordered equal the file's (QUANTITYORDERED). Compared against the warehouse's order lines
    (staging, by the order's local date) and marts.fct_product_line_performance (company
    level: units and orders per product line)."""
    lines: Counter = Counter()
    quantity: dict = defaultdict(Decimal)
    orders: dict = defaultdict(set)
    by_line: dict = defaultdict(Decimal)
    for r in booked():
        q = quarter(r)
        lines[q] += 1
        quantity[q] += Decimal(r["QUANTITYORDERED"])
        orders[q].add(r["ORDERNUMBER"])
        by_line[(q, r["PRODUCTLINE"])] += Decimal(r["QUANTITYORDERED"])
    got = {
        q: (n, Decimal(u), o)
        for q, n, u, o in sales.execute(
            "select strftime(o.ordered_date, '%Y') || 'Q' || quarter(o.ordered_date), "
            "count(*), sum(l.quantity), count(distinct o.order_id) "
            "from staging.stg_erp__order_lines l join staging.stg_erp__orders o using (order_id) "
            "where o.status != 'cancelled' group by 1"
        ).fetchall()
    }
    assert got == {q: (lines[q], quantity[q], len(orders[q])) for q in lines}
    mart = {
        (q, line): Decimal(u)
        for q, line, u in sales.execute(
            "select period, product_line, units from marts.fct_product_line_performance "
            "where level = 'company' and period_type = 'quarter'"
        ).fetchall()
    }
    assert mart == dict(by_line)


def test_revenue_by_quarter_is_the_files_sales(sales):
    """marts.fct_product_line_performance (summed over product lines) and
    marts.fct_sales_performance (the orders, whose totals the export lacks: the sum of their
    lines), company level, by quarter: revenue = sum of SALES (each line's own amount, not
    QUANTITYORDERED x PRICEEACH) over the lines of orders not cancelled."""
    revenue: dict = defaultdict(Decimal)
    for r in booked():
        revenue[quarter(r)] += Decimal(r["SALES"])
    got = {
        q: Decimal(v)
        for q, v in sales.execute(
            "select period, sum(revenue) from marts.fct_product_line_performance "
            "where level = 'company' and period_type = 'quarter' group by 1"
        ).fetchall()
    }
    assert got == dict(revenue)
    orders = {
        q: Decimal(v)
        for q, v in sales.execute(
            "select period, revenue from marts.fct_sales_performance "
            "where level = 'company' and period_type = 'quarter' and revenue > 0"
        ).fetchall()
    }
    assert orders == dict(revenue)
