"""Quarterly review pack: render from a small hand-made warehouse and check the HTML.

The expected numbers are worked out here from the rows this file inserts (see
the comments next to each expectation), never by calling the renderer's own
helpers.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from pipelines.packs import render_quarterly_pack

GENERATED_AT = datetime(2026, 10, 2, 8, 30, tzinfo=UTC)
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_VALUE = "<img src=x onerror=alert(2)>"

# --------------------------------------------------------------------------- test warehouse

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
        quotes_target decimal(18,2), quotes_attainment double)""",
    """create table marts.fct_rep_scorecard (
        period_type varchar, period varchar, rep_id varchar, team varchar, region varchar,
        result_score decimal(9,2), process_score decimal(9,2), capability_score decimal(9,2),
        scorecard_score decimal(9,2), rank_in_team bigint, rank_in_company bigint)""",
    """create table marts.fct_team_averages (
        period_type varchar, period varchar, period_start date, period_end date, team varchar,
        reps bigint, avg_revenue decimal(18,2), reps_with_revenue_target bigint,
        avg_revenue_target decimal(18,2), avg_collections decimal(18,2),
        avg_orders decimal(18,2), avg_new_customers decimal(18,2), scored_reps bigint,
        avg_scorecard_score decimal(18,2))""",
    """create table marts.fct_funnel_conversion (
        period_type varchar, period varchar, level varchar, scope_id varchar,
        stage_order integer, stage_from varchar,
        stage_to varchar, reached_from bigint, reached_to bigint, conversion_rate double)""",
    """create table marts.fct_lead_sources (
        period_type varchar, period varchar, level varchar, scope_id varchar, source varchar,
        leads bigint, converted bigint, lead_conversion_rate double)""",
    """create table marts.fct_receivables_aging (
        as_of_date date, order_id varchar, account_id varchar, rep_id varchar, team varchar,
        region varchar, currency varchar,
        due_date date, amount_due decimal(18,2), paid decimal(18,2),
        outstanding_original decimal(18,2), outstanding decimal(18,2), days_overdue integer,
        aging_bucket varchar)""",
    """create table marts.dq_findings (
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

#: The columns _perf_row fills (the process columns keep their defaults).
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


def _perf_row(period_type, period, start, end, level, scope, revenue, target, **kw):
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
            _perf_row(
                "quarter", q, start, end, "company", "all", rev, target,
                collections=coll, orders=orders, new_customers=new, won=won, lost=lost,
                avg_deal_size=deal, cycle=cycle, median=median,
            )
        )  # fmt: skip
    for month, (rev, target) in MONTHS.items():
        y, m = map(int, month.split("-"))
        start = date(y, m, 1)
        end = date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
        perf.append(_perf_row("month", month, start, end, "company", "all", rev, target))
    reps = {r[0]: r for r in REPS}
    for q, per_rep, team_targets in (
        ("2026Q3", REP_Q3, TEAM_TARGETS_Q3),
        ("2026Q2", REP_Q2, TEAM_TARGETS_Q2),
    ):
        start, end = Q_DATES[q]
        teams: dict[str, list] = {}
        for rep_id, (rev, target, won, lost) in per_rep.items():
            perf.append(
                _perf_row("quarter", q, start, end, "rep", rep_id, rev, target, won=won, lost=lost)
            )
            t = teams.setdefault(reps[rep_id][2], [D(0), 0, 0])
            t[0] += rev
            t[1] += won
            t[2] += lost
        for team, (rev, won, lost) in teams.items():
            perf.append(
                _perf_row(
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
        " ('quarter', ?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 1, 0, null)",
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
        "insert into marts.fct_funnel_conversion values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", funnel
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
        "insert into marts.dq_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'see rule', 1, 2, ?)",
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


# --------------------------------------------------------------------------- HTML reading


class PackParser(HTMLParser):
    """Collects the text of every element with an id, table rows, and all start tags."""

    VOID = {"meta", "link", "br", "hr", "img", "input", "source", "wbr", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, str | None, list[str]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.all_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag not in self.VOID:
            self._stack.append((tag, a.get("id"), []))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        while self._stack:
            name, id_, buf = self._stack.pop()
            if id_:
                self.text_by_id[id_] = " ".join("".join(buf).split())
            if name == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        for _, id_, buf in self._stack:
            if id_:
                buf.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> tuple[str, PackParser]:
    html = path.read_text(encoding="utf-8")
    p = PackParser()
    p.feed(html)
    p.close()
    return html, p


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str, PackParser]:
    tmp = tmp_path_factory.mktemp("pack")
    db = build_warehouse(tmp / "warehouse.duckdb")
    out = render_quarterly_pack(db, "2026Q3", tmp / "out", generated_at=GENERATED_AT)
    html, parser = parse(out)
    return out, html, parser


def money0(d: Decimal) -> str:
    return f"¥{d.quantize(D('1')):,}"


def money2(d: Decimal) -> str:
    return f"¥{d:,.2f}"


# --------------------------------------------------------------------------- tests


def test_writes_one_file_with_expected_name(rendered):
    out, html, p = rendered
    assert out.name == "review-pack_2026Q3_company.html"
    assert out.parent.name == "out"
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in html
    assert p.text_by_id["meta-quarter"] == "2026Q3"
    assert p.text_by_id["meta-as-of"] == "2026-09-30"  # quarter end = latest load
    assert p.text_by_id["meta-generated-at"] == "2026-10-02 08:30 UTC"
    assert p.text_by_id["meta-currency"] == "CNY"


def test_headline_revenue_attainment_and_changes(rendered):
    _, _, p = rendered
    revenue, target = COMPANY["2026Q3"][0], COMPANY["2026Q3"][4]
    assert revenue == sum(r[0] for r in REP_Q3.values())  # the company row is the sum of reps
    # 1,530,000.40 -> headline without decimals
    assert p.text_by_id["kpi-revenue-value"] == money0(revenue) == "¥1,530,000"
    assert p.text_by_id["kpi-revenue_target-value"] == "¥1,700,000"
    # 1,530,000.40 / 1,700,000 = 0.90000024 -> 90.0%
    assert (
        p.text_by_id["kpi-revenue_attainment-value"] == f"{revenue / target * 100:.1f}%" == "90.0%"
    )
    # QoQ: (1,530,000.40 - 1,200,000) / 1,200,000 = +27.50003%
    prev = COMPANY["2026Q2"][0]
    assert p.text_by_id["kpi-revenue-qoq"] == f"+{(revenue - prev) / prev * 100:.1f}%" == "+27.5%"
    # YoY: (1,530,000.40 - 1,275,000) / 1,275,000 = +20.00003%
    assert p.text_by_id["kpi-revenue-yoy"] == "+20.0%"
    # attainment in percentage points: 90.0% - 80.0%
    assert p.text_by_id["kpi-revenue_attainment-qoq"] == "+10.0 pp"
    # win rate 12 / (12 + 8) = 60.0%, previous 9 / 20 = 45.0% -> +15.0 pp
    assert p.text_by_id["kpi-win_rate-value"] == "60.0%"
    assert p.text_by_id["kpi-win_rate-qoq"] == "+15.0 pp"
    # collections 1,380,000 vs 1,250,000 -> +10.4%
    assert p.text_by_id["kpi-collections-qoq"] == "+10.4%"
    # cycle 42.5 vs 47.0 days -> -4.5 days (shorter is better)
    assert p.text_by_id["kpi-avg_sales_cycle_days-value"] == "42.5 days"
    assert p.text_by_id["kpi-avg_sales_cycle_days-qoq"] == "-4.5 days"


def test_headline_commentary_names_largest_team_gap(rendered):
    _, _, p = rendered
    text = p.text_by_id["kpis-commentary"]
    # teams: 华东一组 800,000.40/750,000 = 106.7%, 华东二组 180,000/300,000 = 60.0%,
    # 华北一组 550,000/450,000 = 122.2% -> the gap is 华东二组
    assert "Revenue reached ¥1,530,000, 90.0% of the ¥1,700,000 target" in text
    assert "the largest gap is team 华东二组 at 60.0%" in text
    assert "up 27.5% on 2026Q2" in text


def test_weakest_stage_named_with_previous_rate(rendered):
    _, _, p = rendered
    # 2026Q3: 80/100=80%, 48/80=60%, 20/48=41.7%, 12/20=60% -> proposal -> negotiation
    assert p.text_by_id["funnel-weakest-stage"] == "Proposal → Negotiation"
    # previous quarter at that stage: 21/49 = 42.9%
    assert (
        "The weakest stage is Proposal → Negotiation at 41.7% (previous quarter: 42.9%)"
        in (p.text_by_id["funnel-commentary"])
    )
    rows = p.tables["funnel-table"][1:]
    assert [r[3] for r in rows] == ["80.0%", "60.0%", "41.7%", "60.0%"]


def test_ranking_order(rendered):
    _, _, p = rendered
    teams = p.tables["ranking-teams"][1:]
    # 122.2%, 106.7%, 60.0%
    assert [r[1] for r in teams] == ["华北一组", "华东一组", "华东二组"]
    assert [r[5] for r in teams] == ["122.2%", "106.7%", "60.0%"]
    reps = p.tables["ranking-reps"][1:]
    # 125.0% 张伟, 100.0% 刘洋, 85.7% 李娜, 60.0% 王芳, then 陈静 without target (and left)
    assert [r[1] for r in reps] == ["张伟", "刘洋", "李娜", "王芳", "陈静 left"]
    assert [r[2] for r in reps] == ["华东一组", "华北一组", "华东一组", "华东二组", "华北一组"]
    assert [r[5] for r in reps] == ["125.0%", "100.0%", "85.7%", "60.0%", "n/a"]
    assert reps[0][3] == "¥500,000.40"


def test_aging_bucket_totals_from_the_quarter_end_snapshot(rendered):
    _, _, p = rendered
    assert "2026-09-30" in p.text_by_id["receivables-snapshot"]
    rows = {r[0]: r for r in p.tables["aging-table"][1:]}
    labels = {
        "not_due": "Not yet due",
        "1_30": "1–30 days",
        "31_60": "31–60 days",
        "61_90": "61–90 days",
        "over_90": "Over 90 days",
    }
    assert list(rows)[:5] == list(labels.values())  # bucket order
    for bucket, label in labels.items():
        expected = sum((r[5] for r in AGING_Q3_END if r[7] == bucket), D("0.00"))
        assert rows[label][1] == money2(expected), bucket
    # by hand: 75,000.00 / 51,500.00 / 20,000.50 / 0.00 / 17,000.25
    assert rows["1–30 days"][1] == "¥51,500.00"
    assert rows["61–90 days"][1] == "¥0.00"
    assert rows["Total"][1] == money2(sum(r[5] for r in AGING_Q3_END)) == "¥163,500.75"


def test_top_overdue_list(rendered):
    _, _, p = rendered
    rows = p.tables["overdue-top"][1:]
    overdue = sorted((r for r in AGING_Q3_END if r[6] > 0), key=lambda r: -r[5])
    assert len(overdue) == 11 and len(rows) == 10
    assert [r[0] for r in rows] == [r[0] for r in overdue[:10]]
    first = rows[0]
    assert first[0] == "O-1002"
    assert first[1] == SCRIPT_NAME  # account name shown as text
    assert first[2] == "李娜"  # owner: the rep on the order
    assert first[4] == "20"
    assert first[5] == "¥30,000.00"


def test_crm_text_is_escaped(rendered):
    _, html, p = rendered
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT_NAME in "".join(p.all_text)
    assert not any(tag in ("script", "img", "iframe", "object", "embed") for tag, _ in p.tags)
    assert any(IMG_VALUE in row[1] for row in p.tables["dq-oldest"][1:])  # a record name, as text


def test_self_contained_no_external_urls(rendered):
    _, html, p = rendered
    for tag, attrs in p.tags:
        assert tag != "link", attrs
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#"), (tag, name, value)
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(http" not in html
    assert "<style>" in html
    svgs = [a for tag, a in p.tags if tag == "svg"]
    assert len(svgs) == 3  # trend, funnel, aging
    assert {a["id"] for a in svgs} == {"chart-trend", "chart-funnel", "chart-aging"}


def test_charts_keep_text_as_text(rendered):
    _, _, p = rendered
    assert "Monthly revenue vs target, trailing 12 months" in p.text_by_id["chart-trend"]
    assert "Revenue (CNY thousands)" in p.text_by_id["chart-trend"]
    assert "2025-10" in p.text_by_id["chart-trend"]  # first of the trailing 12 months


def test_trust_statement(rendered):
    _, _, p = rendered
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


def test_deterministic_output(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    a = render_quarterly_pack(db, "2026Q3", tmp_path / "a", generated_at=GENERATED_AT).read_bytes()
    b = render_quarterly_pack(db, "2026Q3", tmp_path / "b", generated_at=GENERATED_AT).read_bytes()
    assert a == b


def test_opens_the_warehouse_read_only(tmp_path, monkeypatch):
    db = build_warehouse(tmp_path / "w.duckdb")
    calls = []
    real_connect = duckdb.connect

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    render_quarterly_pack(db, "2026Q3", tmp_path / "out", generated_at=GENERATED_AT)
    assert calls and all(c.get("read_only") is True for c in calls)


def test_as_of_date_picks_earlier_snapshot(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    out = render_quarterly_pack(
        db, "2026Q3", tmp_path, as_of_date=date(2026, 8, 15), generated_at=GENERATED_AT
    )
    _, p = parse(out)
    assert p.text_by_id["meta-as-of"] == "2026-08-15"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    rows = {r[0]: r for r in p.tables["aging-table"][1:]}
    assert rows["31–60 days"][1] == "¥7,777.00"
    assert "in-progress" not in p.text_by_id  # the loads reach past the quarter end


def test_default_as_of_is_latest_load_when_earlier(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb", latest_load_as_of=date(2026, 9, 10))
    _, p = parse(render_quarterly_pack(db, "2026Q3", tmp_path, generated_at=GENERATED_AT))
    assert p.text_by_id["meta-as-of"] == "2026-09-10"
    assert "2026-06-30" in p.text_by_id["receivables-snapshot"]
    assert "up to 2026-09-10" in p.text_by_id["in-progress"]


def test_quarter_without_data_raises(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match=r"2024Q1.*2025Q3 to 2026Q3"):
        render_quarterly_pack(db, "2024Q1", tmp_path)
    assert not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize("bad", ["2026-Q3", "2026Q5", "26Q3", "2026q3", "", "2026Q3 "])
def test_malformed_quarter_raises(tmp_path, bad):
    with pytest.raises(ValueError, match="quarter"):
        render_quarterly_pack(tmp_path / "missing.duckdb", bad, tmp_path)


def test_unknown_language_raises(tmp_path):
    db = build_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="language"):
        render_quarterly_pack(db, "2026Q3", tmp_path, lang="xx")


def test_every_language_has_every_string():
    i18n = Path(__file__).resolve().parents[2] / "reports" / "i18n"

    def keys(table, prefix=""):
        out = set()
        for k, v in table.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    tables = {
        p.stem: keys(tomllib.loads(p.read_text(encoding="utf-8"))) for p in i18n.glob("*.toml")
    }
    assert "en" in tables
    for lang, k in tables.items():
        assert k == tables["en"], lang


def test_weakest_stage_tie_goes_to_earliest_stage():
    from pipelines.packs.sections.funnel import FunnelStage, weakest_stage

    stages = [
        FunnelStage(1, "qualified", "discovery", 10, 5, 0.5),
        FunnelStage(2, "discovery", "proposal", 10, 4, 0.4),
        FunnelStage(3, "proposal", "negotiation", 10, 4, 0.4),
        FunnelStage(4, "negotiation", "won", 0, 0, None),
    ]
    assert weakest_stage(stages).stage_order == 2


def test_sparse_warehouse_renders_with_na(tmp_path):
    """Only one company quarter row, nothing else: every section degrades to text, no crash."""
    db = tmp_path / "sparse.duckdb"
    con = duckdb.connect(str(db))
    for ddl in DDL:
        con.execute(ddl)
    start, end = Q_DATES["2026Q3"]
    con.execute(
        INSERT_PERF,
        _perf_row("quarter", "2026Q3", start, end, "company", "all", D("1000.00"), None),
    )
    con.close()
    _, p = parse(render_quarterly_pack(db, "2026Q3", tmp_path, generated_at=GENERATED_AT))
    assert p.text_by_id["kpi-revenue-value"] == "¥1,000"
    assert p.text_by_id["kpi-revenue-qoq"] == "n/a"
    assert p.text_by_id["kpi-revenue-yoy"] == "n/a"
    assert p.text_by_id["kpi-revenue_attainment-value"] == "n/a"
    assert "no company revenue target" in p.text_by_id["kpis-commentary"]
    assert "funnel-weakest" not in p.text_by_id
    assert "chart-trend" not in p.text_by_id and "ranking-reps" not in p.tables
    assert p.text_by_id["trust-statement"].startswith("Trust: unknown.")
    assert (
        "There is no receivables snapshot on or before 2026-09-30."
        in (p.text_by_id["receivables-commentary"])
    )


def test_a_team_pack_ages_the_orders_its_reps_took_while_in_the_team(tmp_path):
    """R003 is in 华东二组 now; an order R003 took while in 华东一组 stays in 华东一组's aging
    (the mart's team at the order date), not in 华东二组's, and the rep's own pack keeps it."""
    from pipelines.packs.scope import Scope
    from pipelines.packs.sections.receivables import receivables

    db = build_warehouse(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(db))
    con.execute(
        "insert into marts.fct_receivables_aging values (date '2026-09-30', 'O-1300', 'A003',"
        " 'R003', '华东一组', '华东', 'CNY', date '2026-09-10', 4321.00, 0, 4321.00, 4321.00,"
        " 20, '1_30')"
    )
    cutoff = date(2026, 9, 30)

    def orders(scope: str) -> dict[str, Decimal]:
        found = receivables(con, cutoff, Scope.parse(scope))
        return {item.order_id: item.outstanding for item in found.top_overdue}

    # by hand from AGING_Q3_END: 华东一组 (R001, R002) is owed O-1002 and O-1004, plus O-1300;
    # 华东二组 (R003) only O-1003; R003's own pack holds both of R003's overdue orders.
    assert orders("team:华东一组") == {
        "O-1002": D("30000.00"),
        "O-1004": D("12000.00"),
        "O-1300": D("4321.00"),
    }
    assert orders("team:华东二组") == {"O-1003": D("20000.50")}
    assert orders("rep:R003") == {"O-1003": D("20000.50"), "O-1300": D("4321.00")}
    assert sum(orders("region:华东").values()) == D("66321.50")
    con.close()
