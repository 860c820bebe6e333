"""A build of int_statistical_forecasts takes the fits of the table it replaces where their
inputs are unchanged (fit_key), and its rows equal those of a build from scratch.

On a copy of the shared demo night's warehouse: one month of the company's revenue history is
changed, a stored figure of every (series, origin) is marked, and the model is built again. The
marked rows whose history did not change must come back as they were (taken, not fitted), those
whose history did must be fitted again; then the table is dropped and built from scratch, and
every row must equal the reusing build's (the marks aside).
"""

from __future__ import annotations

import shutil

import duckdb

from tests.conftest import DEMO_AS_OF
from tests.support.dbt_warehouse import run_dbt

TABLE = "intermediate.int_statistical_forecasts"
CHANGED = ("revenue", "company", "2026-02-01")  # measure, level, month_start
MARK = 1_000_000_007.0
KEY = ["measure", "level", "scope_id", "period_type", "period"]


def _rows(con) -> dict[tuple, dict]:
    cur = con.execute(f"select * from {TABLE}")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {tuple(r[k] for k in KEY): r for r in rows}


def test_unchanged_fits_are_taken_and_the_rows_equal_a_build_from_scratch(demo, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy2(demo["home"] / "warehouse.duckdb", db)
    measure, level, month = CHANGED
    with duckdb.connect(str(db)) as con:
        # the history is a view: a table of the changed rows stands in for it
        con.execute(
            """create table changed_history as
               select * replace (
                   amount + case when measure = ? and level = ? and month_start = ?
                            then 123456.78 else 0 end as amount)
               from intermediate.int_forecast_history""",
            [measure, level, month],
        )
        con.execute("drop view intermediate.int_forecast_history")
        con.execute("create table intermediate.int_forecast_history as from changed_history")
        assert (
            con.execute(
                "select count(*) from changed_history "
                "where measure = ? and level = ? and month_start = ?",
                [measure, level, month],
            ).fetchone()[0]
            == 1
        )
        con.execute(f"update {TABLE} set forecast_upper = {MARK} where forecast is not null")
        before = _rows(con)
    build = ["run", "--select", "int_statistical_forecasts"]
    run_dbt(build, db=db, tmp=tmp_path, as_of=DEMO_AS_OF.isoformat(), load_id=1)
    with duckdb.connect(str(db)) as con:
        reused = _rows(con)
        con.execute(f"drop table {TABLE}")
    run_dbt(build, db=db, tmp=tmp_path, as_of=DEMO_AS_OF.isoformat(), load_id=1)
    with duckdb.connect(str(db)) as con:
        scratch = _rows(con)

    assert reused.keys() == scratch.keys() == before.keys()
    taken = refitted = 0
    for key, row in reused.items():
        fitted = scratch[key]
        if row["forecast"] is None:
            assert row == fitted, key
            continue
        history_changed = key[:2] == (measure, level) and str(row["origin_date"]) >= "2026-02-28"
        if history_changed:
            refitted += 1
            assert row["forecast_upper"] != MARK, f"{key}: its history changed, it must be refitted"
            assert row == fitted, key
        else:
            taken += 1
            assert row["forecast_upper"] == MARK, f"{key}: its history is unchanged, it is taken"
            assert {**row, "forecast_upper": fitted["forecast_upper"]} == fitted, key
    assert taken > 0 and refitted > 0
