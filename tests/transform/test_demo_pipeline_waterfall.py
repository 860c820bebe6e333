"""The pipeline waterfall of every quarter of the demo, recomputed in plain Python.

The shared demo night (tests/conftest.py) is one load. Its history is extended here, on a copy,
with one earlier load at the end of every month since the first: each holds every
opportunity created by then, in the stage its own stage history shows on that day (won or lost
with the close time of that entry), with a deterministic change of amount and expected close
date against the exported one, so that deals are pulled in, pushed out, raised and lowered
from one month to the next. dbt then builds the waterfall for real on that history; the test
recomputes every month's and every quarter's company row from the raw versions and checks that
every row of every scope adds up from opening to closing balance.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.support import nights, oracle
from tests.support.dbt_warehouse import add_load, run_dbt

AS_OF = date(2026, 9, 30)
ZONE = ZoneInfo("Asia/Shanghai")
OPEN = ("qualified", "discovery", "proposal", "negotiation")
MOVEMENTS = (
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
)


def _start(d: date, months: int) -> date:
    """First day of the month (months=1) or quarter (months=3) holding d."""
    return date(d.year, months * ((d.month - 1) // months) + 1, 1)


def _next(start: date, months: int) -> date:
    month = start.month + months
    return date(start.year + (month > 12), (month - 1) % 12 + 1, 1)


def _label(start: date, months: int) -> str:
    if months == 1:
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def _extend_history(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Earlier loads at every month end before the demo's own load; returns their dates."""
    ((first_created,),) = con.execute(
        "select min(timezone('Asia/Shanghai', created_at))::date from raw.opportunities"
    ).fetchall()
    ((real_load,),) = con.execute("select max(load_id) from meta.loads").fetchall()
    ends = []
    start = _next(_start(first_created, 3), 1)  # from the end of the first quarter's month
    while start <= AS_OF:
        ends.append(start - timedelta(days=1))
        start = _next(start, 1)
    for k, end in enumerate(ends):
        load_id = k - len(ends)  # before the real load in load order
        add_load(con, load_id, end.isoformat())
        con.execute(
            """
            insert into raw.opportunities by name
            select o.* replace (
                coalesce(s.stage, 'qualified') as stage,
                case when s.stage in ('won', 'lost') then s.entered_at end as closed_at,
                case when s.stage in ('won', 'lost')
                     then timezone('Asia/Shanghai', s.entered_at)::date end as close_date,
                -- a deterministic change against the exported amount and expected close
                cast(o.amount * (1 + (abs(hash(o.opportunity_id || cast($k as varchar))) % 3)
                     * 0.25) as decimal(18, 6)) as amount,
                cast(o.expected_close_date
                     + to_days(cast(((abs(hash(o.opportunity_id)) + $k) % 3 - 1) * 50 as integer))
                     as date) as expected_close_date,
                $load_id as _load_id,
                o._row_hash || '-q' || cast($k as varchar) as _row_hash
            )
            from raw.opportunities as o
            left join (
                select opportunity_id, stage, entered_at
                from raw.opportunity_stage_history
                where timezone('Asia/Shanghai', entered_at)::date <= $end
                qualify row_number() over (
                    partition by opportunity_id order by entered_at desc, stage
                ) = 1
            ) as s on o.opportunity_id = s.opportunity_id
            where o._load_id = $real and timezone('Asia/Shanghai', o.created_at)::date <= $end
            """,
            dict(end=end, k=k, load_id=load_id, real=real_load),
        )
    return ends


