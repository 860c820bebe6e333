"""The nightly run on Spark (SALESOPS_ENGINE=spark): the same job, the same asset graph, every
mart brought back into the run's DuckDB copy equal to a DuckDB night's, on a first night and on
a second night with changes, packs rendered.

The DuckDB night is the shared small night (tests/conftest.py: a small demo drop, built once per
session); the Spark night loads the same drop into a home of its own, with its lake, and builds
on a real local Spark session (docs/scale-out.md, "The nightly run on Spark"). Then a second
night (:func:`second_night_inbox`: records superseded, records missing from full exports, a rep
moving team, new records) runs on both engines, each in its own home, and every staging,
intermediate and mart relation Spark built (read from its metastore) and every mart of the
Spark night's warehouse must equal the DuckDB night's; Spark's company revenue and orders per
quarter must equal the drop's files, computed in plain Python (tests/support/oracle.py).

One command runs the whole comparison: ``python -m pytest -q tests/ops/test_spark_night.py``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generator import generate_drop
from pipelines.ops.runner import run_nightly
from pipelines.transform import engines, spark_marts
from pipelines.warehouse import lake
from tests.conftest import SMALL_NIGHT
from tests.support import oracle

NIGHT2 = SMALL_NIGHT + timedelta(days=1)

#: Not built on Spark on a Spark night, built on DuckDB from what Spark built
#: (spark_marts.ON_DUCKDB, docs/scale-out.md): the Python model int_statistical_forecasts
#: (dbt-spark runs Python models only on Databricks / Dataproc) and the models that read it,
#: and the findings history (fct_dq_findings merges with its previous state) and its view.
#: Spark's metastore has none of them; the Spark night's warehouse has them (DuckDB-built).
NOT_ON_SPARK = {
    "int_statistical_forecasts",
    "int_sales_forecast",
    "fct_sales_forecast",
    "fct_forecast_accuracy",
    "fct_dq_findings",
    "dq_findings",
}

#: Exported in full on the second night (a record missing from the file is deleted; at most
#: max_deleted_share of the current records); every other entity is a delta export.
FULL_EXPORTS = ("orders", "order_lines", "opportunities", "leads")


def require_spark() -> None:
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        pytest.fail(f"pyspark / dbt-spark are not installed: {engines.INSTALL_HINT}")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17: apt-get install openjdk-17-jre-headless")


class DuckDBAsSpark:
    """A DuckDB warehouse read through the `spark.sql(...)` interface engines.compare_relation
    uses (columns, collect), so a Spark night's marts compare with a DuckDB night's."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)
        self.con.execute("set TimeZone = 'UTC'")

    def sql(self, query: str):
        result = self.con.execute(query)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()

        class Frame:
            pass

        frame = Frame()
        frame.columns = columns
        frame.collect = lambda: rows
        return frame


def column_types(path: Path, schema: str) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_catalog = current_database() "
            "order by table_name, ordinal_position",
            [schema],
        ).fetchall()
    finally:
        con.close()
    types: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        types.setdefault(table, []).append((column, type_))
    return types


def _spark_env(mp: pytest.MonkeyPatch, lake_dir: Path, spark_dir: Path) -> None:
    mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)  # as the small night
    mp.setenv("SALESOPS_ENGINE", "spark")
    mp.setenv("SALESOPS_LAKE_DIR", str(lake_dir))
    mp.setenv("SALESOPS_SPARK_DIR", str(spark_dir))
    mp.setenv("SALESOPS_SPARK_MASTER", "local[2]")
    mp.setenv("SALESOPS_SPARK_SHUFFLE_PARTITIONS", "1")


