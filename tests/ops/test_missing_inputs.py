"""A night whose drop never carried payments: the summary and the pack say so.

A small demo drop without payments.csv goes through a real nightly run into an empty home.
The run summary lists payments as never loaded; the pack the run rendered shows no overdue
share and no DSO in its receivables section but says why, the collections KPI is n/a, and the
data-quality appendix does not call the data's trust "high".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly
from pipelines.warehouse.run_summary import format_summary
from tests.conftest import SMALL_NIGHT
from tests.packs.support import parse


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
