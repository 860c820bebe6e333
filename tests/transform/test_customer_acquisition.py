"""CAC and CAC payback (fct_customer_acquisition), built for real on a small warehouse and
recomputed in plain Python from the input rows (spend file, orders, reps, fx rates).

Reps R1 (team East A, region East), R2 (East B, East), R3 (North A, North). USD 7.1 from
2025-01-01. as_of_date 2026-09-30, business timezone Asia/Shanghai, reporting currency CNY.
Spend: company per month (CNY and USD), team East A per quarter, rep R2 one month in USD and
one in EUR (no fx rate: unpriced), region North for a whole year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.support.dbt_warehouse import build_warehouse, run_dbt, ts

AS_OF = date(2026, 9, 30)
REPS = {"R1": ("East A", "East"), "R2": ("East B", "East"), "R3": ("North A", "North")}
RATES = {"CNY": Decimal(1), "USD": Decimal("7.1")}

# order, account, rep, local order date, currency, total, status
ORDERS = [
    ("O1", "A1", "R1", "2025-07-10", "CNY", "4800", "delivered"),
    ("O2", "A1", "R1", "2026-01-15", "CNY", "1200", "delivered"),
    ("O3", "A1", "R2", "2026-07-10", "CNY", "900", "delivered"),
    ("O4", "A2", "R2", "2025-08-20", "USD", "300", "delivered"),
    ("O5", "A3", "R3", "2025-08-25", "CNY", "2500", "delivered"),
    ("O6", "A4", "R1", "2025-09-01", "CNY", "7000", "cancelled"),
    ("O7", "A4", "R1", "2025-11-03", "CNY", "1500", "delivered"),
    ("O8", "A5", "R3", "2026-02-14", "CNY", "800", "delivered"),
    ("O9", "A6", "R2", "2026-08-05", "CNY", "650", "delivered"),
]

# period, level, scope, channel, amount, currency
SPEND = [
    ("2025-07", "company", "all", "events", "9000", "CNY"),
    ("2025-08", "company", "all", "ads", "3000", "USD"),
    ("2025-08", "company", "all", "events", "1000", "CNY"),
    ("2025-11", "company", "all", None, "4000", "CNY"),
    ("2026-02", "company", "all", None, "2500", "CNY"),
    ("2025Q3", "team", "East A", "events", "4000", "CNY"),
    ("2025Q4", "team", "East A", None, "1000", "CNY"),
    ("2025-08", "rep", "R2", None, "100", "USD"),
    ("2026-08", "rep", "R2", None, "50", "EUR"),
    ("2026", "region", "North", None, "12000", "CNY"),
]


def _local(day: str, hour: int = 10) -> str:
    return ts(f"{day} {hour:02d}:00:00")


RAW: dict[str, list[dict]] = {
    "sales_reps": [
        dict(rep_id=r, rep_name=f"Rep {r}", team=t, region=g) for r, (t, g) in REPS.items()
    ],
    "accounts": [
        dict(
            account_id=f"A{i}",
            account_name=f"Account {i}",
            region="East",
            channel="direct",
            owner_rep_id="R1",
            created_at=_local("2025-01-10"),
        )
        for i in range(1, 7)
    ],
    "fx_rates": [dict(rate_date="2025-01-01", currency="USD", rate_to_reporting="7.1")],
    "orders": [
        dict(
            order_id=o,
            account_id=a,
            rep_id=r,
            ordered_at=_local(d),
            status=s,
            currency=c,
            total_amount=amt,
        )
        for o, a, r, d, c, amt, s in ORDERS
    ],
    "marketing_spend": [
        dict(period=p, level=lv, scope_id=sc, channel=ch, amount=amt, currency=c)
        for p, lv, sc, ch, amt, c in SPEND
    ],
}


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _labels(d: date) -> list[tuple[str, str]]:
    return [
        ("month", f"{d.year}-{d.month:02d}"),
        ("quarter", f"{d.year}Q{(d.month - 1) // 3 + 1}"),
        ("year", str(d.year)),
    ]


def _add_year(d: date) -> date:
    return d.replace(year=d.year + 1)  # no first order on 29 February here


def expected() -> dict[tuple[str, str, str, str], tuple]:
    booked = [o for o in ORDERS if o[6] != "cancelled" and date.fromisoformat(o[3]) <= AS_OF]
    first: dict[str, tuple] = {}
    for o in sorted(booked, key=lambda o: o[3]):
        first.setdefault(o[1], o)
    # new customers and their first-year revenue per (period_type, period, level, scope)
    new: dict[tuple, list[str]] = defaultdict(list)
    for account, (_o, _a, rep, day, *_rest) in first.items():
        team, region = REPS[rep]
        for pt, p in _labels(date.fromisoformat(day)):
            for level, scope in (
                ("company", "all"),
                ("region", region),
                ("team", team),
                ("rep", rep),
            ):
                new[(pt, p, level, scope)].append(account)
    revenue: dict[str, Decimal] = {}
    complete: dict[str, bool] = {}
    for account, o in first.items():
        start = date.fromisoformat(o[3])
        end = _add_year(start)
        revenue[account] = sum(
            (
                Decimal(b[5]) * RATES[b[4]]
                for b in booked
                if b[1] == account and start <= date.fromisoformat(b[3]) < end
            ),
            Decimal(0),
        )
        complete[account] = end <= AS_OF + dt.timedelta(days=1)
    # spend: each row converted (None without a rate), summed per period and scope; a
    # quarter / year without own rows: the sum of its months / quarters
    explicit: dict[tuple, list[Decimal | None]] = defaultdict(list)
    for p, level, scope, _ch, amount, cur in SPEND:
        pt = "year" if len(p) == 4 else "quarter" if "Q" in p else "month"
        rate = RATES.get(cur)
        explicit[(pt, p, level, scope)].append(
            None if rate is None else _cents(Decimal(amount) * rate)
        )
    spend: dict[tuple, list[Decimal | None]] = {
        k: v for k, v in explicit.items() if k[0] == "month"
    }
    for child, parent in (("month", "quarter"), ("quarter", "year")):
        rolled: dict[tuple, list] = defaultdict(list)
        source = (
            spend if child == "month" else {k: v for k, v in spend.items() if k[0] == "quarter"}
        )
        for (pt, p, level, scope), amounts in source.items():
            if pt != child:
                continue
            y = p[:4]
            label = f"{y}Q{(int(p[5:7]) - 1) // 3 + 1}" if parent == "quarter" else y
            rolled[(parent, label, level, scope)].extend(amounts)
        for k, v in explicit.items():
            if k[0] == parent:
                spend[k] = v
        for k, v in rolled.items():
            spend.setdefault(k, v)
    out = {}
    for key in set(new) | set(spend):
        amounts = spend.get(key)
        total = None if amounts is None or None in amounts else sum(amounts, Decimal(0))
        accounts = new.get(key, [])
        n = len(accounts)
        cac = _cents(total / n) if total is not None and n else None
        fyr = sum((revenue[a] for a in accounts), Decimal(0))
        payback = None
        if cac is not None and fyr and all(complete[a] for a in accounts):
            payback = _cents(total * 12 / fyr)
        out[key] = (None if total is None else _cents(total), n, cac, payback)
    return out


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("customer_acquisition")
    db = tmp / "warehouse.duckdb"
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in RAW.items()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["run", "--select", "+fct_customer_acquisition"],
        db=db,
        tmp=tmp,
        as_of="2026-09-30",
        load_id=1,
    )
    # the schema tests of the new models and the hand-worked unit tests
    tested = run_dbt(
        [
            "test",
            "--select",
            "fct_customer_acquisition",
            "int_marketing_spend",
            "stg_finance__marketing_spend",
        ],
        db=db,
        tmp=tmp,
        as_of="2026-09-30",
        load_id=1,
    )
    names = {r.node.name for r in tested.result}
    assert {
        "fct_customer_acquisition_cac_and_payback",
        "fct_customer_acquisition_first_year_incomplete",
        "fct_customer_acquisition_by_channel",
    } <= names, names
    con = duckdb.connect(str(db))
    yield con
    con.close()


def test_cac_and_payback_per_scope_equal_the_input_rows(warehouse):
    got = {
        (pt, p, lv, sc): (spend, n, cac, payback)
        for pt, p, lv, sc, spend, n, cac, payback in warehouse.execute(
            """select period_type, period, level, scope_id, spend, new_customers, cac,
                      cac_payback_months
               from marts.fct_customer_acquisition where channel = '(all)'"""
        ).fetchall()
    }
    want = expected()
    assert got == want
    # 2025Q3 company, by hand: spend 9000 + 3000 × 7.1 + 1000 = 31300 (months rolled up);
    # new A1, A2, A3 (A4's September order is cancelled) -> cac 10433.33; first-year revenue
    # A1 4800 + 1200 (O3 is on the anniversary: outside), A2 300 × 7.1, A3 2500 = 10630 ->
    # payback 31300 × 12 / 10630 = 35.33
    assert got[("quarter", "2025Q3", "company", "all")] == (
        Decimal("31300.00"),
        3,
        Decimal("10433.33"),
        Decimal("35.33"),
    )


def test_unpriced_spend_leaves_cac_null(warehouse):
    row = warehouse.execute(
        """select spend, unpriced_spend_rows, cac from marts.fct_customer_acquisition
           where period = '2026-08' and level = 'rep' and scope_id = 'R2'
             and channel = '(all)'"""
    ).fetchone()
    assert row == (None, 1, None)


def test_spend_by_channel_adds_up_and_never_divides_by_zero(warehouse):
    """Each channel's spend is the sum of its rows (a quarter without rows of its own: its
    months'); these orders have no opportunity, so no new customer has a lead source: every
    new customer is under (none), and a channel with spend shows CAC n/a, no_new_customers."""
    got = {
        (pt, p, lv, sc, ch): (spend, n, cac, reason)
        for pt, p, lv, sc, ch, spend, n, cac, reason in warehouse.execute(
            """select period_type, period, level, scope_id, channel, spend, new_customers,
                      cac, cac_na_reason
               from marts.fct_customer_acquisition where channel != '(all)'"""
        ).fetchall()
    }
    totals = expected()
    # spend per channel from the input rows (company 2025Q3: no quarter rows, months rolled up)
    by_channel: dict[tuple, Decimal] = {}
    for p, level, scope, ch, amount, cur in SPEND:
        if cur not in RATES:
            continue
        labels = (
            [(pt, x) for pt, x in _labels(date(int(p[:4]), int(p[5:7]), 1))] if "-" in p else []
        )
        for pt, x in labels or [("quarter" if "Q" in p else "year", p)]:
            k = (pt, x, level, scope, ch or "(none)")
            by_channel[k] = by_channel.get(k, Decimal(0)) + _cents(Decimal(amount) * RATES[cur])
    for key in [("month", "2025-08", "company", "all"), ("quarter", "2025Q3", "company", "all")]:
        rows = {k[4]: v for k, v in got.items() if k[:4] == key}
        spent = [v[0] for v in rows.values() if v[0] is not None]
        assert sum(spent) == totals[key][0]  # the channels add up to (all)
        assert sum(v[1] for v in rows.values()) == totals[key][1]
        for ch, (spend, _n, cac, reason) in rows.items():
            assert spend == by_channel.get((*key, ch)), (key, ch)
            assert cac is None
            assert reason == ("no_channel" if ch == "(none)" else "no_new_customers")
    # by hand: 2025-08 ads 3 000 USD × 7.1, rolled up into 2025Q3; the new customers of the
    # quarter (A1, A2, A3) have no lead source: (none), no spend without a channel
    assert got[("quarter", "2025Q3", "company", "all", "ads")] == (
        Decimal("21300.00"),
        0,
        None,
        "no_new_customers",
    )
    assert got[("quarter", "2025Q3", "company", "all", "(none)")] == (None, 3, None, "no_channel")