def _lake_statuses(lake_dir: Path) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(
            f"select status, count(*) from read_parquet('{lake_dir}/meta/loads/*/*.parquet') "
            "group by all"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def spark_night(small_night, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The small night's drop, run by the nightly job with engine spark (once per module).
    Its warehouse as this night left it is kept aside: the second night continues in the same
    home, lake and Spark folder."""
    require_spark()
    root = tmp_path_factory.mktemp("spark_night")
    home, lake_dir, spark_dir = root / "home", root / "lake", root / "spark"
    with pytest.MonkeyPatch.context() as mp:
        _spark_env(mp, lake_dir, spark_dir)
        summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
    first = root / "night1.duckdb"
    if summary["status"] == "success":
        shutil.copyfile(home / "warehouse.duckdb", first)
    return {
        "summary": summary,
        "home": home,
        "lake": lake_dir,
        "lake_statuses": _lake_statuses(lake_dir),
        "spark": spark_dir,
        "warehouse": first,
        "duckdb_warehouse": Path(small_night["home"]) / "warehouse.duckdb",
        "inbox": Path(small_night["inbox"]),
    }


# --- the second night --------------------------------------------------------------------


def _read(folder: Path, entity: str) -> tuple[list[str], list[dict[str, str]]]:
    with (folder / f"{entity}.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(folder: Path, entity: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with (folder / f"{entity}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _next_id(ids: list[str]) -> str:
    """The id after the highest of `ids` (``ORD-000074`` -> ``ORD-000075``)."""
    last = max(ids, key=lambda i: int(re.sub(r"\D", "", i) or 0))
    digits = re.search(r"\d+$", last)
    assert digits, last
    return f"{last[: digits.start()]}{int(digits.group()) + 1:0{len(digits.group())}d}"


def _first(rows: list[dict[str, str]], *rules) -> dict[str, str]:
    """The first row meeting every rule, else meeting all but the last rule, and so on: the
    later rules are preferences."""
    for n in range(len(rules), 0, -1):
        for row in rows:
            if all(rule(row) for rule in rules[:n]):
                return row
    raise AssertionError("the drop has no record to pick")


def second_night_inbox(drop: oracle.Drop, inbox: Path, night: date) -> dict:
    """A second night's exports from the first night's `drop` (its files and its defect
    manifest), in `inbox`. Records are picked by rule among those without any defect:

    - full exports (:data:`FULL_EXPORTS`) of orders, opportunities and leads, each lacking one
      record (deletions, well under the deletion guard), and of order lines, lacking the
      deleted order's lines (an ERP deletes an order with its lines); one order's amount and
      another's status changed (cancelled), an open opportunity's amount and stage changed
      (with its stage history row), a new order with its line;
    - delta exports: an account renamed, a rep moving to another manager's team, a payment of
      the new order.

    Returns what changed, for the checks."""
    inbox.mkdir(parents=True)
    defective = {(d["entity"], d["record_id"]) for d in drop.manifest["defects"]}

    def clean(entity: str, key: str):
        return lambda row: (entity, row[key]) not in defective

    headers, rows = {}, {}
    for entity in (*FULL_EXPORTS, "payments", "accounts", "sales_reps"):
        headers[entity], rows[entity] = _read(drop.folder, entity)
    orders, opps, leads = rows["orders"], rows["opportunities"], rows["leads"]
    paid = {p["order_id"] for p in rows["payments"]}
    lined = {line["order_id"] for line in rows["order_lines"]}
    ordered_opps = {o["opportunity_id"] for o in orders}

    def booked(row):
        return row["status"] != "cancelled" and Decimal(row["total_amount"] or 0) > 0

    # orders: one deleted and one cancelled (both unpaid), one with another amount, one new
    deleted_order = _first(
        orders, clean("orders", "order_id"), booked, lambda o: o["order_id"] not in paid
    )
    others = [o for o in orders if o is not deleted_order]
    cancelled_order = _first(
        others, clean("orders", "order_id"), booked, lambda o: o["order_id"] not in paid
    )
    others = [o for o in others if o is not cancelled_order]
    changed_order = _first(
        others, clean("orders", "order_id"), booked, lambda o: o["order_id"] not in lined
    )
    new_amount = Decimal(changed_order["total_amount"]) + Decimal("1234.56")
    template = _first(orders, clean("orders", "order_id"), booked)
    new_order = {
        **template,
        "order_id": _next_id([o["order_id"] for o in orders]),
        "opportunity_id": "",
        "ordered_at": f"{night} 10:00:00",
        "status": "shipped",
        "currency": "CNY",
        "total_amount": "88000.00",
        "delivered_at": "",
    }
    out_orders = []
    for o in orders:
        if o is deleted_order:
            continue
        if o is cancelled_order:
            o = {**o, "status": "cancelled"}
        elif o is changed_order:
            o = {**o, "total_amount": f"{new_amount:.2f}"}
        out_orders.append(o)
    out_orders.append(new_order)

    # opportunities: an open one deleted (no order, no lead of it), another open one advanced
    def open_(row):
        return row["stage"] not in ("won", "lost")

    clean_opp = clean("opportunities", "opportunity_id")
    deleted_opp = _first(
        opps,
        clean_opp,
        open_,
        lambda o: o["opportunity_id"] not in ordered_opps,
        lambda o: not o["lead_id"],
    )
    changed_opp = _first(
        [o for o in opps if o is not deleted_opp],
        clean_opp,
        open_,
        lambda o: o["stage"] == "discovery",
    )
    opp_stage = "proposal" if changed_opp["stage"] == "discovery" else changed_opp["stage"]
    opp_amount = Decimal(changed_opp["amount"]) + Decimal("50000.00")
    out_opps = [
        {
            **o,
            "stage": opp_stage,
            "amount": f"{opp_amount:.2f}",
            "last_modified_at": f"{night} 09:00:00",
        }
        if o is changed_opp
        else o
        for o in opps
        if o is not deleted_opp
    ]
    if opp_stage != changed_opp["stage"]:
        _write(
            inbox,
            "opportunity_stage_history",
            ["opportunity_id", "stage", "entered_at"],
            [
                {
                    "opportunity_id": changed_opp["opportunity_id"],
                    "stage": opp_stage,
                    "entered_at": f"{night} 09:00:00",
                }
            ],
        )

    # leads: one never converted is missing
    deleted_lead = _first(
        leads,
        clean("leads", "lead_id"),
        lambda lead: lead["status"] != "converted" and not lead["opportunity_id"],
    )
    out_leads = [lead for lead in leads if lead is not deleted_lead]

    # delta: an account renamed (one with orders), a rep moving to another manager's team
    order_accounts = {o["account_id"] for o in orders}
    account = _first(
        rows["accounts"],
        clean("accounts", "account_id"),
        lambda a: a["account_id"] in order_accounts,
    )
    new_name = f"{account['account_name']} Renamed"
    reps = rows["sales_reps"]
    managers = {r["manager_id"] for r in reps if r["manager_id"]}
    rep = _first(
        reps,
        clean("sales_reps", "rep_id"),
        lambda r: r["manager_id"] and not r["left_on"] and r["rep_id"] not in managers,
    )
    manager = _first(
        reps,
        lambda r: r["rep_id"] in managers and r["team"] != rep["team"],
        lambda r: r["region"] == rep["region"],
    )
    moved = {
        **rep,
        "team": manager["team"],
        "region": manager["region"],
        "manager_id": manager["rep_id"],
    }
    line_template = _first(rows["order_lines"], lambda line: line["product_id"])
    new_line = {
        **dict.fromkeys(headers["order_lines"], ""),
        "order_id": new_order["order_id"],
        "line_no": "1",
        "product_id": line_template["product_id"],
        "quantity": "2.00",
        "unit_price": "44000.00",
    }
    new_payment = {
        **dict.fromkeys(headers["payments"], ""),
        "payment_id": _next_id([p["payment_id"] for p in rows["payments"]]),
        "order_id": new_order["order_id"],
        "paid_at": f"{night} 15:00:00",
        "amount": "20000.00",
        "currency": "CNY",
        "method": "bank_transfer",
    }

    _write(inbox, "orders", headers["orders"], out_orders)
    _write(inbox, "opportunities", headers["opportunities"], out_opps)
    _write(inbox, "leads", headers["leads"], out_leads)
    _write(inbox, "accounts", headers["accounts"], [{**account, "account_name": new_name}])
    _write(inbox, "sales_reps", headers["sales_reps"], [moved])
    out_lines = [
        line for line in rows["order_lines"] if line["order_id"] != deleted_order["order_id"]
    ]
    _write(inbox, "order_lines", headers["order_lines"], [*out_lines, new_line])
    _write(inbox, "payments", headers["payments"], [new_payment])
    return {
        "deleted": {
            "orders": deleted_order["order_id"],
            "order_lines": deleted_order["order_id"],
            "opportunities": deleted_opp["opportunity_id"],
            "leads": deleted_lead["lead_id"],
        },
        "deleted_lines": len(rows["order_lines"]) - len(out_lines),
        "cancelled_order": cancelled_order["order_id"],
        "changed_order": (changed_order["order_id"], new_amount),
        "changed_opportunity": (changed_opp["opportunity_id"], opp_stage, opp_amount),
        "new_order": new_order["order_id"],
        "new_payment": new_payment["payment_id"],
        "renamed_account": (account["account_id"], new_name),
        "moved_rep": (rep["rep_id"], rep["team"], manager["team"]),
    }


def full_exports_profile(folder: Path) -> Path:
    """The canonical profile with :data:`FULL_EXPORTS` read as full exports."""
    path = folder / "second_night_profile.yaml"
    lines = [
        "extends: canonical",
        "profile: canonical_full_exports",
        "description: canonical files; orders, opportunities and leads exported in full",
        "entities:",
    ]
    for entity in FULL_EXPORTS:
        lines += [f"  {entity}:", "    mode: full"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def first_drop(small_night, folder: Path) -> oracle.Drop:
    """The small night's drop with its defect manifest (the small night removes it from the
    inbox): the drop generated again with the small night's seed and scale, its files required
    to be the small night's."""
    generate_drop(folder, seed=11, scale=0.05, end_date=SMALL_NIGHT)
    inbox = Path(small_night["inbox"])
    for path in sorted(folder.glob("*.csv")):
        assert path.read_bytes() == (inbox / path.name).read_bytes(), (
            f"{path.name}: tests/conftest.py's small night is no longer seed 11, scale 0.05"
        )
    return oracle.Drop(inbox, json.loads((folder / "_defects.json").read_text(encoding="utf-8")))


def second_night_drop(first: oracle.Drop, inbox: Path, folder: Path) -> oracle.Drop:
    """What the source system holds after the second night, for the oracle: the first drop's
    files with the full exports of the second night in their place."""
    shutil.copytree(first.folder, folder)
    for entity in FULL_EXPORTS:
        shutil.copyfile(inbox / f"{entity}.csv", folder / f"{entity}.csv")
    return oracle.Drop(folder, first.manifest)


@pytest.fixture(scope="module")
def second_night(spark_night, small_night, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The second night on both engines: on DuckDB in a copy of the small night's home, on
    Spark in the Spark night's home, lake and Spark folder; then a Spark session on that
    folder's metastore (the night's dbt process has exited) to read what Spark built."""
    require_spark()
    root = tmp_path_factory.mktemp("second_night")
    first = first_drop(small_night, root / "regenerated")
    inbox = root / "inbox"
    changes = second_night_inbox(first, inbox, NIGHT2)
    profile = str(full_exports_profile(root))
    home = root / "duckdb-home"
    shutil.copytree(small_night["home"], home)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)
        duck = run_nightly(inbox, home=home, as_of=NIGHT2, echo=False, profile=profile)
    assert duck["status"] == "success", duck.get("error")
    with pytest.MonkeyPatch.context() as mp:
        _spark_env(mp, spark_night["lake"], spark_night["spark"])
        spark = run_nightly(
            inbox, home=spark_night["home"], as_of=NIGHT2, echo=False, profile=profile
        )
    assert spark["status"] == "success", spark.get("error")
    session = engines.spark_session(spark_night["spark"])
    yield {
        "changes": changes,
        "drop": second_night_drop(first, inbox, root / "second-drop"),
        "first_drop": first,
        "duckdb_warehouse": home / "warehouse.duckdb",
        "warehouse": spark_night["home"] / "warehouse.duckdb",
        "spark": session,
        "summaries": (duck, spark),
    }
    session.stop()


def test_the_spark_night_succeeds_and_built_on_spark(spark_night) -> None:
    summary = spark_night["summary"]
    assert summary["status"] == "success", summary.get("error")
    tables = spark_night["spark"] / "warehouse" / "marts.db"
    # the marts were built by Spark (its table files), the forecast and findings on DuckDB
    assert (tables / "fct_sales_performance").is_dir()
    assert not (tables / "fct_sales_forecast").exists()
    assert not (tables / "fct_dq_findings").exists()
    # every model but those six came back from Spark into the run's copy
    events = [
        json.loads(line)
        for log in (spark_night["home"] / "logs").glob(f"*_{summary['run_id']}.jsonl")
        for line in log.read_text().splitlines()
    ]
    back = [e for e in events if e.get("event") == "spark_brought_back"]
    assert len(back) == 1, events[-5:]
    assert back[0]["fields"]["relations"] >= 100


def test_sparks_log_stays_out_of_dbts_events(spark_night) -> None:
    """The local Spark's log goes to its own file and its console progress bar is off: neither
    may reach the output dagster-dbt reads dbt's events from, where a line written into an
    event's line lost that event (the model's asset was not materialised, and the review pack
    waiting for it was skipped)."""
    run_id = spark_night["summary"]["run_id"]
    dbt_log = (spark_night["home"] / "runs" / run_id / "dbt.log").read_text(encoding="utf-8")
    assert len(re.findall(r"\bOK created \S+ \S+ model ", dbt_log)) >= 100
    assert not re.search(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) ", dbt_log, re.M)
    assert "[Stage " not in dbt_log  # Spark's console progress bar
    assert (spark_night["spark"] / "spark.log").is_file()


def test_every_mart_equals_the_duckdb_night(spark_night) -> None:
    diffs = engines.compare_engines(
        spark_night["duckdb_warehouse"], DuckDBAsSpark(spark_night["warehouse"]), ["marts"]
    )
    text = engines.report(diffs, "marts")
    print(text)
    assert len(diffs) >= 20, text
    assert all(d.identical for d in diffs), text


@pytest.mark.parametrize("schema", ["marts", "intermediate"])
def test_types_are_duckdbs(spark_night, schema: str) -> None:
    """Every mart (and intermediate relation) has the columns and types a DuckDB night gives
    it: DECIMAL money, DATE dates, TIMESTAMP WITH TIME ZONE instants, JSON."""
    duck = column_types(spark_night["duckdb_warehouse"], schema)
    spark = column_types(spark_night["warehouse"], schema)
    assert duck
    assert spark == duck


def test_a_pack_is_rendered_from_the_spark_marts(spark_night) -> None:
    report = spark_night["summary"].get("report")
    assert report and Path(report).is_file()
    assert Path(report).stat().st_size > 10_000


def test_the_lake_holds_the_published_load(spark_night) -> None:
    assert spark_night["lake_statuses"] == [("complete", 1)]
    run_dir = spark_night["home"] / "runs" / spark_night["summary"]["run_id"]
    assert not (run_dir / "shape.duckdb").exists()


#: Columns of one run, not of the data: the DuckDB and the Spark nights are two runs of the same
#: drops (their own run ids and times); and Spark's stg_meta__loads is a table built while its
#: load ran (status running, no finish time), DuckDB's a view reading the published row.
RUN_COLUMNS = {
    "staging.stg_meta__loads": ("run_id", "started_at", "finished_at", "status"),
    "staging.stg_meta__load_files": ("run_id",),
}


#: The incremental models' bookkeeping: the load (and as_of_date) of the run that computed the
#: row. DuckDB's incremental path recomputes only what changed, so after a second night a row
#: the night left alone still names the first load; a Spark night builds every incremental
#: model in full (docs/scale-out.md, "Incremental models on Spark"), so every row names the
#: last load. Every other column of those models must be equal.
BOOKKEEPING_COLUMNS = ("processed_load_id", "processed_as_of_date")


def _bookkeeping(warehouse: Path, schema: str) -> dict[str, tuple[str, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, list(column_name) from information_schema.columns "
            "where table_schema = ? and table_catalog = current_database() "
            f"and column_name in {BOOKKEEPING_COLUMNS} group by table_name",
            [schema],
        ).fetchall()
    finally:
        con.close()
    return {f"{schema}.{table}": tuple(columns) for table, columns in rows}


def _compare(
    duckdb_warehouse: Path, spark, schema: str, skip=(), after_first_night: bool = False
) -> None:
    ignore = dict(RUN_COLUMNS)
    if after_first_night:
        ignore.update(_bookkeeping(duckdb_warehouse, schema))
    diffs = engines.compare_engines(duckdb_warehouse, spark, [schema], ignore=ignore)
    diffs = [d for d in diffs if d.relation.split(".")[1] not in skip]
    text = engines.report(diffs, schema)
    print(text)
    assert len(diffs) >= 20, text
    assert all(d.identical for d in diffs), text


@pytest.mark.parametrize("schema", ["staging", "intermediate"])
def test_every_relation_brought_back_equals_the_duckdb_night(spark_night, schema: str) -> None:
    """The first night's staging and intermediate relations as Spark built them (brought back
    into the run's copy), against the DuckDB night's."""
    _compare(spark_night["duckdb_warehouse"], DuckDBAsSpark(spark_night["warehouse"]), schema)


def _sales_performance(rows) -> dict[str, tuple[Decimal, int]]:
    return {period: (revenue, orders) for period, revenue, orders in rows}


SALES_PERFORMANCE = (
    "select period, revenue, orders from marts.fct_sales_performance "
    "where period_type = 'quarter' and level = 'company' and scope_id = 'all'"
)


def _assert_matches_the_files(spark: dict, drop: oracle.Drop, as_of: date) -> None:
    revenue = oracle.revenue_by_quarter(drop, as_of)
    orders = oracle.orders_by_quarter(drop, as_of)
    assert revenue, "the drop has booked orders"
    for quarter in sorted(revenue):
        assert spark[quarter] == (revenue[quarter], orders[quarter]), quarter
    assert all(spark[q][0] == Decimal(0) for q in spark if q not in revenue)


def test_spark_revenue_matches_the_files(spark_night, second_night) -> None:
    """Spark's company revenue and orders per quarter, against the drops' files (plain Python):
    the first night's as brought back, the second night's in Spark's own metastore."""
    con = duckdb.connect(str(spark_night["warehouse"]), read_only=True)
    try:
        first = _sales_performance(con.execute(SALES_PERFORMANCE).fetchall())
    finally:
        con.close()
    _assert_matches_the_files(first, second_night["first_drop"], SMALL_NIGHT)
    second = _sales_performance(
        tuple(r) for r in second_night["spark"].sql(SALES_PERFORMANCE).collect()
    )
    _assert_matches_the_files(second, second_night["drop"], NIGHT2)
    assert second != first  # the second night's changes moved the figures


