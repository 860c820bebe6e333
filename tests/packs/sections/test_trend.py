"""Monthly trend: the chart keeps its text as text.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations


def test_charts_keep_text_as_text(hand_pack):
    _, _, p = hand_pack
    assert "Monthly revenue vs target, trailing 12 months" in p.text_by_id["chart-trend"]
    assert "Revenue (CNY thousands)" in p.text_by_id["chart-trend"]
    assert "2025-10" in p.text_by_id["chart-trend"]  # first of the trailing 12 months
