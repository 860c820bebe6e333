"""A night whose drop never carried payments, or no ERP file at all: the summary and the pack
say so.

A small demo drop without payments.csv goes through a real nightly run into an empty home.
The run summary lists payments as never loaded; the pack the run rendered shows no overdue
share and no DSO in its receivables section but says why, the collections KPI is n/a, and the
data-quality appendix does not call the data's trust "high".

A CRM-only business (the same drop without orders, order lines and payments) sells through
opportunities: its pack leads with bookings, the amount of the deals won, and says nothing of
a revenue that cannot exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly
from pipelines.packs import render_pack
from pipelines.warehouse.run_summary import format_summary
from tests.conftest import SMALL_NIGHT
from tests.packs.support import OPTIONS, parse
from tests.support import oracle


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("no-payments")
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.05, end_date=SMALL_NIGHT)
    (inbox / "_defects.json").unlink()
    (inbox / "payments.csv").unlink()
    summary = run_nightly(inbox, home=root / "home", as_of=SMALL_NIGHT, echo=False)
    assert summary["status"] == "success", summary.get("error")
    return summary


def test_the_run_summary_lists_payments_as_never_loaded(night):
    states = {i["entity"]: i for i in night["inputs"]}
    assert states["payments"]["state"] == "missing"
    assert states["payments"]["records"] == 0
    assert states["orders"]["state"] == "loaded"
    assert states["orders"]["last_loaded"] == SMALL_NIGHT.isoformat()
    printed = format_summary(night)
    block = printed.split("never loaded as of")[1].split("\n\n")[0]
    assert "    payments\n" in block + "\n"
    assert "orders" not in block


def test_the_pack_shows_no_receivables_figures_and_says_why(night):
    html, parser = parse(Path(night["report"]))
    receivables = parser.text_by_id["receivables-commentary"]
    assert "No payments loaded" in receivables
    assert "Receivables aging" in receivables
    assert "overdue" not in receivables
    assert "DSO" not in receivables
    section = html.split('id="receivables"')[1].split("</section>")[0]
    assert "<svg" not in section and "<table" not in section
    assert parser.text_by_id["kpi-collections-value"] == "n/a"
    summary = parser.text_by_id["summary"]
    assert summary.startswith("No payments loaded")
    assert "DSO" not in summary


def test_trust_is_not_high_without_payments(night):
    html, parser = parse(Path(night["report"]))
    quality = html.split('id="quality"')[1]
    assert "Trust: high" not in quality
    assert "Trust cannot be high while payments was never loaded" in quality


def test_the_pack_of_a_complete_drop_is_unchanged(small_night):
    """The same drop with payments: no note, receivables shown (the check is not noise)."""
    html, parser = parse(Path(small_night["summary"]["report"]))
    assert "No payments loaded" not in html
    assert "never loaded" not in html
    assert "No payments loaded" not in parser.text_by_id.get("receivables-commentary", "")


# --------------------------------------------------------------------------- a CRM-only night

#: The ERP's files: a business that sells through opportunities exports none of them.
ERP_FILES = ("orders.csv", "order_lines.csv", "payments.csv")


@pytest.fixture(scope="module")
def crm_only(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("crm-only")
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.05, end_date=SMALL_NIGHT)
    drop = oracle.load_drop(inbox)  # the defect manifest: which rows the load quarantines
    (inbox / "_defects.json").unlink()
    for name in ERP_FILES:
        (inbox / name).unlink()
    summary = run_nightly(inbox, home=root / "home", as_of=SMALL_NIGHT, echo=False)
    assert summary["status"] == "success", summary.get("error")
    return {"summary": summary, "drop": drop, "home": root / "home", "root": root}


def won_by_month(drop: oracle.Drop, as_of: date) -> dict[str, Decimal]:
    """Bookings from the input rows: the amounts of the deals won, in CNY at the close date's
    rate (the latest on or before it), by month of the CRM's close date (else the local date
    of the close time)."""
    fx = oracle.Fx(drop)
    out: dict[str, Decimal] = defaultdict(Decimal)
    for o in drop.good("opportunities", "opportunity_id"):
        if o["stage"] != "won" or not o["amount"]:
            continue
        closed = o["close_date"] or o["closed_at"] or o["last_modified_at"]
        day = date.fromisoformat(closed) if len(closed) == 10 else oracle.local_date(closed)
        amount = fx.convert(o["amount"], o["currency"], day)
        if day <= as_of and amount is not None:
            out[day.strftime("%Y-%m")] += amount
    return dict(out)


def yuan(amount: Decimal, places: str = "1") -> str:
    return f"¥{amount.quantize(Decimal(places), rounding=ROUND_HALF_UP):,}"


def test_a_crm_only_pack_leads_with_bookings(crm_only):
    months = won_by_month(crm_only["drop"], SMALL_NIGHT)
    bookings = sum((months.get(f"2026-{m:02d}", Decimal(0)) for m in (7, 8, 9)), Decimal(0))
    assert bookings > 0  # the drop has deals won in 2026Q3
    html, parser = parse(Path(crm_only["summary"]["report"]))
    headline = parser.text_by_id["kpis-commentary"]
    assert f"Bookings (the amount of the deals won) reached {yuan(bookings)}" in headline
    assert "Revenue reached" not in html
    assert "Revenue is" not in html
    assert "remains to book" not in html  # the whole target, as if nothing had been booked
    summary = parser.text_by_id["summary"]
    assert summary.startswith("No orders, payments loaded")
    assert f"Bookings (the amount of the deals won) reached {yuan(bookings)}" in summary
    # the bookings KPIs come first; revenue is n/a, not ¥0
    cards = [k for k in parser.text_by_id if k.startswith("kpi-") and k.endswith("-value")]
    assert cards[:3] == [
        "kpi-won_amount-value",
        "kpi-won_amount_target-value",
        "kpi-won_amount_attainment-value",
    ]
    assert parser.text_by_id["kpi-won_amount-value"] == yuan(bookings)
    assert parser.text_by_id["kpi-revenue-value"] == "n/a"


def test_a_crm_only_trend_draws_the_won_amount_of_each_month(crm_only):
    months = won_by_month(crm_only["drop"], SMALL_NIGHT)
    html, parser = parse(Path(crm_only["summary"]["report"]))
    trend = html.split('id="trend"')[1].split("</section>")[0]
    assert "<svg" in trend
    assert "Monthly bookings vs target" in parser.text_by_id["chart-trend"]
    rows = parser.tables["trend-table"]
    assert rows[0][1] == "Bookings"
    drawn = {row[0]: row[1] for row in rows[1:]}
    assert len(drawn) == 12
    for month, shown in drawn.items():
        if shown != "n/a":
            assert shown == yuan(months.get(month, Decimal(0)), "0.01"), month
    assert any(months.get(m) for m in drawn)  # a chart of something, not of zeros
    assert "No chart" not in trend


def test_a_crm_only_pack_in_chinese_leads_with_bookings(crm_only):
    months = won_by_month(crm_only["drop"], SMALL_NIGHT)
    bookings = sum((months.get(f"2026-{m:02d}", Decimal(0)) for m in (7, 8, 9)), Decimal(0))
    pack = render_pack(
        crm_only["home"] / "warehouse.duckdb",
        "2026Q3",
        crm_only["root"] / "zh",
        lang="zh",
        options=OPTIONS,
    )
    html, parser = parse(pack.files["html"])
    assert f"赢单金额（赢得商机的金额）{yuan(bookings)}" in parser.text_by_id["kpis-commentary"]
    assert "收入 ¥" not in html
    assert "月度赢单金额与目标" in parser.text_by_id["chart-trend"]