@pytest.mark.parametrize("schema", ["staging", "intermediate", "marts"])
def test_on_the_second_night_what_spark_built_equals_duckdb(second_night, schema: str) -> None:
    """Every relation Spark built on the second night, read from its metastore, against the
    DuckDB second night's, all but the incremental models' bookkeeping columns
    (BOOKKEEPING_COLUMNS); the models not built on Spark (NOT_ON_SPARK) are compared below."""
    _compare(
        second_night["duckdb_warehouse"],
        second_night["spark"],
        schema,
        NOT_ON_SPARK,
        after_first_night=True,
    )


def test_on_the_second_night_every_mart_equals_the_duckdb_night(second_night) -> None:
    """Every mart of the Spark night's warehouse (Spark's, and those built on DuckDB from them:
    the forecasts, the findings with their history) against the DuckDB second night's."""
    _compare(second_night["duckdb_warehouse"], DuckDBAsSpark(second_night["warehouse"]), "marts")


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_second_nights_changes_show(second_night, engine: str) -> None:
    """Each change of the second night shows on each engine, so the comparisons above cannot
    pass on marts the second night left as they were."""
    changes = second_night["changes"]
    path = second_night["duckdb_warehouse" if engine == "duckdb" else "warehouse"]
    con = duckdb.connect(str(path), read_only=True)

    def rows(sql: str, *params) -> list[tuple]:
        return con.execute(sql, list(params)).fetchall()

    try:
        # deletions: a deletion version each, and gone from the current records
        for entity, key, versions in (
            ("orders", "order_id", 1),
            ("order_lines", "order_id", changes["deleted_lines"]),
            ("opportunities", "opportunity_id", 1),
            ("leads", "lead_id", 1),
        ):
            record = changes["deleted"][entity]
            assert versions > 0
            assert rows(
                f"select count(*) from raw.{entity} where {key} = ? and _deleted",  # noqa: S608
                record,
            ) == [(versions,)], (entity, record)
        orders = dict(rows("select order_id, status from intermediate.int_orders_enriched"))
        assert changes["deleted"]["orders"] not in orders
        assert changes["new_order"] in orders
        assert orders[changes["cancelled_order"]] == "cancelled"
        order_id, amount = changes["changed_order"]
        assert rows(
            "select total_amount from intermediate.int_orders_enriched where order_id = ?", order_id
        ) == [(amount,)]
        opportunity, stage, opp_amount = changes["changed_opportunity"]
        assert rows(
            "select stage, amount from intermediate.int_opportunities_enriched "
            "where opportunity_id = ?",
            opportunity,
        ) == [(stage, opp_amount)]
        assert not rows(
            "select 1 from intermediate.int_opportunities_enriched where opportunity_id = ?",
            changes["deleted"]["opportunities"],
        )
        assert not rows(
            "select 1 from marts.fct_lead_potential where lead_id = ?", changes["deleted"]["leads"]
        )
        assert rows("select count(*) from marts.fct_lead_potential") > [(0,)]
        # supersedes of delta exports: the account's new name, the rep's new team
        account, name = changes["renamed_account"]
        assert rows(
            "select account_name from marts.dim_accounts where account_id = ?", account
        ) == [(name,)]
        rep, old_team, new_team = changes["moved_rep"]
        assert old_team != new_team
        assert rows("select team from marts.dim_sales_reps where rep_id = ?", rep) == [(new_team,)]
        # the rep's history: the old team until the second night, the new team from it
        assert rows(
            "select team, valid_to from intermediate.int_sales_rep_history "
            "where rep_id = ? order by valid_from",
            rep,
        ) == [(old_team, NIGHT2), (new_team, date(9999, 12, 31))]
        # new records of delta exports
        assert rows(
            "select count(*) from raw.payments where payment_id = ?", changes["new_payment"]
        ) == [(1,)]
    finally:
        con.close()


