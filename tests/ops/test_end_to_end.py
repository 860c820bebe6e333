"""The real nightly job on a demo drop, checked against figures computed independently.

The shared demo night (tests/conftest.py: Dagster in-process, real DuckDB file, real GE
suites, real dbt build through dagster-dbt, real report) feeds the tests here; the shared next
night of its home (`demo_next_night`) is what the killed runs must end as, and a drop loaded
twice is the shared small drop's second run (`small_rerun`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.ops.runner import run_nightly
from tests.conftest import DEMO_AS_OF, DEMO_NEXT_NIGHT
from tests.support import oracle

pytestmark = pytest.mark.e2e

AS_OF = DEMO_AS_OF  # the shared `demo` night (tests/conftest.py)
QUARTER = "2026Q3"
MART_TABLES = (
    "fct_sales_performance",
    "fct_funnel_conversion",
    "fct_lead_sources",
    "fct_receivables_aging",
    "dq_findings",
)


def connect(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def mart_snapshot(home: Path) -> dict[str, list]:
    con = connect(home)
    try:
        return {
            t: sorted(map(repr, con.sql(f"select * from marts.{t}").fetchall()))
            for t in MART_TABLES
        }
    finally:
        con.close()


def perf(con, period: str, level: str = "company", scope: str = "all") -> dict:
    cur = con.execute(
        "select * from marts.fct_sales_performance where period = ? and level = ? and scope_id = ?",
        [period, level, scope],
    )
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (period, level, scope, rows)
    return dict(zip(cols, rows[0], strict=True))


def test_run_succeeds_and_writes_summary(demo):
    s = demo["summary"]
    assert s["status"] == "success", s.get("error")
    written = json.loads(Path(s["summary_path"]).read_text(encoding="utf-8"))
    assert written["run_id"] == s["run_id"]
    for item in written["files"]:
        assert {"entity", "file", "rows_in", "rows_loaded", "rows_quarantined"} <= set(item)
    assert {"ingest + validate", "dbt build", "report"} <= set(s["step_seconds"])


def test_every_input_row_is_accounted_for(demo):
    files = {f["file"]: f for f in demo["summary"]["files"] if f["status"] == "loaded"}
    csvs = sorted(demo["inbox"].glob("*.csv"))
    assert set(files) == {p.name for p in csvs}
    for path in csvs:
        f = files[path.name]
        assert f["rows_in"] == oracle.csv_row_count(path), path.name
        assert f["rows_in"] == f["rows_loaded"] + f["rows_quarantined"], path.name
    con = connect(demo["home"])
    quarantined = con.execute("select count(*) from meta.quarantine").fetchall()[0][0]
    assert quarantined == sum(f["rows_quarantined"] for f in files.values())


def test_injected_defects_are_all_found(demo):
    con = connect(demo["home"])
    quarantined = set(
        con.execute("select entity, source_row, rule from meta.quarantine").fetchall()
    )
    findings = set(
        con.execute(
            "select entity, record_id, rule from marts.dq_findings where is_open"
        ).fetchall()
    )
    defects = demo["drop"].manifest["defects"]
    assert {d["expected_rule"] for d in defects} >= {
        "missing_required",
        "unparseable_value",
        "value_not_allowed",
        "invalid_currency_code",
        "negative_value",
        "timestamps_out_of_order",
        "duplicate_id_conflict",
        "missing_reference",
        "malformed_email",
        "malformed_phone",
        "stale_open_opportunity",
        "amount_outlier",
        "bant_incomplete",
        "overpaid_order",
        "won_without_order",
    }
    missed = []
    for d in defects:
        if d["severity"] == "quarantine":
            found = (d["entity"], d["source_row"], d["expected_rule"]) in quarantined
        else:
            found = (d["entity"], d["record_id"], d["expected_rule"]) in findings
        if not found:
            missed.append(d)
    assert not missed, missed


def test_cross_entity_rules_flag_what_the_files_hold(demo):
    """Each later dbt rule flags exactly the records tests/support/oracle.py finds in the files."""
    drop = demo["drop"]
    tolerance = Decimal(str(oracle.dbt_var("order_lines_tolerance")))
    expected = {
        "stage_moved_backwards": oracle.stage_moves_backwards(drop, AS_OF),
        "order_lines_mismatch": oracle.order_lines_mismatches(drop, AS_OF, tolerance),
        "possible_duplicate_account": oracle.possible_duplicate_accounts(drop, AS_OF),
        "opportunity_untouched": oracle.untouched_opportunities(
            drop, AS_OF, oracle.dbt_var("untouched_days")
        ),
        "payment_for_cancelled_order": oracle.payments_for_cancelled_orders(drop, AS_OF),
        "activity_unlinked": oracle.unlinked_activities(drop, AS_OF),
    }
    # the demo's stale opportunity (D18) is also untouched (docs/demo-data.md)
    assert expected["opportunity_untouched"] == {
        d["record_id"] for d in drop.manifest["defects"] if d["kind"] == "expected_close_passed"
    }
    con = connect(demo["home"])
    for rule, ids in expected.items():
        found = con.execute(
            "select record_id, owner_rep_id from marts.dq_findings where is_open and rule = ?",
            [rule],
        ).fetchall()
        assert {r for r, _ in found} == ids, rule
        assert all(owner for _, owner in found), rule


def test_revenue_orders_and_collections_match_the_files(demo):
    drop = demo["drop"]
    revenue = oracle.revenue_by_quarter(drop, AS_OF)
    orders = oracle.orders_by_quarter(drop, AS_OF)
    collections = oracle.collections_by_quarter(drop, AS_OF)
    new_customers = oracle.new_customers_by_quarter(drop, AS_OF)
    con = connect(demo["home"])
    for quarter in sorted(revenue):
        row = perf(con, quarter)
        assert row["revenue"] == revenue[quarter], quarter
        assert row["orders"] == orders[quarter], quarter
        assert row["collections"] == collections.get(quarter, Decimal(0)), quarter
        assert row["new_customers"] == new_customers.get(quarter, 0), quarter
        assert row["avg_order_value"] == (revenue[quarter] / orders[quarter]).quantize(
            oracle.CENT
        ), quarter


def test_rep_revenue_and_attainment_match_the_files(demo):
    drop = demo["drop"]
    con = connect(demo["home"])
    targets = {
        (t["scope_id"]): Decimal(t["target_value"])
        for t in drop.rows("targets")
        if t["period"] == QUARTER
        and t["level"] == "rep"
        and t["metric"] == "revenue"
        and not t["product_line"]
    }
    assert targets, "the demo has quarterly rep revenue targets"
    for rep_id, target in sorted(targets.items()):
        expected = oracle.revenue_by_quarter(drop, AS_OF, rep_id=rep_id).get(QUARTER, Decimal(0))
        row = perf(con, QUARTER, "rep", rep_id)
        assert row["revenue"] == expected, rep_id
        assert row["revenue_target"] == target, rep_id
        assert row["revenue_attainment"] == pytest.approx(float(expected / target)), rep_id


def test_win_rate_matches_the_files(demo):
    con = connect(demo["home"])
    for quarter, (won, lost) in oracle.win_rate_by_quarter(demo["drop"], AS_OF).items():
        row = perf(con, quarter)
        assert (row["won"], row["lost"]) == (won, lost), quarter
        assert row["win_rate"] == pytest.approx(won / (won + lost)), quarter


def test_lead_sources_match_the_files(demo):
    con = connect(demo["home"])
    expected = oracle.lead_conversion_by_source(demo["drop"], "2025")
    got = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "select source, leads, converted from marts.fct_lead_sources "
            "where period_type = 'year' and period = '2025' and level = 'company'"
        ).fetchall()
    }
    assert got == expected


def test_receivables_aging_matches_the_files(demo):
    drop = demo["drop"]
    orders = {o["order_id"]: o for o in drop.rows("orders")}
    for p in drop.good("payments", "payment_id"):
        if p["order_id"] in orders:  # precondition of the simple method
            assert p["currency"] == orders[p["order_id"]]["currency"]
    expected = oracle.receivables(drop, AS_OF)
    con = connect(demo["home"])
    got = {
        r[0]: {"outstanding": r[1], "days_overdue": r[2], "aging_bucket": r[3]}
        for r in con.execute(
            "select order_id, outstanding, days_overdue, aging_bucket "
            "from marts.fct_receivables_aging where as_of_date = ?",
            [AS_OF],
        ).fetchall()
    }
    assert got == expected
    assert {v["aging_bucket"] for v in expected.values()} == {
        "not_due",
        "1_30",
        "31_60",
        "61_90",
        "over_90",
    }
    quarter_end = oracle.quarter_end("2026Q2")
    assert con.execute(
        "select count(*) from marts.fct_receivables_aging where as_of_date = ?", [quarter_end]
    ).fetchall()[0][0] == len(oracle.receivables(drop, quarter_end))


def test_review_pack_is_published_and_self_contained(demo):
    report = Path(demo["summary"]["report"])
    assert report.exists() and report.parent.name == QUARTER
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html


def test_second_run_of_the_same_drop_changes_nothing(small_night, small_rerun):
    """The shared small night's drop run again on a copy of its home (`small_rerun`,
    tests/conftest.py): every file is skipped as seen, and marts, raw rows and quarantine are
    as the first run left them."""
    again, home = small_rerun["summary"], small_rerun["home"]
    assert again["status"] == "success", again.get("error")
    assert {f["status"] for f in again["files"]} == {"skipped_seen"}
    assert mart_snapshot(home) == mart_snapshot(small_night["home"])
    counts = "select (select count(*) from raw.accounts), (select count(*) from meta.quarantine)"
    with connect(small_night["home"]) as first, connect(home) as second:
        before = first.execute(counts).fetchall()
        assert min(before[0]) > 0, before  # the drop has accounts and quarantined rows
        assert second.execute(counts).fetchall() == before


NEXT_NIGHT = DEMO_NEXT_NIGHT


@pytest.fixture(scope="module")
def next_night(demo_next_night):
    """The next night (tests/conftest.py: one account renamed, among changes that reach back
    into Q3), and the marts after it runs uninterrupted."""
    assert demo_next_night["summary"]["status"] == "success", demo_next_night["summary"].get(
        "error"
    )
    return {**demo_next_night, "marts": mart_snapshot(demo_next_night["home"])}


#: Where the three killed runs are killed: after the first line that holds the marker, and
#: a delay. One after another on one copy of the demo home, then one run that completes.
KILLS = (
    ("[drop]", 0.0),  # the load is registered in the run's copy; ingest is starting
    ("[ingest accounts]", 0.0),  # accounts written; other entities still validating
    ("[dbt] dbt build", 3.0),  # well inside the dbt build (tens of seconds)
)


def kill_a_run(home: Path, inbox: Path, kill_after: str, delay: float) -> dict:
    """`salesops run` of NEXT_NIGHT in a process of its own, killed (SIGKILL, with its dbt
    process: no cleanup) `delay` seconds after it printed `kill_after`."""
    import os
    import signal
    import subprocess
    import sys

    live = home / "warehouse.duckdb"
    digest = hashlib.sha256(live.read_bytes()).hexdigest()
    salesops = Path(sys.executable).parent / "salesops"
    args = [
        str(salesops),
        "run",
        "--inbox",
        str(inbox),
        "--home",
        str(home),
        "--as-of",
        NEXT_NIGHT.isoformat(),
    ]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if kill_after in line:
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its dbt process, no cleanup
            break
    proc.wait(timeout=60)
    return {
        "killed": proc.returncode == -signal.SIGKILL,
        "output": "".join(seen),
        "unchanged": hashlib.sha256(live.read_bytes()).hexdigest() == digest,
    }


@pytest.fixture(scope="module")
def killed_runs(demo, next_night, tmp_path_factory):
    """The KILLS, one after another on one copy of the demo home (each later run starts on
    what the killed ones left behind), then the run that completes."""
    home = tmp_path_factory.mktemp("killed") / "home"
    shutil.copytree(demo["home"], home)
    kills = {
        kill_after: kill_a_run(home, next_night["inbox"], kill_after, delay)
        for kill_after, delay in KILLS
    }
    again = run_nightly(inbox=next_night["inbox"], home=home, as_of=NEXT_NIGHT, echo=False)
    return {"home": home, "kills": kills, "again": again}


@pytest.mark.parametrize("kill_after", [kill_after for kill_after, _ in KILLS])
def test_killed_run_leaves_the_warehouse_as_it_was(killed_runs, kill_after):
    kill = killed_runs["kills"][kill_after]
    assert kill["killed"], kill["output"]
    assert kill["unchanged"]


def test_the_run_after_killed_runs_ends_as_an_uninterrupted_night(killed_runs, next_night):
    home, again = killed_runs["home"], killed_runs["again"]
    assert again["status"] == "success", again.get("error")
    assert mart_snapshot(home) == next_night["marts"]
    con = connect(home)
    assert con.execute(
        "select account_name from marts.dim_accounts where account_id = ?",
        [next_night["account_id"]],
    ).fetchall() == [("Renamed Co.",)]
    assert not list((home / "work").glob("*.duckdb"))
    # Ingest spool folders the killed runs left behind are removed too.
    assert not list((home / "work").glob("salesops-spool-*"))


def test_report_command_renders_a_past_quarter(demo, tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main

    result = CliRunner().invoke(
        main,
        ["report", "--home", str(demo["home"]), "--quarter", "2026Q2", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "review-pack_2026Q2_company.html").read_text(encoding="utf-8")
    revenue = oracle.revenue_by_quarter(demo["drop"], AS_OF)["2026Q2"]
    # The headline revenue, formatted with thousands separators, appears in the pack.
    assert f"{revenue:,.0f}" in html


def test_status_lists_the_run_and_open_findings(demo):
    from click.testing import CliRunner

    from pipelines.cli import main

    result = CliRunner().invoke(main, ["status", "--home", str(demo["home"])])
    assert result.exit_code == 0, result.output
    s = demo["summary"]
    (line,) = [x for x in result.output.splitlines() if s["run_id"] in x]
    assert "succeeded" in line and f"business date {AS_OF}" in line
    rows_in = sum(f["rows_in"] for f in s["files"] if f["entity"])
    assert f"{rows_in:,} rows in" in line
    con = connect(demo["home"])
    open_total = con.execute("select count(*) from marts.dq_findings where is_open").fetchall()
    assert f"open data-quality findings: {open_total[0][0]:,}" in result.output
    assert "a run is writing now: no" in result.output


def test_packs_of_a_team_and_a_rep_equal_the_marts(demo, tmp_path):
    """Real marts: a team's and a rep's packs (HTML and Excel) show the marts' figures."""
    from openpyxl import load_workbook

    from pipelines.packs import render_period

    con = connect(demo["home"])
    try:
        team, rep = con.execute(
            """select r.team, p.scope_id from marts.fct_sales_performance p
               join marts.dim_sales_reps r on r.rep_id = p.scope_id
               where p.period = ? and p.level = 'rep' order by p.revenue desc limit 1""",
            [QUARTER],
        ).fetchall()[0]
        expected = {
            scope: perf(con, QUARTER, level, scope_id)["revenue"]
            for scope, level, scope_id in (
                (f"team:{team}", "team", team),
                (f"rep:{rep}", "rep", rep),
            )
        }
        other_reps = [
            r for (r,) in con.execute(
                "select rep_id from marts.dim_sales_reps where rep_id <> ?", [rep]
            ).fetchall()
        ]  # fmt: skip
    finally:
        con.close()
    packs, index = render_period(
        demo["home"] / "warehouse.duckdb",
        QUARTER,
        tmp_path,
        scopes=list(expected),
        formats=["html", "xlsx"],
    )
    assert index.is_file() and len(packs) == 2
    for pack in packs:
        revenue = expected[pack.scope.label]
        html = pack.files["html"].read_text(encoding="utf-8")
        assert f'id="kpi-revenue-value">¥{revenue.quantize(Decimal("1")):,}<' in html
        wb = load_workbook(pack.files["xlsx"])
        row = next(r for r in wb[wb.sheetnames[1]].iter_rows() if r[0].value == "Revenue")
        assert Decimal(str(row[1].value)) == revenue
        if pack.scope.level == "rep":
            assert not any(f">{r}<" in html for r in other_reps)
