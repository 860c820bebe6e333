"""Data-quality appendix: the trust statement and the open findings.

The hand-made warehouse (tests/packs/support/hand_warehouse.py): expected numbers are worked out
by hand from its rows (see the comments next to each expectation).
"""

from __future__ import annotations


def test_trust_statement(hand_pack):
    _, _, p = hand_pack
    # latest load with loaded files = 2: quarantined 0 + 2 + 6 = 8 of 5 + 200 + 795 = 1,000 rows
    # (the rejected and skipped files do not count) -> 0.80%; 3 open quarantine findings
    assert p.text_by_id["share-quarantined"] == "0.80%"
    statement = p.text_by_id["trust-statement"]
    assert statement.startswith("Trust: high.")
    assert "8 of 1,000 rows (0.80%)" in statement
    assert "3 quarantine findings are still open" in statement
    assert "under 1%" in statement and "under 5%" in statement
    by_rule = {r[0]: r[1:] for r in p.tables["dq-by-rule"][1:]}
    assert by_rule["amount_outlier"] == ["0", "2", "2"]
    assert by_rule["required_missing"] == ["1", "0", "1"]  # the closed one is not counted
    by_team = [r[0] for r in p.tables["dq-by-team"][1:]]
    assert by_team[:2] == ["华东一组", "华东二组"] and by_team[-1].startswith("No owner")