def test_a_failed_spark_night_takes_its_load_out_of_the_lake(small_night, tmp_path) -> None:
    """The run writes its load to the lake before dbt; its dbt build fails (no Thrift server
    listens): the failure hook puts the lake back as published (here: no warehouse, no loads)."""
    home, lake_dir = tmp_path / "home", tmp_path / "lake"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SALESOPS_BUSINESS_TIMEZONE", raising=False)
        mp.setenv("SALESOPS_ENGINE", "spark_thrift")
        mp.setenv("SALESOPS_LAKE_DIR", str(lake_dir))
        mp.setenv("SALESOPS_SPARK_WAREHOUSE_DIR", str(tmp_path / "spark-warehouse"))
        mp.setenv("SALESOPS_SPARK_PORT", "9")  # nothing listens there
        mp.setenv("SALESOPS_RETRY_MAX", "0")
        summary = run_nightly(small_night["inbox"], home=home, as_of=SMALL_NIGHT, echo=False)
    assert summary["status"] == "failed"
    assert "dbt" in summary["failed_step"]
    assert not (home / "warehouse.duckdb").exists()
    assert lake_dir.is_dir()  # the run wrote it ahead ...
    assert not list(lake_dir.rglob("*.parquet"))  # ... and took it back
    assert not (home / "runs" / summary["run_id"] / lake.AHEAD_MARKER).exists()


