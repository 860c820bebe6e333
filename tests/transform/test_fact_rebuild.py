"""The incremental facts are rebuilt in full when what computes them changed.

Two real nightly runs on one home: 09-28 a small demo drop in the default business timezone
(Asia/Shanghai; the shared small night of tests/conftest.py), 09-29 one account renamed, run
with SALESOPS_BUSINESS_TIMEZONE=America/New_York.
The second run must notice the changed setting (meta.fact_fingerprints), say so in its log,
rebuild the facts in full, and leave them equal to a full rebuild of the same warehouse; every
order's date is then its New York date. Also: dbt's DuckDB connection takes
SALESOPS_DUCKDB_MEMORY_LIMIT.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.ops.runner import run_nightly
from pipelines.transform.fact_fingerprints import (
    fact_fingerprints,
    load_manifest,
)
from pipelines.transform.project import ensure_manifest
from tests.support.dbt_warehouse import build_warehouse, run_dbt

pytestmark = pytest.mark.e2e

NIGHT2 = date(2026, 9, 29)  # the day after the shared small night (tests/conftest.py)
NEW_ZONE = "America/New_York"
FACTS = (
    "intermediate.int_orders_enriched",
    "intermediate.int_payments_enriched",
    "intermediate.int_order_lines_enriched",
    "intermediate.int_activities",
    "intermediate.int_pipeline_snapshots",
)


def _rows(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db))  # default config: dbt-duckdb may hold the file open in-process
    out = {}
    for name in FACTS:
        columns = [
            c
            for (c,) in con.execute(
                """select column_name from information_schema.columns
                   where table_schema || '.' || table_name = ?
                     and column_name != 'processed_load_id'
                   order by ordinal_position""",
                [name],
            ).fetchall()
        ]
        query = f"select {', '.join(columns)} from {name}"
        out[name] = sorted(con.execute(query).fetchall(), key=repr)
    con.close()
    return out


@pytest.fixture(scope="module")
def two_nights(small_night, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Night 1: the shared small night (tests/conftest.py), in the default timezone; night 2,
    on a copy of its home: its first account renamed, in NEW_ZONE."""
    root = tmp_path_factory.mktemp("fact-rebuild")
    second = root / "drops" / NIGHT2.isoformat()
    second.mkdir(parents=True)
    header, row = (
        (small_night["inbox"] / "accounts.csv").read_text(encoding="utf-8").splitlines()[:2]
    )
    name = row.split(",")[1]
    (second / "accounts.csv").write_text(
        f"{header}\n{row.replace(name, 'Renamed Co.', 1)}\n", encoding="utf-8"
    )
    night1 = small_night["summary"]
    assert night1["status"] == "success", night1.get("error")
    home = root / "home"
    shutil.copytree(small_night["home"], home)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SALESOPS_BUSINESS_TIMEZONE", NEW_ZONE)
        night2 = run_nightly(second, home=home, as_of=NIGHT2, echo=False)
        assert night2["status"] == "success", night2.get("error")
    return {"home": home, "root": root, "runs": [night1, night2]}


