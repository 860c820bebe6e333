"""Benchmark: the incremental facts against a full build, at the 10-million-order scale.

Builds a warehouse straight in SQL (DuckDB ``range``; deterministic arithmetic on the row
number, no random state): reps, accounts, orders (80% CNY, 10% USD, 10% EUR, 5% cancelled),
two order lines per order, invoices for half the orders, payments for 90% of them (some
through the invoice only), one activity per two orders, daily USD and EUR rates over the three
years of orders, and one ``meta.loads`` row per load.

1. Full build: ``dbt run --full-refresh --select +int_orders_enriched +int_payments_enriched
   +int_order_lines_enriched +int_activities`` (the four per-record facts and the staging views
   they read).
2. Load 2, a nightly drop touching 1% of the orders: a new version of every 100th order (one in
   five of them cancelled, the others with 1.00 added to the amount) and of its first line
   (quantity + 1), a new payment for each touched order, a new version of every 100th activity,
   the next day's USD and EUR rates and one back-dated USD correction (a mid-range day, so the
   orders and payments of that day recompute).
3. Incremental build: the same ``dbt run`` without ``--full-refresh``.

Each dbt run is a fresh ``dbt`` process: its wall time, peak RSS (wait4) and the models' own
execution time from run_results.json (wall time also holds dbt's start-up; the project is
parsed with each run's vars beforehand, untimed, so both runs use the partial-parse cache).
Prints both, the ratio and the rows each fact rewrote. dbt's DuckDB works under
``SALESOPS_DUCKDB_MEMORY_LIMIT`` (``--memory-limit``; default: the environment's, else 1GB, as
in a nightly run). ``--verify`` then rebuilds a copy with
``--full-refresh`` and checks the incremental facts equal it (costs a third full build).

The rest of the project (marts, data-quality views) reads the facts and also reads every other
staging view, so ``--whole-project`` times ``dbt run`` of everything instead: the marts and
data-quality rules are full rebuilds in both runs, so that ratio is much closer to 1.

Usage:
    python scripts/benchmark_dbt.py [--orders 10000000] [--workdir DIR] [--keep] [--verify]
        [--whole-project] [--threads N] [--memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from pipelines.warehouse.schema import ensure_schema, fetch_first  # noqa: E402

DBT = Path(sys.executable).with_name("dbt")
PROJECT = ROOT / "dbt_project"
FACTS = (
    "int_orders_enriched",
    "int_payments_enriched",
    "int_order_lines_enriched",
    "int_activities",
)
AS_OF = "2026-09-30"
NEXT_DAY = "2026-10-01"
FIRST_DAY = "2023-10-01"  # orders spread over the 1096 days from here to AS_OF
DAYS = 1096
CORRECTED_DAY = "2025-04-01"
# currency of order i (and of its invoice and payments): 80% CNY, 10% USD, 10% EUR
CURRENCY = "case (i // 7) % 10 when 1 then 'USD' when 2 then 'EUR' else 'CNY' end"


def _lineage(load_id: int, table: str, row: str = "i") -> str:
    return f"""{load_id} as _load_id, '{table}.csv' as _source_file, {row} + 2 as _source_row,
        md5(cast({row} as varchar) || '{table}{load_id}') as _row_hash,
        timestamptz '2026-10-01 02:00:00+08' + interval ({load_id}) day as _loaded_at"""


def _order_select(
    load_id: int, where: str = "true", cancelled: str = "i % 20 = 7", extra_amount: str = "0"
) -> str:
    return f"""
        select
            'O' || i as order_id,
            'A' || (i * 7919 % {{accounts}}) as account_id,
            null as opportunity_id,
            'R' || (i % 200) as rep_id,
            timestamptz '{FIRST_DAY} 09:00:00+08' + interval (i % {DAYS}) day
                + interval (i % 480) minute as ordered_at,
            case when {cancelled} then 'cancelled' else 'delivered' end as status,
            {CURRENCY} as currency,
            cast(100 + (i % 9973) + {extra_amount} as decimal(18, 6)) as total_amount,
            case i % 3 when 0 then 'direct' when 1 then 'partner' else 'online' end as channel,
            case when i % 4 = 0 then null else 30 end as payment_terms_days,
            null as delivered_at,
            {_lineage(load_id, "orders")}
        from range({{orders}}) as t(i)
        where {where}"""


def build_warehouse(db: Path, orders: int) -> dict[str, int]:
    """Load 1: every raw table. Returns row counts."""
    accounts = max(orders // 100, 10)
    con = duckdb.connect(str(db))
    ensure_schema(con)
    con.execute(
        f"insert into meta.loads values (1, 'bench1', date '{AS_OF}', 'inbox', now(), now(),"
        " 'complete')"
    )
    fmt = {"orders": orders, "accounts": accounts}
    statements = {
        "sales_reps": f"""
            select 'R' || i as rep_id, 'Rep ' || i as rep_name, null as email,
                'Team ' || (i // 10) as team, 'Region ' || (i // 50) as region,
                null as manager_id, 'rep' as role, date '2020-01-01' as hired_on,
                null as left_on, {_lineage(1, "sales_reps")}
            from range(200) as t(i)""",
        "accounts": f"""
            select 'A' || i as account_id, 'Account ' || i as account_name, null as industry,
                null as size_band, 'Region ' || (i % 4) as region, 'direct' as channel,
                'R' || (i % 200) as owner_rep_id,
                timestamptz '2023-01-01 09:00:00+08' as created_at, null as phone,
                null as email, {_lineage(1, "accounts")}
            from range({accounts}) as t(i)""",
        "orders": _order_select(1).format(**fmt),
        "order_lines": f"""
            select 'O' || (i // 2) as order_id, i % 2 + 1 as line_no,
                'P' || (i % 500) as product_id,
                cast(1 + i % 5 as decimal(18, 6)) as quantity,
                cast(50 + i % 97 as decimal(18, 6)) as unit_price,
                cast(0 as decimal(18, 6)) as discount_amount, {_lineage(1, "order_lines")}
            from range({2 * orders}) as t(i)""",
        "invoices": f"""
            select 'I' || i as invoice_id, 'O' || i as order_id,
                date '{FIRST_DAY}' + cast(i % {DAYS} as integer) + 1 as issued_at,
                date '{FIRST_DAY}' + cast(i % {DAYS} as integer) + 31 as due_date,
                cast(100 + (i % 9973) as decimal(18, 6)) as amount,
                {CURRENCY} as currency,
                {_lineage(1, "invoices")}
            from range({orders}) as t(i)
            where i % 2 = 0""",
        # payment i pays order i; every tenth order has none; odd invoiced orders pay by
        # invoice only (order_id null)
        "payments": f"""
            select 'P' || i as payment_id,
                case when i % 2 = 0 and i % 3 = 0 then null else 'O' || i end as order_id,
                case when i % 2 = 0 then 'I' || i else null end as invoice_id,
                timestamptz '{FIRST_DAY} 15:00:00+08' + interval (i % {DAYS} + 5) day as paid_at,
                cast(50 + (i % 9973) as decimal(18, 6)) as amount,
                {CURRENCY} as currency,
                'transfer' as method, null as reference, {_lineage(1, "payments")}
            from range({orders}) as t(i)
            where i % 10 != 9""",
        "activities": f"""
            select 'X' || i as activity_id, 'R' || (i % 200) as rep_id,
                'A' || (i * 7919 % {accounts}) as account_id, null as opportunity_id,
                case i % 3 when 0 then 'call' when 1 then 'visit' else 'email' end as type,
                timestamptz '{FIRST_DAY} 11:00:00+08' + interval (i % {DAYS}) day as occurred_at,
                {_lineage(1, "activities")}
            from range({orders // 2}) as t(i)""",
        "fx_rates": f"""
            select date '{FIRST_DAY}' + cast(i // 2 as integer) as rate_date,
                case i % 2 when 0 then 'USD' else 'EUR' end as currency,
                cast(case i % 2 when 0 then 7 else 8 end + (i % 37) * 0.01 as decimal(18, 6))
                    as rate_to_reporting,
                {_lineage(1, "fx_rates")}
            from range({2 * DAYS}) as t(i)""",
    }
    counts = {}
    for table, select in statements.items():
        started = time.perf_counter()
        con.execute(f"insert into raw.{table} by name {select}")
        counts[table] = fetch_first(con, f"select count(*) from raw.{table}")[0]
        print(f"  raw.{table}: {counts[table]:,} rows ({time.perf_counter() - started:.1f}s)")
    con.execute("checkpoint")
    con.close()
    return counts


def add_nightly_drop(db: Path, orders: int) -> dict[str, int]:
    """Load 2: new versions of 1% of the orders, their payments, new and corrected rates."""
    accounts = max(orders // 100, 10)
    fmt = {"orders": orders, "accounts": accounts}
    con = duckdb.connect(str(db))
    con.execute(
        f"insert into meta.loads values (2, 'bench2', date '{NEXT_DAY}', 'inbox', now(), now(),"
        " 'complete')"
    )
    touched = "i % 100 = 3"
    con.execute(
        "insert into raw.orders by name "
        + _order_select(2, where=touched, cancelled="i % 500 = 3", extra_amount="1").format(**fmt)
    )
    con.execute(f"""
        insert into raw.payments by name
        select 'PN' || i as payment_id, 'O' || i as order_id, null as invoice_id,
            timestamptz '{NEXT_DAY} 10:00:00+08' as paid_at,
            cast(10 + (i % 97) as decimal(18, 6)) as amount,
            {CURRENCY} as currency,
            'transfer' as method, null as reference, {_lineage(2, "payments")}
        from range({orders}) as t(i)
        where {touched}""")
    # line 1 of every touched order (order_lines row i is line i % 2 + 1 of order i // 2)
    con.execute(f"""
        insert into raw.order_lines by name
        select 'O' || (i // 2) as order_id, 1 as line_no, 'P' || (i % 500) as product_id,
            cast(2 + i % 5 as decimal(18, 6)) as quantity,
            cast(50 + i % 97 as decimal(18, 6)) as unit_price,
            cast(0 as decimal(18, 6)) as discount_amount, {_lineage(2, "order_lines")}
        from range({2 * orders}) as t(i)
        where i % 2 = 0 and (i // 2) % 100 = 3""")
    con.execute(f"""
        insert into raw.activities by name
        select 'X' || i as activity_id, 'R' || (i % 200) as rep_id,
            'A' || (i * 7919 % {accounts}) as account_id, null as opportunity_id,
            'meeting' as type,
            timestamptz '{FIRST_DAY} 11:00:00+08' + interval (i % {DAYS}) day as occurred_at,
            {_lineage(2, "activities")}
        from range({orders // 2}) as t(i)
        where {touched}""")
    con.execute(f"""
        insert into raw.fx_rates by name
        select * from (values
            (date '{NEXT_DAY}', 'USD', 7.11::decimal(18, 6)),
            (date '{NEXT_DAY}', 'EUR', 8.22::decimal(18, 6)),
            (date '{CORRECTED_DAY}', 'USD', 7.05::decimal(18, 6))
        ) as v(rate_date, currency, rate_to_reporting),
        (select {_lineage(2, "fx_rates", "0")})""")
    counts = {
        table: fetch_first(con, f"select count(*) from raw.{table} where _load_id = 2")[0]
        for table in ("orders", "order_lines", "payments", "activities", "fx_rates")
    }
    con.execute("checkpoint")
    con.close()
    return counts


def run_dbt(
    db: Path, select: list[str], full_refresh: bool, threads: int, log: Path, load_id: int
) -> dict:
    """One dbt process for ``load_id`` (as the pipeline runs it after that load's ingest): wall
    seconds, peak RSS (MiB) and the models' execution seconds."""
    as_of = AS_OF if load_id == 1 else NEXT_DAY
    vars_ = {"warehouse_path": str(db), "as_of_date": as_of, "load_id": load_id}
    cmd = [
        str(DBT),
        "run",
        "--project-dir",
        str(PROJECT),
        "--profiles-dir",
        str(PROJECT),
        "--target-path",
        str(db.parent / "target"),
        "--log-path",
        str(db.parent / "logs"),
        "--threads",
        str(threads),
        "--vars",
        json.dumps(vars_),
        *(["--select", *select] if select else []),
        *(["--full-refresh"] if full_refresh else []),
    ]
    started = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=PROJECT, env=_dbt_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise SystemExit(f"dbt failed (log {log}):\n{tail}")
    results = json.loads((db.parent / "target" / "run_results.json").read_text())["results"]
    models = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    return {
        "wall_seconds": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "models_seconds": sum(models.values()),
        "facts_seconds": sum(models.get(f, 0.0) for f in FACTS),
        "models": models,
    }


MEMORY_LIMIT: list[str] = []  # --memory-limit, when given


def _dbt_env() -> dict[str, str]:
    env = dict(os.environ)
    if MEMORY_LIMIT:
        env["SALESOPS_DUCKDB_MEMORY_LIMIT"] = MEMORY_LIMIT[0]
    return env


def parse(db: Path, load_id: int) -> None:
    """Untimed: parse with the next run's vars, so that run uses the partial-parse cache."""
    as_of = AS_OF if load_id == 1 else NEXT_DAY
    vars_ = {"warehouse_path": str(db), "as_of_date": as_of, "load_id": load_id}
    subprocess.run(
        [
            str(DBT),
            "parse",
            "--project-dir",
            str(PROJECT),
            "--profiles-dir",
            str(PROJECT),
            "--target-path",
            str(db.parent / "target"),
            "--log-path",
            str(db.parent / "logs"),
            "--vars",
            json.dumps(vars_),
            "--quiet",
        ],
        check=True,
        cwd=PROJECT,
        env=_dbt_env(),
    )


def rewritten(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    out = {
        fact: con.execute(
            f"select count(*) filter (where processed_load_id = 2), count(*)"
            f" from intermediate.{fact}"
        ).fetchall()[0]
        for fact in FACTS
    }
    con.close()
    return out


def verify(db: Path, select: list[str], threads: int) -> None:
    """A copy rebuilt with --full-refresh must hold exactly the incremental facts."""
    copy_dir = db.parent / "verify"
    copy_dir.mkdir(exist_ok=True)
    copy = copy_dir / db.name  # same file name: views name the catalog after it
    shutil.copyfile(db, copy)
    run_dbt(copy, select, True, threads, copy_dir / "dbt_verify.log", load_id=2)
    con = duckdb.connect(str(copy))
    con.execute(f"attach '{db}' as incremental (read_only)")
    for fact in FACTS:
        differing = fetch_first(
            con,
            f"""select count(*) from (
                (select * exclude (processed_load_id) from intermediate.{fact}
                 except all
                 select * exclude (processed_load_id) from incremental.intermediate.{fact})
                union all
                (select * exclude (processed_load_id) from incremental.intermediate.{fact}
                 except all
                 select * exclude (processed_load_id) from intermediate.{fact}))""",
        )[0]
        print(f"  verify {fact}: {differing} rows differ from the full refresh")
        if differing:
            raise SystemExit(f"{fact}: the incremental build differs from a full refresh")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--workdir", type=Path, help="where the warehouse goes (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the warehouse afterwards")
    ap.add_argument("--verify", action="store_true", help="compare with a --full-refresh copy")
    ap.add_argument("--whole-project", action="store_true", help="time dbt run of every model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--memory-limit", help="SALESOPS_DUCKDB_MEMORY_LIMIT for dbt, e.g. 4GB")
    args = ap.parse_args()
    if args.memory_limit:
        MEMORY_LIMIT.append(args.memory_limit)
    limit = args.memory_limit or os.environ.get("SALESOPS_DUCKDB_MEMORY_LIMIT", "1GB")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="salesops-bench-dbt-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "warehouse.duckdb"
    db.unlink(missing_ok=True)
    select = [] if args.whole_project else [f"+{fact}" for fact in FACTS]
    scope = "every model" if args.whole_project else "the facts and the views they read"
    try:
        print(f"Warehouse {db}: {args.orders:,} orders")
        started = time.perf_counter()
        build_warehouse(db, args.orders)
        print(f"  generated in {time.perf_counter() - started:.0f}s")
        parse(db, 1)
        full = run_dbt(db, select, True, args.threads, workdir / "dbt_full.log", load_id=1)
        drop = add_nightly_drop(db, args.orders)
        print(
            f"Load 2: {drop['orders']:,} order versions, {drop['order_lines']:,} line versions, "
            f"{drop['payments']:,} payments, {drop['activities']:,} activity versions, "
            f"{drop['fx_rates']} fx rates"
        )
        parse(db, 2)
        incremental = run_dbt(
            db, select, False, args.threads, workdir / "dbt_incremental.log", load_id=2
        )
        rows = rewritten(db)

        print(
            f"\ndbt run of {scope}, {args.orders:,} orders, {args.threads} thread(s), "
            f"DuckDB memory limit {limit}"
        )
        print(f"{'':28}{'full build':>14}{'incremental':>14}{'ratio':>9}")
        for label, key in (
            ("wall time (s)", "wall_seconds"),
            ("models' time (s)", "models_seconds"),
            ("the facts' time (s)", "facts_seconds"),
        ):
            ratio = incremental[key] / full[key] if full[key] else float("nan")
            print(f"{label:28}{full[key]:>14.1f}{incremental[key]:>14.1f}{ratio:>9.1%}")
        rss = (full["peak_rss_mib"], incremental["peak_rss_mib"])
        print(f"{'peak RSS (MiB)':28}{rss[0]:>14,.0f}{rss[1]:>14,.0f}")
        for fact in FACTS:
            seconds = (full["models"].get(fact, 0.0), incremental["models"].get(fact, 0.0))
            print(f"{fact + ' (s)':28}{seconds[0]:>14.1f}{seconds[1]:>14.1f}")
        for fact, (touched, total) in rows.items():
            print(f"  {fact}: {touched:,} of {total:,} rows rewritten ({touched / total:.2%})")
        if args.verify:
            verify(db, select, args.threads)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