def test_on_duckdb_is_the_forecast_and_findings_subgraph() -> None:
    from pipelines.transform.fact_fingerprints import load_manifest
    from pipelines.transform.project import ensure_manifest

    manifest = load_manifest(ensure_manifest().manifest_path)
    assert spark_marts.on_duckdb_names(manifest) == NOT_ON_SPARK


def _lake_files(lake_dir: Path) -> dict[str, str]:
    return {
        str(p.parent.relative_to(lake_dir)): p.name
        for p in lake_dir.rglob("*.parquet")
        if not any(part.startswith(".") for part in p.parts)
    }


def test_repair_puts_the_lake_back_as_published(small_night, tmp_path) -> None:
    """A run's copy written to the lake ahead of publishing (a new load, an earlier load's meta
    rows changed), then the run fails: repair makes the lake the published warehouse's again."""
    live = Path(small_night["home"]) / "warehouse.duckdb"
    lake_dir = tmp_path / "lake"

    def utc(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("set TimeZone = 'UTC'")

    published = duckdb.connect(str(live), read_only=True)
    try:
        utc(published)
        lake.sync(published, str(lake_dir))
    finally:
        published.close()
    as_published = _lake_files(lake_dir)

    copy = tmp_path / "run-copy.duckdb"
    shutil.copy2(live, copy)
    con = duckdb.connect(str(copy))
    try:
        utc(con)
        con.execute(
            "insert into meta.loads select 2, 'failed-run', as_of_date, inbox, now(), null, "
            "'running' from meta.loads where load_id = 1"
        )
        con.execute("update meta.quarantine set released_load_id = 2")  # earlier rows changed
        lake.sync(con, str(lake_dir))
    finally:
        con.close()
    ahead = _lake_files(lake_dir)
    assert any("load_id=2" in folder for folder in ahead)
    assert ahead != as_published

    done = lake.repair(live, str(lake_dir), utc)
    assert done.removed > 0
    assert _lake_files(lake_dir) == as_published