def _events(home: Path, run: dict, event: str) -> list[dict]:
    records = []
    for path in (home / "logs").glob(f"*_{run['run_id']}.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["event"] == event:
                records.append(record)
    return records


def test_the_first_night_records_fingerprints_and_rebuilds_nothing(two_nights) -> None:
    home, (night1, _) = two_nights["home"], two_nights["runs"]
    assert _events(home, night1, "fact_full_rebuild") == []


def test_a_changed_timezone_rebuilds_every_fact_that_reads_it(two_nights) -> None:
    home, (_, night2) = two_nights["home"], two_nights["runs"]
    rebuilt = {
        r["fields"]["model"]: r["fields"]["reasons"]
        for r in _events(home, night2, "fact_full_rebuild")
    }
    change = 'business_timezone changed ("Asia/Shanghai" -> "America/New_York")'
    # int_order_lines_enriched has no local date of its own, but it reads its orders' versions
    # (lines leave with a deleted order: macros/deleted_parents.sql) through staged records
    # whose macros read the timezone; a fingerprint counts every var its upstream SQL and
    # macros name, so it is rebuilt too
    assert rebuilt == {
        "int_orders_enriched": [change],
        "int_order_lines_enriched": [change],
        "int_payments_enriched": [change],
        "int_activities": [change],
        "int_pipeline_snapshots": [change],
        "int_sales_performance": [change],
        "int_sales_event_scopes": [change],
        "int_receivables_allocations": [change],
    }
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    recorded = dict(
        con.execute(
            "select model, settings->>'business_timezone' from meta.fact_fingerprints"
        ).fetchall()
    )
    con.close()
    assert recorded["int_orders_enriched"] == NEW_ZONE
    assert recorded["int_activities"] == NEW_ZONE
    assert recorded["int_order_lines_enriched"] == NEW_ZONE


def test_after_the_change_the_facts_equal_a_full_rebuild(two_nights, tmp_path: Path) -> None:
    home = two_nights["home"]
    live = home / "warehouse.duckdb"
    copy = tmp_path / "full" / live.name
    copy.parent.mkdir()
    shutil.copyfile(live, copy)
    con = duckdb.connect(str(copy))
    load_id = con.execute("select max(load_id) from meta.loads").fetchall()[0][0]
    con.close()
    run_dbt(
        ["run", "--full-refresh", "--select", "tag:incremental_fact"],
        db=copy,
        tmp=tmp_path,
        as_of=NIGHT2.isoformat(),
        load_id=load_id,
        vars={"business_timezone": NEW_ZONE, "reporting_currency": "CNY"},
    )
    assert _rows(live) == _rows(copy)

    # the new zone really moved dates (an order date is its New York date, not Shanghai's)
    con = duckdb.connect(str(live), read_only=True)
    moved, wrong = con.execute(
        f"""select
              count(*) filter (
                where ordered_date != cast(timezone('Asia/Shanghai', ordered_at) as date)),
              count(*) filter (
                where ordered_date != cast(timezone('{NEW_ZONE}', ordered_at) as date))
            from intermediate.int_orders_enriched"""
    ).fetchall()[0]
    con.close()
    assert moved > 0 and wrong == 0


def test_the_fingerprint_follows_the_sql_and_the_settings() -> None:
    """Of the same manifest: another timezone changes settings only; another text of a macro
    the orders fact uses changes its SQL checksum, and not that of the activities."""
    manifest = load_manifest(ensure_manifest().manifest_path)
    base = {"business_timezone": "Asia/Shanghai", "reporting_currency": "CNY"}
    before = {fp.model: fp for fp in fact_fingerprints(manifest, base)}
    moved = {
        fp.model: fp for fp in fact_fingerprints(manifest, {**base, "business_timezone": "UTC"})
    }
    assert before["int_orders_enriched"].sql_checksum == moved["int_orders_enriched"].sql_checksum
    assert moved["int_orders_enriched"].differences(
        before["int_orders_enriched"].sql_checksum, before["int_orders_enriched"].settings
    ) == ['business_timezone changed ("Asia/Shanghai" -> "UTC")']
    macro = "macro.salesops.incremental_first_orders"
    manifest["macros"][macro]["macro_sql"] += "\n-- changed"
    edited = {fp.model: fp for fp in fact_fingerprints(manifest, base)}
    assert edited["int_orders_enriched"].sql_checksum != before["int_orders_enriched"].sql_checksum
    assert edited["int_activities"].sql_checksum == before["int_activities"].sql_checksum


def test_dbt_applies_the_duckdb_memory_limit(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "limits.duckdb"
    build_warehouse(db, {}, loaded_at=lambda _: None)
    monkeypatch.setenv("SALESOPS_DUCKDB_MEMORY_LIMIT", "300MB")
    result = run_dbt(
        ["show", "--inline", "select value from duckdb_settings() where name = 'memory_limit'"],
        db=db,
        tmp=tmp_path,
        as_of="2026-09-30",
        load_id=0,
    )
    seen = result.result.results[0].agate_table.rows[0][0]
    # DuckDB's own rendering of the same limit, set by hand on a plain connection
    con = duckdb.connect()
    con.execute("set memory_limit = '300MB'")
    expected = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    default = duckdb.connect().execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.close()
    assert seen == expected != default
