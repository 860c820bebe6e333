"""Customers: movement, repeat purchase and ABC value tiers.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DEMO_AS_OF
from tests.packs.support import (
    PACK_CASES,
    QUARTER,
    D,
    half_up,
    money2,
    one,
    parse,
    pct,
    query,
    sheet_rows,
)
from tests.support import oracle


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_customers_movement_and_tiers(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    ret = one(
        demo_db,
        """select * from marts.fct_customer_retention
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )
    (new,) = query(
        demo_db,
        """select new_customers from marts.fct_sales_performance
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    )[0]
    values = [r[1] for r in p.tables["customers-table"][1:]]
    assert values == [
        f"{ret['active_at_start']:,}",
        f"{ret['active_at_end']:,}",
        f"{new:,}",
        f"{ret['gained']:,}",
        f"{ret['churned']:,}",
        pct(ret["churn_rate"]),
        pct(ret["retention_rate"]),
        f"{ret['trailing_customers']:,}",
        f"{ret['repeat_customers']:,}",
        pct(ret["repeat_purchase_rate"]),
    ]
    # churn rate = churned / active at start (a second way)
    assert half_up(D(ret["churned"]) / ret["active_at_start"], "0.001") == half_up(
        ret["churn_rate"], "0.001"
    )
    # ABC tiers: the scope's account rows, counted and summed here in Python
    tiers: dict[str, list] = {"A": [0, D(0)], "B": [0, D(0)], "C": [0, D(0)]}
    for tier, revenue in query(
        demo_db,
        """select value_tier, scope_trailing_revenue from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = ? and level = ? and scope_id = ?""",
        [QUARTER, level, scope_id],
    ):
        tiers[tier][0] += 1
        tiers[tier][1] += revenue
    assert [r[:3] for r in p.tables["tiers-table"][1:]] == [
        [k, f"{n:,}", money2(rev)] for k, (n, rev) in tiers.items()
    ]
    assert sum(n for n, _ in tiers.values()) > 0
    # Excel: the churned count and tier A revenue as numbers
    rows = sheet_rows(pack.files["xlsx"], html, "customers")
    assert [r[1] for r in rows if r[0] in ("A", "B", "C")][:3] == [n for n, _ in tiers.values()]
    assert D(str(next(r[2] for r in rows if r[0] == "A"))) == tiers["A"][1]
    assert ret["churned"] in [r[1] for r in rows]


def _tiers_recomputed(db: Path, team: str) -> dict[str, tuple[int, Decimal]]:
    """Accounts and trailing revenue of ``team`` per company ABC tier, in plain Python from
    int_orders_enriched: rank every account by its company trailing revenue (12 months to
    2026-09-30), cut at the ABC shares, then sum the team's own orders per account."""
    months = int(oracle.dbt_var("trailing_months"))
    a_share = D(str(oracle.dbt_var("abc_a_share")))
    b_share = D(str(oracle.dbt_var("abc_b_share")))
    end = DEMO_AS_OF
    start = end.replace(year=end.year - months // 12)  # the window is (start, end]
    assert months % 12 == 0, "this recomputation assumes whole years"
    company: dict[str, Decimal] = defaultdict(D)
    in_team: dict[str, Decimal] = defaultdict(D)
    for account, team_then, amount in query(
        db,
        """select account_id, team, total_amount_reporting from intermediate.int_orders_enriched
           where is_booked and ordered_date > ? and ordered_date <= ?
             and total_amount_reporting is not null""",
        [start, end],
    ):
        company[account] += amount
        if team_then == team:
            in_team[account] += amount
    ranked = sorted((r for r in company.items() if r[1] > 0), key=lambda r: (-r[1], r[0]))
    total = sum(r for _, r in ranked)
    tier_of, before = {}, D(0)
    for account, amount in ranked:
        a_cut, b_cut = total * a_share, total * b_share
        tier_of[account] = "A" if before < a_cut else "B" if before < b_cut else "C"
        before += amount
    out = {k: (0, D("0.00")) for k in ("A", "B", "C")}
    for account, amount in in_team.items():
        if amount > 0 and account in tier_of:
            n, rev = out[tier_of[account]]
            out[tier_of[account]] = (n + 1, rev + amount)
    return out


def test_team_pack_tiers_are_the_teams_accounts(demo_db, demo_packs, demo_team):
    """The team pack's tier table: the team's accounts under their company tier with the
    team's revenue, as the mart's team rows say and as recomputed from the orders."""
    html, p = parse(demo_packs[("team", "en")][1].files["html"])
    shown = {r[0]: (r[1], r[2]) for r in p.tables["tiers-table"][1:]}
    mart = {
        tier: (n, rev)
        for tier, n, rev in query(
            demo_db,
            """select value_tier, count(*), sum(scope_trailing_revenue)
               from marts.fct_customer_value_tiers
               where period_type = 'quarter' and period = ? and level = 'team' and scope_id = ?
               group by value_tier""",
            [QUARTER, demo_team],
        )
    }
    expected = _tiers_recomputed(demo_db, demo_team)
    assert {k: v for k, v in expected.items() if v[0]} == mart
    assert shown == {k: (f"{n:,}", money2(rev)) for k, (n, rev) in expected.items()}
    # the team is not the company: fewer accounts than the company ranking holds
    (company_accounts,) = query(
        demo_db,
        """select count(*) from marts.fct_customer_value_tiers
           where period_type = 'quarter' and period = ? and level = 'company'""",
        [QUARTER],
    )[0]
    assert 0 < sum(n for n, _ in expected.values()) < company_accounts
    assert "ABC value tiers (company ranking)" in html
    assert "each account keeps its tier in the company ranking" in html