def _versions(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Each opportunity's versions in load order: (business date, row)."""
    rows = con.execute(
        """select l.as_of_date, o.opportunity_id, o.created_at, o.stage, o.amount, o.currency,
                  o.expected_close_date, coalesce(o._deleted, false)
           from raw.opportunities as o join meta.loads as l on o._load_id = l.load_id
           order by o._load_id, o._source_row"""
    ).fetchall()
    out: dict[str, list[tuple]] = defaultdict(list)
    for day, oid, created, stage, amount, currency, expected, deleted in rows:
        out[oid].append(
            (day, created.astimezone(ZONE).date(), stage, amount, currency, expected, deleted)
        )
    return out


def _on(versions: list[tuple], day: date) -> tuple | None:
    """The version valid on ``day`` (loaded by then, not replaced by then), if created by then."""
    current = None
    for i, v in enumerate(versions):
        following = versions[i + 1][0] if i + 1 < len(versions) else None
        if v[0] <= day and (following is None or following > day):
            current = v
    if current is None or current[6] or current[1] > day:
        return None
    return current


def _oracle(versions: dict[str, list[tuple]], fx: oracle.Fx, first_load: date) -> dict:
    """Company rows {(period_type, period): movements} of every month and quarter that ends on
    or after the first load and has begun by AS_OF."""
    out = {}
    for kind, months in (("month", 1), ("quarter", 3)):
        start = _start(first_load, months)
        while start <= AS_OF:
            end = _next(start, months) - timedelta(days=1)
            out[(kind, _label(start, months))] = _movements(versions, fx, start, end)
            start = _next(start, months)
    return out


def _movements(versions: dict[str, list[tuple]], fx: oracle.Fx, start: date, end: date) -> dict:
    d0, d1 = start - timedelta(days=1), min(end, AS_OF)
    m = dict.fromkeys(MOVEMENTS, Decimal(0))

    def value(v):
        return fx.convert(str(v[3]), v[4], v[1]) or Decimal(0)

    def is_open(v):
        return v is not None and v[2] in OPEN

    def due(v):
        return v is not None and start <= v[5] <= end

    for history in versions.values():
        o, c = _on(history, d0), _on(history, d1)
        in0 = is_open(o) and due(o)
        closed_in = c is not None and not is_open(c) and due(c) and (o is None or is_open(o))
        if not (in0 or (is_open(c) and due(c)) or closed_in):
            continue
        if in0:
            m["opening_balance"] += value(o)
            if c is None:
                m["lost"] += value(o)
                continue
            delta = value(c) - value(o)
            m["amount_up" if delta > 0 else "amount_down"] += abs(delta)
        else:
            m["pulled_in" if o is not None else "new_amount"] += value(c)
        exit_ = c[2] if c[2] in ("won", "lost") else "closing_balance" if due(c) else "pushed_out"
        m[exit_] += value(c)
    return m


@pytest.mark.e2e
def test_demo_waterfall_every_month_and_quarter_matches_the_versions(demo, tmp_path) -> None:
    assert demo["summary"]["status"] == "success", demo["summary"].get("error")
    home = nights.copy_home(demo["home"], tmp_path / "home")
    db = home / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    ends = _extend_history(con)
    ((real_load,),) = con.execute("select max(load_id) from meta.loads").fetchall()
    con.execute("checkpoint")
    con.close()
    assert len(ends) >= 18, ends  # the demo covers two years
    run_dbt(
        [
            "build",
            "--select",
            "int_pipeline_waterfall_windows int_pipeline_waterfall fct_pipeline_waterfall",
        ],
        db=db,
        tmp=tmp_path,
        as_of=AS_OF.isoformat(),
        load_id=real_load,
    )
    con = duckdb.connect(str(db))
    try:
        expected = _oracle(_versions(con), oracle.Fx(demo["drop"]), ends[0])
        rows = con.execute(
            f"""select period_type, period, {", ".join(MOVEMENTS)}
                from marts.fct_pipeline_waterfall
                where period_type in ('month', 'quarter') and level = 'company'"""
        ).fetchall()
        got = {r[:2]: dict(zip(MOVEMENTS, r[2:], strict=True)) for r in rows}
        assert got == expected
        # every kind of movement happens somewhere in the history
        never = [
            m for m in MOVEMENTS if "transferred" not in m and not any(q[m] for q in got.values())
        ]
        assert never == []
        # every row of every scope and period adds up
        for r in con.execute(
            f"select {', '.join(MOVEMENTS)} from marts.fct_pipeline_waterfall"
        ).fetchall():
            m = dict(zip(MOVEMENTS, r, strict=True))
            assert (
                m["opening_balance"] + m["new_amount"] + m["pulled_in"] + m["transferred_in"]
                + m["amount_up"] - m["amount_down"] - m["pushed_out"] - m["won"] - m["lost"]
                - m["transferred_out"]
            ) == m["closing_balance"]  # fmt: skip
    finally:
        con.close()
