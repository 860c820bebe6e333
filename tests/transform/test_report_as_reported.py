"""``salesops report --as-of`` renders a past quarter as it was reported: the marts rebuilt as
of the date with the metric parameters then in force, not today's.

Night 1 (2026-10-31) builds with the shipped fiscal year (starting in January). The next
night the metrics file moves the fiscal year start to February, so the live "2026Q3" is no
longer July-September. The pack rendered as of 2026-10-31 shows the revenue of the July,
August and September orders, summed here from the raw rows.
"""

from __future__ import annotations

import io
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.transform.as_of import recorded_params
from pipelines.warehouse.runs import record_metric_params
from tests.support.dbt_warehouse import add_load, build_warehouse, run_dbt, ts

NIGHT_1 = "2026-10-31"
NIGHT_2 = "2026-11-01"
# (order id, month, amount CNY): one order a month, amounts that tell the months apart
ORDERS = [
    ("O06", 6, "1000.00"),
    ("O07", 7, "20000.00"),
    ("O08", 8, "300000.00"),
    ("O09", 9, "4000000.10"),
    ("O10", 10, "50000000.00"),
]
RAW = {
    "sales_reps": [(1, dict(rep_id="R1", rep_name="Alice", team="T1", region="East"))],
    "accounts": [
        (
            1,
            dict(
                account_id="A1",
                account_name="Account 1",
                region="East",
                channel="direct",
                owner_rep_id="R1",
                created_at=ts("2025-01-10 09:00:00"),
            ),
        )
    ],
    "orders": [
        (
            1,
            dict(
                order_id=oid,
                account_id="A1",
                rep_id="R1",
                ordered_at=ts(f"2026-{month:02d}-15 10:00:00"),
                status="delivered",
                currency="CNY",
                total_amount=amount,
                payment_terms_days=30,
            ),
        )
        for oid, month, amount in ORDERS
    ],
}


def _revenue(xlsx: Path) -> Decimal:
    """The pack's Revenue KPI of its period (the KPI sheet's first figure column)."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    sheet = next(ws for ws in book.worksheets if "KPI" in ws.title)
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Revenue")
    return Decimal(str(row[1]))


def test_report_as_of_uses_the_parameters_in_force_then(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "built.duckdb"  # dbt (in this process) keeps it open: home gets a copy
    build_warehouse(db, RAW, loads={1: NIGHT_1}, loaded_at=ts("2026-10-31 23:00:00"))
    with duckdb.connect(str(db)) as con:  # night 1: the shipped parameters
        for entity, rows in (("sales_reps", 1), ("accounts", 1), ("orders", len(ORDERS))):
            con.execute(
                "insert into meta.load_files (load_id, run_id, entity, file_name, status,"
                " rows_in, rows_loaded) values (1, 'run1', ?, ?, 'loaded', ?, ?)",
                [entity, f"{entity}.csv", rows, rows],
            )
        record_metric_params(con, date(2026, 10, 31), {})
    # the next night: the fiscal year now starts in February, and the live marts follow it
    (home / "metrics.yaml").write_text("fiscal_year_start_month: 2\n", encoding="utf-8")
    with duckdb.connect(str(db)) as con:
        add_load(con, 2, NIGHT_2)
        record_metric_params(con, date(2026, 11, 1), {"fiscal_year_start_month": 2})
    run_dbt(
        ["run"],
        db=db,
        tmp=tmp_path / "dbt",
        as_of=NIGHT_2,
        load_id=2,
        vars={"fiscal_year_start_month": 2},
    )
    for suffix in ("", ".wal"):
        if Path(f"{db}{suffix}").exists():
            shutil.copyfile(f"{db}{suffix}", f"{home / 'warehouse.duckdb'}{suffix}")
    db = home / "warehouse.duckdb"
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    monkeypatch.delenv("SALESOPS_METRICS_CONFIG", raising=False)

    result = CliRunner().invoke(
        main,
        [
            "report",
            "--home",
            str(home),
            "--as-of",
            NIGHT_1,
            "--period",
            "2026Q3",
            "--scope",
            "company",
            "--format",
            "xlsx",
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)

    reported = sum(Decimal(a) for _, m, a in ORDERS if m in (7, 8, 9))  # calendar Q3
    out = home / "reports" / "2026Q3" / f"as-of-{NIGHT_1}" / "review-pack_2026Q3_company.xlsx"
    assert _revenue(out) == reported
    with duckdb.connect(str(db), read_only=True) as con:  # the live marts say otherwise
        live = con.execute(
            "select revenue from marts.fct_sales_performance "
            "where period = '2026Q3' and level = 'company'"
        ).fetchone()
    assert live is None or live[0] != reported
    assert recorded_params(db, date(2026, 10, 31))[1]["fiscal_year_start_month"] == 1
