"""Lead-to-cash funnel and pipeline waterfall, built for real on a small hand-made warehouse.

The real staging, intermediate and mart models run on raw versions from three loads; the
expected figures are worked out by hand (docstrings below) and recomputed in plain Python
from the raw rows (the versions each load holds), never read from the marts under test.

Business timezone Asia/Shanghai, reporting currency CNY, as_of_date 2026-09-30.
Loads: 1 on 2026-06-30, 2 on 2026-08-15, 3 on 2026-09-30 (each holds every opportunity).
Reps: R1 team T1 region East; R2 team T2 region West.
Opportunities (stage amount expected-close, per load):
  OP1 R1 created 06-01, lead L1: proposal 1000 08-20 | proposal 1200 08-20 | won 1200 (09-10)
  OP2 R2 created 06-10:          discovery 500 07-15 | discovery 500 10-15 | same
  OP3 R1 created 05-01:          qualified 800 11-30 | qualified 800 09-20 | lost 800 (09-25)
  OP4 R2 created 07-20:          -                   | proposal 300 09-30  | proposal 250 09-30
  OP5 R1 created 09-01:          -                   | -                   | qualified 400 12-15
Leads: L1 R1 05-20 (OP1 names it); L2 R2 07-10 names OP4; L3 R1 08-01, no opportunity.
Order O1 R1 of OP1 ordered 09-12, 1200, paid in full on 09-20 (P1 1200).

Q3 waterfall, company (opening 06-30, closing 09-30): opening OP1 1000 + OP2 500 = 1500; OP1
up 200 and won 1200; OP2 pushed out 500; OP3 pulled in 800 and lost 800; OP4 new 250, closing
250: 1500 + 250 + 800 + 200 - 500 - 1200 - 800 = 250.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, hash_by_load_and_row, run_dbt, ts

AS_OF = "2026-09-30"
LOADS = {1: "2026-06-30", 2: "2026-08-15", 3: "2026-09-30"}
REPS = {"R1": ("T1", "East"), "R2": ("T2", "West")}

# (load, id, owner, created, stage, amount, expected close, closed, lead_id)
OPPORTUNITY_VERSIONS = [
    (1, "OP1", "R1", "2026-06-01", "proposal", "1000", "2026-08-20", None, "L1"),
    (2, "OP1", "R1", "2026-06-01", "proposal", "1200", "2026-08-20", None, "L1"),
    (3, "OP1", "R1", "2026-06-01", "won", "1200", "2026-08-20", "2026-09-10", "L1"),
    (1, "OP2", "R2", "2026-06-10", "discovery", "500", "2026-07-15", None, None),
    (2, "OP2", "R2", "2026-06-10", "discovery", "500", "2026-10-15", None, None),
    (3, "OP2", "R2", "2026-06-10", "discovery", "500", "2026-10-15", None, None),
    (1, "OP3", "R1", "2026-05-01", "qualified", "800", "2026-11-30", None, None),
    (2, "OP3", "R1", "2026-05-01", "qualified", "800", "2026-09-20", None, None),
    (3, "OP3", "R1", "2026-05-01", "lost", "800", "2026-09-20", "2026-09-25", None),
    (2, "OP4", "R2", "2026-07-20", "proposal", "300", "2026-09-30", None, None),
    (3, "OP4", "R2", "2026-07-20", "proposal", "250", "2026-09-30", None, None),
    (3, "OP5", "R1", "2026-09-01", "qualified", "400", "2026-12-15", None, None),
]
# (id, owner, created, opportunity_id named)
LEADS = [
    ("L1", "R1", "2026-05-20", None),
    ("L2", "R2", "2026-07-10", "OP4"),
    ("L3", "R1", "2026-08-01", None),
]
# (order, rep, opportunity, ordered, amount); payments (id, order, paid, amount)
ORDERS = [("O1", "R1", "OP1", "2026-09-12", "1200")]
PAYMENTS = [("P1", "O1", "2026-09-20", "1200")]


def _raw() -> dict[str, list[tuple[int, dict]]]:
    opportunities = [
        (
            load,
            dict(
                opportunity_id=oid,
                account_id="A1",
                owner_rep_id=owner,
                name=f"deal {oid}",
                created_at=ts(f"{created} 10:00:00"),
                stage=stage,
                amount=amount,
                currency="CNY",
                expected_close_date=expected,
                closed_at=ts(f"{closed} 10:00:00") if closed else None,
                last_modified_at=ts(f"{LOADS[load]} 09:00:00"),
                lead_id=lead,
            ),
        )
        for load, oid, owner, created, stage, amount, expected, closed, lead in OPPORTUNITY_VERSIONS
    ]
    return {
        "sales_reps": [
            (load, dict(rep_id=r, rep_name=r, team=team, region=region))
            for load in LOADS
            for r, (team, region) in REPS.items()
        ],
        "accounts": [
            (
                1,
                dict(
                    account_id="A1",
                    account_name="Account A1",
                    region="East",
                    channel="direct",
                    owner_rep_id="R1",
                    created_at=ts("2026-01-10 09:00:00"),
                ),
            )
        ],
        "leads": [
            (
                1 if created <= LOADS[1] else 2 if created <= LOADS[2] else 3,
                dict(
                    lead_id=lid,
                    created_at=ts(f"{created} 10:00:00"),
                    source="web",
                    owner_rep_id=owner,
                    company_name=f"Company {lid}",
                    status="converted" if named else "new",
                    opportunity_id=named,
                ),
            )
            for lid, owner, created, named in LEADS
        ],
        "opportunities": opportunities,
        "orders": [
            (
                3,
                dict(
                    order_id=oid,
                    account_id="A1",
                    rep_id=rep,
                    opportunity_id=opp,
                    ordered_at=ts(f"{day} 10:00:00"),
                    status="delivered",
                    currency="CNY",
                    total_amount=amount,
                    payment_terms_days=30,
                ),
            )
            for oid, rep, opp, day, amount in ORDERS
        ],
        "payments": [
            (
                3,
                dict(
                    payment_id=pid,
                    order_id=order,
                    paid_at=ts(f"{day} 10:00:00"),
                    amount=amount,
                    currency="CNY",
                ),
            )
            for pid, order, day, amount in PAYMENTS
        ],
    }


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("lead_to_cash")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        _raw(),
        loads=LOADS,
        loaded_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        row_hash=hash_by_load_and_row,
    )
    run_dbt(
        [
            "build",
            "--select",
            "+fct_pipeline_waterfall +fct_lead_to_cash_funnel +fct_pipeline_snapshots",
            "--indirect-selection",
            "cautious",
        ],
        db=db,
        tmp=tmp,
        as_of=AS_OF,
        load_id=3,
    )
    con = duckdb.connect(str(db))
    yield con
    con.close()


def _d(text: str) -> date:
    return date.fromisoformat(text)


# --------------------------------------------------------------------------- lead to cash


def _oracle_lead_steps() -> dict[str, dict[str, date | None]]:
    """Each lead's step dates, from the last load's rows."""
    latest = {}
    for version in sorted(OPPORTUNITY_VERSIONS):  # by load: the last one wins
        latest[version[1]] = (version[3], version[4], version[7], version[8])
    out = {}
    for lid, _owner, created, named in LEADS:
        opps = [o for o, (_, _, _, lead) in latest.items() if lead == lid or o == named]
        opp_dates = [_d(latest[o][0]) for o in opps]
        won = [o for o in opps if latest[o][1] == "won"]
        orders = [o for o in ORDERS if o[2] in won]
        paid = [
            _d(p[2])
            for o in orders
            for p in PAYMENTS
            if p[1] == o[0] and Decimal(p[3]) >= Decimal(o[4])
        ]
        steps = {
            "lead": _d(created),
            "opportunity": min(opp_dates, default=None),
            "won": min((_d(latest[o][2]) for o in won), default=None),
            "ordered": min((_d(o[3]) for o in orders), default=None),
            "paid": min(paid, default=None),
        }
        out[lid] = steps
    return out


STEPS = ["lead", "opportunity", "won", "ordered", "paid"]


def test_lead_to_cash_per_quarter_and_rep_matches_the_leads(wh) -> None:
    steps = _oracle_lead_steps()
    # hand check of the one lead that got paid: 05-20 -> 06-01 -> 09-10 -> 09-12 -> 09-20
    assert steps["L1"] == {
        "lead": date(2026, 5, 20),
        "opportunity": date(2026, 6, 1),
        "won": date(2026, 9, 10),
        "ordered": date(2026, 9, 12),
        "paid": date(2026, 9, 20),
    }
    owners = {lid: owner for lid, owner, _, _ in LEADS}
    expected = {}
    for level in ("company", "rep"):
        cohorts = defaultdict(list)
        for lid, s in steps.items():
            d = s["lead"]
            q = f"{d.year}Q{(d.month - 1) // 3 + 1}"
            scope = "all" if level == "company" else owners[lid]
            cohorts[("quarter", q, scope)].append(s)
            cohorts[("month", f"{d.year}-{d.month:02d}", scope)].append(s)
        for (kind, period, scope), leads in cohorts.items():
            for i, step in enumerate(STEPS):
                reached = [s for s in leads if s[step] is not None]
                days = [(s[step] - s[STEPS[i - 1]]).days for s in reached] if i else []
                expected[(kind, period, level, scope, step)] = (
                    len(reached),
                    float(statistics.median(days)) if days else None,
                )
    rows = wh.execute(
        """select period_type, period, level, scope_id, step, leads, median_days_from_previous
           from marts.fct_lead_to_cash_funnel
           where period_type in ('month', 'quarter') and level in ('company', 'rep')"""
    ).fetchall()
    assert {r[:5]: (r[5], r[6]) for r in rows} == expected
    # the Q2 company cohort (L1 only): every step reached, paid 1 of 1
    q2 = wh.execute(
        """select step, leads, step_conversion_rate from marts.fct_lead_to_cash_funnel
           where period_type = 'quarter' and period = '2026Q2' and level = 'company'
           order by step_order"""
    ).fetchall()
    assert q2 == [
        ("lead", 1, None),
        ("opportunity", 1, 1.0),
        ("won", 1, 1.0),
        ("ordered", 1, 1.0),
        ("paid", 1, 1.0),
    ]


# --------------------------------------------------------------------------- waterfall

MOVEMENTS = [
    "opening_balance",
    "new_amount",
    "pulled_in",
    "pushed_out",
    "amount_up",
    "amount_down",
    "won",
    "lost",
    "transferred_in",
    "transferred_out",
    "closing_balance",
]


def _version_on(oid: str, day: date) -> tuple | None:
    """The opportunity as the last load on or before `day` held it (None when not yet)."""
    held = [
        v
        for v in OPPORTUNITY_VERSIONS
        if v[1] == oid and _d(LOADS[v[0]]) <= day and _d(v[3]) <= day
    ]
    return max(held, key=lambda v: v[0]) if held else None


def _periods() -> list[tuple[str, str, date, date]]:
    out = []
    for month in range(5, 10):  # the first data (OP3) is in May
        start = date(2026, month, 1)
        end = date(2026, month + 1, 1) - timedelta(days=1)
        out.append(("month", f"2026-{month:02d}", start, end))
    for q, start, end in (("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),):
        out.append(("quarter", q, start, end))
    out.append(("quarter", "2026Q3", date(2026, 7, 1), date(2026, 9, 30)))
    out.append(("year", "2026", date(2026, 1, 1), date(2026, 12, 31)))
    first_load = min(_d(d) for d in LOADS.values())
    return [p for p in out if p[3] >= first_load and p[2] <= _d(AS_OF)]


def _oracle_waterfall() -> dict[tuple, dict[str, Decimal]]:
    out: dict[tuple, dict[str, Decimal]] = {}
    for kind, period, start, end in _periods():
        d0, d1 = start - timedelta(days=1), min(end, _d(AS_OF))
        rows: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        rows[("company", "all")]  # the company row exists every period
        for oid in sorted({v[1] for v in OPPORTUNITY_VERSIONS}):
            o, c = _version_on(oid, d0), _version_on(oid, d1)

            def is_open(v):
                return v is not None and v[4] not in ("won", "lost")

            def due(v, start=start, end=end):
                return v is not None and start <= _d(v[6]) <= end

            in0 = is_open(o) and due(o)
            in1 = is_open(c) and due(c)
            closed_in = c is not None and not is_open(c) and due(c) and (o is None or is_open(o))
            if not (in0 or in1 or closed_in):
                continue
            a0 = Decimal(o[5]) if o else None
            a1 = Decimal(c[5]) if c else None
            for level in ("company", "rep"):
                s0 = "all" if level == "company" else (o[2] if o else None)
                s1 = "all" if level == "company" else (c[2] if c else None)
                if in0:
                    rows[(level, s0)]["opening_balance"] += a0
                    if s0 != s1:
                        rows[(level, s0)]["transferred_out"] += a0
                        rows[(level, s1)]["transferred_in"] += a0
                    if a1 > a0:
                        rows[(level, s1)]["amount_up"] += a1 - a0
                    elif a1 < a0:
                        rows[(level, s1)]["amount_down"] += a0 - a1
                else:
                    rows[(level, s1)]["pulled_in" if o else "new_amount"] += a1
                exit_ = {"won": "won", "lost": "lost"}.get(c[4]) or (
                    "closing_balance" if due(c) else "pushed_out"
                )
                rows[(level, s1)][exit_] += a1
        for (level, scope), values in rows.items():
            out[(kind, period, level, scope)] = {m: values[m] for m in MOVEMENTS}
    return out


def _mart_waterfall(wh) -> dict[tuple, dict[str, Decimal]]:
    rows = wh.execute(
        f"""select period_type, period, level, scope_id, {", ".join(MOVEMENTS)}
            from marts.fct_pipeline_waterfall where level in ('company', 'rep')"""
    ).fetchall()
    return {r[:4]: dict(zip(MOVEMENTS, r[4:], strict=True)) for r in rows}


def test_waterfall_q3_by_hand(wh) -> None:
    q3 = _mart_waterfall(wh)[("quarter", "2026Q3", "company", "all")]
    assert q3 == {
        "opening_balance": Decimal("1500.00"),
        "new_amount": Decimal("250.00"),
        "pulled_in": Decimal("800.00"),
        "pushed_out": Decimal("500.00"),
        "amount_up": Decimal("200.00"),
        "amount_down": Decimal("0.00"),
        "won": Decimal("1200.00"),
        "lost": Decimal("800.00"),
        "transferred_in": Decimal("0.00"),
        "transferred_out": Decimal("0.00"),
        "closing_balance": Decimal("250.00"),
    }


def test_waterfall_every_period_matches_the_versions_and_adds_up(wh) -> None:
    mart = _mart_waterfall(wh)
    assert mart == _oracle_waterfall()
    for key, m in mart.items():
        moved = (
            m["opening_balance"]
            + m["new_amount"]
            + m["pulled_in"]
            + m["transferred_in"]
            + m["amount_up"]
            - m["amount_down"]
            - m["pushed_out"]
            - m["won"]
            - m["lost"]
            - m["transferred_out"]
        )
        assert moved == m["closing_balance"], key


def test_waterfall_balances_meet_the_daily_pipeline_history(wh) -> None:
    """A quarter's opening balance is the pipeline the daily history held for the next quarter
    on the opening date; its closing balance, the current quarter's on the closing date."""
    snapshots = dict(
        wh.execute(
            """select snapshot_date, next_quarter_open_pipeline from marts.fct_pipeline_snapshots
               where level = 'company' and snapshot_date = '2026-06-30'"""
        ).fetchall()
    )
    closing = wh.execute(
        """select current_quarter_open_pipeline from marts.fct_pipeline_snapshots
           where level = 'company' and snapshot_date = '2026-09-30'"""
    ).fetchone()[0]
    q3 = _mart_waterfall(wh)[("quarter", "2026Q3", "company", "all")]
    assert q3["opening_balance"] == snapshots[date(2026, 6, 30)]
    assert q3["closing_balance"] == closing
