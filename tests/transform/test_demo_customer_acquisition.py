"""CAC on the shared demo night: the company's CAC per quarter equals the spend file's
company rows over the first orders of the drop, computed in plain Python (tests/support/
oracle.py), knowing nothing of the SQL."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.support import oracle

#: The demo night's business date (tests/conftest.py, the demo drop's end date).
AS_OF = date(2026, 9, 30)
CENT = Decimal("0.01")


@pytest.mark.e2e
def test_demo_company_cac_matches_a_second_computation(demo) -> None:
    assert demo["summary"]["status"] == "success", demo["summary"].get("error")
    drop = demo["drop"]
    con = duckdb.connect(str(demo["home"] / "warehouse.duckdb"), read_only=True)
    try:
        got = dict(
            con.execute(
                """select period, cac from marts.fct_customer_acquisition
                   where period_type = 'quarter' and level = 'company'
                     and channel = '(all)'"""
            ).fetchall()
        )
    finally:
        con.close()
    spend = oracle.spend_by_quarter(drop, "company", "all")
    new = oracle.new_customers_by_quarter(drop, AS_OF)
    expected = {
        q: (s / new[q]).quantize(CENT, ROUND_HALF_UP) if s is not None and new.get(q) else None
        for q, s in spend.items()
    }
    assert sum(v is not None for v in expected.values()) >= 6
    assert {q: got.get(q) for q in expected} == expected
