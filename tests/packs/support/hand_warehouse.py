"""The hand-made test warehouse of the pack tests: a few marts rows, written out by hand.

``build_warehouse`` writes the marts and meta tables the core sections read (no later marts:
the forecast, pipeline, customers and channels sections are left out of its packs);
``extend_warehouse`` adds region rows, CRM text with contact details and a formula-like
account name. The expected numbers of the tests are worked out from these rows (see the
comments next to them and next to each expectation).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_VALUE = "<img src=x onerror=alert(2)>"
EMAIL = "zhang.wei@example.com"
PHONE = "+86 138-0013-8000"
FORMULA_NAME = '=HYPERLINK("http://x.invalid","click")'

DDL = [
    "create schema marts",
    "create schema meta",
    """create table marts.fct_sales_performance (
        period_type varchar, period varchar, period_start date, period_end date,
        level varchar, scope_id varchar,
        revenue decimal(18,2), collections decimal(18,2), orders bigint, new_customers bigint,
        avg_order_value decimal(18,2), revenue_target decimal(18,2), revenue_attainment double,
        won bigint, lost bigint, win_rate double, avg_deal_size decimal(18,2),
        avg_sales_cycle_days double, median_sales_cycle_days double,
        visits bigint default 0, calls bigint default 0, demos bigint default 0,
        proposals bigint default 0, quotes bigint default 0,
        visits_target decimal(18,2), visits_attainment double,
        proposals_target decimal(18,2), proposals_attainment double,
        quotes_target decimal(18,2), quotes_attainment double,
        won_amount decimal(38,2) not null default 0, won_amount_target decimal(18,2),
        won_amount_attainment double)""",
    """create table marts.fct_rep_scorecard (
        period_type varchar, period varchar, rep_id varchar, team varchar, region varchar,
        result_score decimal(9,2), process_score decimal(9,2), capability_score decimal(9,2),
        scorecard_score decimal(9,2), rank_in_team bigint, rank_in_company bigint)""",
    """create table marts.fct_team_averages (
        period_type varchar, period varchar, period_start date, period_end date, team varchar,
        reps bigint, avg_revenue decimal(18,2), reps_with_revenue_target bigint,
        avg_revenue_target decimal(18,2), avg_collections decimal(18,2),
        avg_orders decimal(18,2), avg_new_customers decimal(18,2), scored_reps bigint,
        avg_scorecard_score decimal(18,2), avg_won_amount decimal(38,2),
        reps_with_won_amount_target bigint, avg_won_amount_target decimal(38,2))""",
    """create table marts.fct_funnel_conversion (
        period_type varchar, period varchar, level varchar, scope_id varchar,
        stage_order integer, stage_from varchar,
        stage_to varchar, reached_from bigint, reached_to bigint, conversion_rate double,
        reached_stage_to bigint)""",
    """create table marts.fct_lead_sources (
        period_type varchar, period varchar, level varchar, scope_id varchar, source varchar,
        leads bigint, converted bigint, lead_conversion_rate double)""",
    """create table marts.fct_receivables_aging (
        as_of_date date, order_id varchar, account_id varchar, rep_id varchar, team varchar,
        region varchar, currency varchar,
        due_date date, amount_due decimal(18,2), paid decimal(18,2),
        outstanding_original decimal(18,2), outstanding decimal(18,2), days_overdue integer,
        aging_bucket varchar)""",
    """create table marts.fct_dq_findings (
        finding_id varchar, rule varchar, severity varchar, entity varchar, record_id varchar,
        record_name varchar, owner_rep_id varchar, column_name varchar, value_seen varchar,
        message varchar, first_seen_load bigint, last_seen_load bigint, is_open boolean)""",
    """create table marts.dim_sales_reps (
        rep_id varchar, rep_name varchar, email varchar, team varchar, region varchar,
        manager_id varchar, role varchar, hired_on date, left_on date, is_active boolean)""",
    """create table marts.dim_accounts (
        account_id varchar, account_name varchar, industry varchar, size_band varchar,
        region varchar, channel varchar, owner_rep_id varchar, created_at timestamptz)""",
    """create table meta.loads (
        load_id bigint, run_id varchar, as_of_date date, inbox varchar,
        started_at timestamptz, finished_at timestamptz, status varchar)""",
    """create table meta.load_files (
        load_id bigint, run_id varchar, entity varchar, file_name varchar, file_sha256 varchar,
        status varchar, rows_in bigint, rows_loaded bigint, rows_quarantined bigint,
        rows_unchanged bigint, rows_released bigint, message varchar)""",
]

#: The columns perf_row fills (the process columns keep their defaults).
PERF_COLUMNS = (
    "period_type, period, period_start, period_end, level, scope_id, revenue, collections, "
    "orders, new_customers, avg_order_value, revenue_target, revenue_attainment, won, lost, "
    "win_rate, avg_deal_size, avg_sales_cycle_days, median_sales_cycle_days"
)
INSERT_PERF = (
    f"insert into marts.fct_sales_performance ({PERF_COLUMNS}) values ({', '.join(['?'] * 19)})"
)

D = Decimal
Q_DATES = {
    "2025Q3": (date(2025, 7, 1), date(2025, 9, 30)),
    "2026Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026Q3": (date(2026, 7, 1), date(2026, 9, 30)),
}

REPS = [
    # rep_id, name, team, region, is_active
    ("R001", "张伟", "华东一组", "华东", True),
    ("R002", "李娜", "华东一组", "华东", True),
    ("R003", "王芳", "华东二组", "华东", True),
    ("R004", "刘洋", "华北一组", "华北", True),
    ("R005", "陈静", "华北一组", "华北", False),
]

ACCOUNTS = [
    ("A001", "上海华星科技有限公司", "R001"),
    ("A002", SCRIPT_NAME, "R002"),
    ("A003", "Acme & Sons Ltd.", "R003"),
    ("A004", "北京远航贸易", "R004"),
    ("A005", "深圳启明电子", "R005"),
]

# (revenue, target, won, lost) per rep and quarter. Attainment = revenue / target.
REP_Q3 = {
    "R001": (D("500000.40"), D("400000.00"), 4, 1),  # 125.0%
    "R002": (D("300000.00"), D("350000.00"), 3, 3),  # 85.7%
    "R003": (D("180000.00"), D("300000.00"), 1, 3),  # 60.0%
    "R004": (D("450000.00"), D("450000.00"), 3, 1),  # 100.0%
    "R005": (D("100000.00"), None, 1, 0),  # no target -> listed last
}
# Previous quarter in a different order, to catch a ranking that ignores the period.
REP_Q2 = {
    "R001": (D("200000.00"), D("400000.00"), 2, 3),
    "R002": (D("350000.00"), D("300000.00"), 3, 2),
    "R003": (D("300000.00"), D("250000.00"), 2, 2),
    "R004": (D("250000.00"), D("400000.00"), 1, 3),
    "R005": (D("100000.00"), D("150000.00"), 1, 1),
}
# Team averages over the reps of REP_Q3 / REP_Q2 (each rep: collections = revenue, 10 orders,
# 1 new customer, no score): team, reps, mean revenue, reps with a target, mean target.
TEAM_AVERAGES = {
    # (500,000.40 + 300,000) / 2; (400,000 + 350,000) / 2
    "2026Q3": [("华东一组", 2, D("400000.20"), 2, D("375000.00")),
               ("华东二组", 1, D("180000.00"), 1, D("300000.00")),
               # (450,000 + 100,000) / 2; R005 has no target: 450,000 / 1
               ("华北一组", 2, D("275000.00"), 1, D("450000.00"))],
    # (200,000 + 350,000) / 2; (400,000 + 300,000) / 2 ...
    "2026Q2": [("华东一组", 2, D("275000.00"), 2, D("350000.00")),
               ("华东二组", 1, D("300000.00"), 1, D("250000.00")),
               ("华北一组", 2, D("175000.00"), 2, D("275000.00"))],
}  # fmt: skip
TEAM_TARGETS_Q3 = {
    "华东一组": D("750000.00"),
    "华东二组": D("300000.00"),
    "华北一组": D("450000.00"),
}
TEAM_TARGETS_Q2 = {
    "华东一组": D("700000.00"),
    "华东二组": D("300000.00"),
    "华北一组": D("500000.00"),
}

# Company quarters: revenue, collections, orders, new customers, target, won, lost,
# avg deal size, avg cycle, median cycle.
# fmt: off
COMPANY = {
    "2026Q3": (D("1530000.40"), D("1380000.00"), 120, 14, D("1700000.00"),
               12, 8, D("95000.00"), 42.5, 38.0),
    "2026Q2": (D("1200000.00"), D("1250000.00"), 100, 10, D("1500000.00"),
               9, 11, D("88000.00"), 47.0, 41.0),
    "2025Q3": (D("1275000.00"), D("1100000.00"), 110, 12, D("1400000.00"),
               10, 10, D("80000.00"), 50.0, 45.0),
}
# fmt: on

# Company months 2025-07 .. 2026-09: (revenue, target). 2026Q3 months add up to the quarter.
MONTHS = {
    "2025-07": (D("400000.00"), D("450000.00")),
    "2025-08": (D("425000.00"), D("450000.00")),
    "2025-09": (D("450000.00"), D("500000.00")),
    "2025-10": (D("430000.00"), D("450000.00")),
    "2025-11": (D("470000.00"), D("450000.00")),
    "2025-12": (D("520000.00"), D("500000.00")),
    "2026-01": (D("300000.00"), D("400000.00")),
    "2026-02": (D("280000.00"), D("400000.00")),
    "2026-03": (D("410000.00"), D("450000.00")),
    "2026-04": (D("380000.00"), D("500000.00")),
    "2026-05": (D("400000.00"), D("500000.00")),
    "2026-06": (D("420000.00"), D("500000.00")),
    "2026-07": (D("500000.40"), D("550000.00")),
    "2026-08": (D("480000.00"), D("550000.00")),
    "2026-09": (D("550000.00"), D("600000.00")),
}

FUNNEL = {
    # stage pairs: (reached_from, reached_to)
    "2026Q3": [(100, 80), (80, 48), (48, 20), (20, 12)],  # 80%, 60%, 41.7%, 60%
    "2026Q2": [(90, 70), (70, 49), (49, 21), (21, 15)],  # 77.8%, 70%, 42.9%, 71.4%
}
STAGE_PAIRS = [
    ("qualified", "discovery"),
    ("discovery", "proposal"),
    ("proposal", "negotiation"),
    ("negotiation", "won"),
]

LEAD_SOURCES = [("展会", 40, 10), ("客户推荐", 25, 12), ("SEM", 60, 9), ("微信", 8, 5)]

# Aging snapshot 2026-09-30: order, account, rep, currency, due, outstanding, days overdue, bucket
AGING_Q3_END = [
    ("O-1001", "A001", "R001", "CNY", date(2026, 10, 15), D("50000.00"), -15, "not_due"),
    ("O-1002", "A002", "R002", "CNY", date(2026, 9, 10), D("30000.00"), 20, "1_30"),
    ("O-1003", "A003", "R003", "USD", date(2026, 8, 15), D("20000.50"), 46, "31_60"),
    ("O-1004", "A001", "R001", "CNY", date(2026, 7, 1), D("12000.00"), 91, "over_90"),
    ("O-1005", "A004", "R004", "CNY", date(2026, 9, 25), D("8000.00"), 5, "1_30"),
    ("O-1006", "A005", "R005", "CNY", date(2026, 6, 20), D("5000.25"), 102, "over_90"),
    ("O-1007", "A004", "R004", "CNY", date(2026, 10, 20), D("25000.00"), -20, "not_due"),
    ("O-1008", "A003", "R003", "CNY", date(2026, 9, 1), D("0.00"), 0, "not_due"),
] + [
    # six small overdue orders, so the top-10 list has to cut one (O-1101, the smallest)
    (f"O-110{i}", "A004", "R004", "CNY", date(2026, 9, 20), D(500 + 500 * i), 2 + i, "1_30")
    for i in range(1, 7)
]
# Other snapshots: must not be picked for the default as-of date.
AGING_Q2_END = [("O-0900", "A001", "R001", "CNY", date(2026, 5, 1), D("7777.00"), 60, "31_60")]
AGING_LATER = [("O-2000", "A004", "R004", "CNY", date(2026, 9, 1), D("999999.00"), 60, "31_60")]

# fmt: off
FINDINGS = [
    # id, rule, severity, entity, record_id,
    #   record_name, owner, column, value_seen, is_open
    ("F1", "required_missing", "quarantine", "accounts", "A006",
        "无名客户", "R002", "account_name", "", True),
    ("F2", "amount_outlier", "warn", "opportunities", "OPP-9",
        "华星扩容", "R003", "amount", "9000000", True),
    ("F3", "amount_outlier", "warn", "opportunities", "OPP-10",
        "启明二期", "R003", "amount", "8800000", True),
    ("F4", "close_before_create", "quarantine", "opportunities", "OPP-11",
        IMG_VALUE, "R004", "closed_at", "2026-01-01", True),
    ("F5", "payment_unknown_order", "quarantine", "payments", "P-77",
        None, None, "order_id", "O-404", True),
    ("F6", "required_missing", "quarantine", "accounts", "A007",
        "已修复", "R001", "region", "", False),  # closed: not counted
    ("F7", "email_malformed", "warn", "accounts", "A001",
        "上海华星科技有限公司", "R001", "email", IMG_VALUE, True),
]
# fmt: on

LOAD_FILES = [
    # load_id, entity, file, status, rows_in, rows_quarantined
    (1, "orders", "orders.csv", "loaded", 1000, 100),
    (2, "sales_reps", "sales_reps.csv", "loaded", 5, 0),
    (2, "accounts", "accounts.csv", "loaded", 200, 2),
    (2, "orders", "orders.csv", "loaded", 795, 6),
    (2, "payments", "payments.csv", "skipped_seen", 0, 0),
    (2, "opportunities", "opportunities.csv", "rejected", 50, 50),
    (2, None, "notes.txt", "ignored", 0, 0),
]


def perf_row(period_type, period, start, end, level, scope, revenue, target, **kw):
    att = float(revenue / target) if target else None
    won, lost = kw.get("won", 0), kw.get("lost", 0)
    orders = kw.get("orders", 10)
    return (
        period_type,
        period,
        start,
        end,
        level,
        scope,
        revenue,
        kw.get("collections", revenue),
        orders,
        kw.get("new_customers", 1),
        (revenue / orders).quantize(D("0.01")),
        target,
        att,
        won,
        lost,
        won / (won + lost) if won + lost else None,
        kw.get("avg_deal_size"),
        kw.get("cycle"),
        kw.get("median"),
    )


def build_warehouse(path: Path, latest_load_as_of: date = date(2026, 9, 30)) -> Path:
    """The test warehouse; load 2 is the one on the quarter end (a past quarter's pack
    reads data quality as of the last load on or before its end)."""
    con = duckdb.connect(str(path))
    for ddl in DDL:
        con.execute(ddl)
    perf = []
    for q, (rev, coll, orders, new, target, won, lost, deal, cycle, median) in COMPANY.items():
        start, end = Q_DATES[q]
        perf.append(
            perf_row(
                "quarter", q, start, end, "company", "all", rev, target,
                collections=coll, orders=orders, new_customers=new, won=won, lost=lost,
                avg_deal_size=deal, cycle=cycle, median=median,
            )
        )  # fmt: skip
    for month, (rev, target) in MONTHS.items():
        y, m = map(int, month.split("-"))
        start = date(y, m, 1)
        end = date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
        perf.append(perf_row("month", month, start, end, "company", "all", rev, target))
    reps = {r[0]: r for r in REPS}
    for q, per_rep, team_targets in (
        ("2026Q3", REP_Q3, TEAM_TARGETS_Q3),
        ("2026Q2", REP_Q2, TEAM_TARGETS_Q2),
    ):
        start, end = Q_DATES[q]
        teams: dict[str, list] = {}
        for rep_id, (rev, target, won, lost) in per_rep.items():
            perf.append(
                perf_row("quarter", q, start, end, "rep", rep_id, rev, target, won=won, lost=lost)
            )
            t = teams.setdefault(reps[rep_id][2], [D(0), 0, 0])
            t[0] += rev
            t[1] += won
            t[2] += lost
        for team, (rev, won, lost) in teams.items():
            perf.append(
                perf_row(
                    "quarter",
                    q,
                    start,
                    end,
                    "team",
                    team,
                    rev,
                    team_targets[team],
                    won=won,
                    lost=lost,
                )
            )
    con.executemany(
        INSERT_PERF,
        perf,
    )
    con.executemany(
        "insert into marts.fct_rep_scorecard (period_type, period, rep_id, team, region)"
        " values ('quarter', ?, ?, ?, ?)",
        [
            (q, rid, team, region)
            for q in ("2026Q3", "2026Q2")
            for rid, _n, team, region, _a in REPS
        ],
    )
    con.executemany(
        "insert into marts.fct_team_averages values"
        " ('quarter', ?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 1, 0, null, 0, 0, null)",
        [
            (q, *Q_DATES[q], team, reps, revenue, targeted, target, revenue)
            for q, rows in TEAM_AVERAGES.items()
            for team, reps, revenue, targeted, target in rows
        ],
    )

    funnel = []
    for q, pairs in FUNNEL.items():
        for order, ((f, t), (a, b)) in enumerate(zip(STAGE_PAIRS, pairs, strict=True), start=1):
            funnel.append(("quarter", q, "company", "all", order, f, t, a, b, b / a))
    # a month-level cohort with a much weaker first stage: must not leak into the quarter
    funnel.append(("month", "2026-07", "company", "all", 1, "qualified", "discovery", 50, 1, 0.02))
    con.executemany(
        "insert into marts.fct_funnel_conversion (period_type, period, level, scope_id, "
        "stage_order, stage_from, stage_to, reached_from, reached_to, conversion_rate) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        funnel,
    )
    con.executemany(
        "insert into marts.fct_lead_sources "
        "values ('quarter', '2026Q3', 'company', 'all', ?, ?, ?, ?)",
        [(s, n, c, c / n) for s, n, c in LEAD_SOURCES],
    )

    aging = []
    for snap, rows in (
        (date(2026, 6, 30), AGING_Q2_END),
        (date(2026, 9, 30), AGING_Q3_END),
        (date(2026, 10, 31), AGING_LATER),
    ):
        for order, acct, rep, cur, due, out, days, bucket in rows:
            # the reps never move here: the team at the order date is the current one
            team, region = next((t, r) for rid, _, t, r, _ in REPS if rid == rep)
            aging.append(
                (snap, order, acct, rep, team, region, cur, due, out, D(0), out, out, days, bucket)
            )
    con.executemany(
        f"insert into marts.fct_receivables_aging values ({', '.join(['?'] * 14)})", aging
    )

    con.executemany(
        "insert into marts.dim_sales_reps values"
        " (?, ?, ?, ?, ?, null, 'sales_rep', date '2024-01-01', ?, ?)",
        [
            (
                rid,
                name,
                f"{rid.lower()}@example.invalid",
                team,
                region,
                None if active else date(2026, 9, 15),
                active,
            )
            for rid, name, team, region, active in REPS
        ],
    )
    con.executemany(
        "insert into marts.dim_accounts values"
        " (?, ?, 'manufacturing', 'M', '华东', 'direct', ?, timestamptz '2025-01-01 00:00:00+00')",
        ACCOUNTS,
    )
    con.executemany(
        "insert into marts.fct_dq_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'see rule', 1, 2, ?)",
        FINDINGS,
    )
    con.executemany(
        "insert into meta.loads values (?, ?, ?, 'inbox', timestamptz '2026-10-01 01:00:00+00',"
        " timestamptz '2026-10-01 01:05:00+00', 'succeeded')",
        [(1, "run-1", date(2026, 9, 1)), (2, "run-2", latest_load_as_of)],
    )
    con.executemany(
        "insert into meta.load_files values (?, 'run', ?, ?, 'sha', ?, ?, ?, ?, 0, 0, null)",
        [(lid, ent, fn, st, rin, rin - rq, rq) for lid, ent, fn, st, rin, rq in LOAD_FILES],
    )
    con.close()
    return path


def extend_warehouse(db: Path) -> Path:
    """Region rows (sums of their reps), contact details and a formula-like account."""
    con = duckdb.connect(str(db))
    con.execute(
        f"""insert into marts.fct_sales_performance ({PERF_COLUMNS})
           select p.period_type, p.period, p.period_start, p.period_end, 'region', r.region,
                  sum(p.revenue), sum(p.collections), sum(p.orders), sum(p.new_customers),
                  null, sum(p.revenue_target),
                  sum(p.revenue)::double / nullif(sum(p.revenue_target), 0)::double,
                  sum(p.won), sum(p.lost), null, null, null, null
           from marts.fct_sales_performance p
           join marts.dim_sales_reps r on r.rep_id = p.scope_id
           where p.level = 'rep'
           group by all"""
    )
    con.execute(
        "insert into marts.dim_accounts values ('A009', ?, 'retail', 'S', '华东', 'direct', 'R001',"
        " timestamptz '2025-01-01 00:00:00+00')",
        [FORMULA_NAME],
    )
    con.execute(
        "insert into marts.fct_receivables_aging values (date '2026-09-30', 'O-1201', 'A009',"
        " 'R001', ?, ?, 'CNY', date '2026-09-01', 60000, 0, 60000, 60000, 29, '1_30')",
        next([team, region] for rid, _, team, region, _ in REPS if rid == "R001"),
    )
    con.execute(
        """insert into marts.fct_dq_findings values
           ('F8', 'phone_malformed', 'quarantine', 'accounts', 'A001', ?, 'R001', 'phone', ?,
            'see rule', 1, 2, true)""",
        [f"联系人 {EMAIL}", PHONE],
    )
    # load 1 is the last load of 2026Q2: a 2026Q2 pack reads data quality as of it
    con.execute("update meta.loads set as_of_date = date '2026-06-30' where load_id = 1")
    con.close()
    return db
