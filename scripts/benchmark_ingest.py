"""Benchmark: ingest of large canonical exports, file by file, against DuckDB's own read_csv.

Generates a synthetic canonical drop (sales_reps, accounts, products, orders,
payments; no order_lines), then loads each file with ``ingest_file`` into one
DuckDB warehouse, in load order, each in a fresh subprocess so its peak RSS is
its own. Every file is also read by DuckDB alone (``create table t as select *
from read_csv(...)`` into a scratch database, again one subprocess per file) as
the baseline. Usage:

    python scripts/benchmark_ingest.py [--orders 10000000] [--workdir DIR] [--keep]
        [--skip-generate] [--entities orders,payments] [--json PATH] [--timeout S]
        [--rss-limit MIB] [--cprofile ENTITY]

Targets (issue: large exports): peak RSS under 2 GB per file, and ingest time
within 2x of DuckDB's read_csv of the same file. Each file's ratio (ours / read_csv,
measured in the same run) is printed beside both times, and both targets as
PASS/FAIL; the exit code is 0 either way (a benchmark, not a test).

Each ``ingest_file`` run also reports where its time and memory went: the
helpers ``ingest_file`` calls (parse, suite row checks, currency check, the
settle SQL over the spooled batches ...) are wrapped with timers, and the process's peak RSS
(``VmHWM``) is reset before each of them, so every phase gets its own peak. The
stretches of ``ingest_file``'s own body between two helpers appear as
``inline after <phase>`` (reading, mapping and spooling the next batch appear as
``inline after currency check``). ``--cprofile ENTITY`` additionally profiles that
entity's ingest with cProfile (slower; the figures of that run are not timings
to quote) and prints the top functions.

The generated rows are deterministic (arithmetic on the row number, no random
state) and valid, referencing existing reps/accounts/orders, except one row in
1000 of accounts, products, orders and payments, which is bad in one of three
ways (negative amount, unparseable date, unknown reference; accounts: a
channel not allowed instead of an amount) so the quarantine path runs too.
Sales reps are all valid. ``--entities`` measures a subset; the references of
an entity whose target is not in the subset (or whose load failed) are
satisfied by seeding the target's keys straight into ``raw`` (unmeasured).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTITY_ORDER = ("sales_reps", "accounts", "products", "orders", "payments")
#: Which entity each generated entity references (to seed when not measured).
REFERENCES = {
    "accounts": ("sales_reps",),
    "orders": ("accounts", "sales_reps"),
    "payments": ("orders",),
}
TARGET_RSS_MIB = 2048
#: The time target is judged on files DuckDB needs at least this long to read.
MIN_BASE_SECONDS = 1.0
TARGET_RATIO = 2.0
TIMEZONE = "Asia/Shanghai"
AS_OF = date(2026, 9, 30)
NOW = datetime(2026, 10, 1, tzinfo=UTC)
LOAD_ID = 1

#: Bad rows: row number modulo BAD_PERIOD; three kinds, so 0.1% of the rows in all.
BAD_PERIOD = 3000
BAD_NEGATIVE, BAD_DATE, BAD_REFERENCE = 7, 1007, 2007
#: An impossible calendar date (Feb 30) in the canonical timestamp layout.
BAD_TIMESTAMP = "2024-02-30 10:00:00"

# Deterministic pseudo-random integer in [0, 2^32) from a row number and a salt.
MIX_MACRO = "create or replace macro mix(i, s) as ((i * 2654435761 + s * 97531) % 4294967311)"


def _pick(values: tuple[str, ...] | list[str], salt: int) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"[{listed}][1 + mix(i, {salt}) % {len(values)}]"


def _ts(salt: int) -> str:
    """A timestamp in 2024-2025 (as a DuckDB TIMESTAMP expression)."""
    return f"(timestamp '2024-01-01 00:00:00' + to_seconds(mix(i, {salt}) % 63072000))"


def _good(index: str) -> str:
    """``index`` moved off a bad row (so references point at rows that load)."""
    return (
        f"(case when ({index}) % {BAD_PERIOD} in ({BAD_NEGATIVE}, {BAD_DATE}, {BAD_REFERENCE}) "
        f"then ({index}) - 1 else ({index}) end)"
    )


def sizes(orders: int) -> dict[str, int]:
    return {
        "sales_reps": max(20, orders // 50_000),
        "accounts": max(100, orders // 100),
        "products": 200,
        "orders": orders,
        "payments": orders,
    }


def expected_bad(entity_name: str, rows: int) -> int:
    """Rows the generator made bad (each is quarantined)."""
    if entity_name == "sales_reps":
        return 0
    kinds = [BAD_NEGATIVE] if entity_name == "products" else [BAD_NEGATIVE, BAD_DATE, BAD_REFERENCE]
    return sum(rows // BAD_PERIOD + (1 if rows % BAD_PERIOD > k else 0) for k in kinds)


def generation_sql(n: dict[str, int]) -> dict[str, str]:
    """One SELECT per entity, canonical columns in contract order, rows ``i`` = 0..n-1."""
    from pipelines.core.contract import CHANNELS, ORDER_STATUSES

    reps, accounts = n["sales_reps"], n["accounts"]
    b = f"i % {BAD_PERIOD}"
    regions = ("East", "West", "North", "South", "Central")
    ts_text = "strftime({}, '%Y-%m-%d %H:%M:%S')"
    amount = "(mix(i, 7) % 5000000 + 100)::decimal(18, 2) / 100"
    return {
        "sales_reps": f"""
            select printf('R%06d', i) as rep_id,
                   'Rep ' || i as rep_name,
                   'rep' || i || '@example.com' as email,
                   'Team ' || (i % 10) as team,
                   {_pick(regions, 1)} as region,
                   case when i % 10 = 0 then null else printf('R%06d', i - i % 10) end
                       as manager_id,
                   case when i % 10 = 0 then 'manager' else 'rep' end as role,
                   strftime(date '2015-01-01' + (mix(i, 2) % 3000)::int, '%Y-%m-%d') as hired_on,
                   null::varchar as left_on
            from range({reps}) t(i)""",
        "accounts": f"""
            select printf('A%09d', i) as account_id,
                   'Account ' || i as account_name,
                   {_pick(("technology", "retail", "manufacturing", "finance", "health"), 1)}
                       as industry,
                   {_pick(("small", "medium", "large"), 2)} as size_band,
                   {_pick(regions, 3)} as region,
                   case when {b} = {BAD_NEGATIVE} then 'telepathy'
                        else {_pick(CHANNELS, 4)} end as channel,
                   case when {b} = {BAD_REFERENCE} then printf('RX%08d', i)
                        else printf('R%06d', mix(i, 5) % {reps}) end as owner_rep_id,
                   case when {b} = {BAD_DATE} then '{BAD_TIMESTAMP}'
                        else {ts_text.format(_ts(6))} end as created_at,
                   '138' || lpad((mix(i, 8) % 100000000)::varchar, 8, '0') as phone,
                   'contact' || i || '@example.com' as email
            from range({accounts}) t(i)""",
        "products": f"""
            select printf('P%04d', i) as product_id,
                   'Product ' || i as product_name,
                   {_pick(("hardware", "software", "services", "consumables"), 1)}
                       as product_line,
                   case when {b} = {BAD_NEGATIVE} then -1 else 1 end
                       * ((mix(i, 2) % 100000 + 100)::decimal(18, 2) / 100) as list_price
            from range({n["products"]}) t(i)""",
        "orders": f"""
            select printf('O%010d', i) as order_id,
                   case when {b} = {BAD_REFERENCE} then printf('AX%09d', i)
                        else printf('A%09d', {_good(f"mix(i, 1) % {accounts}")}) end
                       as account_id,
                   null::varchar as opportunity_id,
                   printf('R%06d', mix(i, 2) % {reps}) as rep_id,
                   case when {b} = {BAD_DATE} then '{BAD_TIMESTAMP}'
                        else {ts_text.format(_ts(3))} end as ordered_at,
                   {_pick(ORDER_STATUSES, 4)} as status,
                   'CNY' as currency,
                   case when {b} = {BAD_NEGATIVE} then -1 else 1 end * {amount} as total_amount,
                   {_pick(CHANNELS, 5)} as channel,
                   [0, 30, 60, 90][1 + mix(i, 6) % 4] as payment_terms_days,
                   case when mix(i, 4) % {len(ORDER_STATUSES)} = 5
                        then {ts_text.format(f"{_ts(3)} + to_days((mix(i, 8) % 30)::int + 1)")}
                        end as delivered_at
            from range({n["orders"]}) t(i)""",
        "payments": f"""
            select printf('Y%010d', i) as payment_id,
                   case when {b} = {BAD_REFERENCE} then printf('OX%010d', i)
                        else printf('O%010d', {_good(f"i % {n['orders']}")}) end as order_id,
                   null::varchar as invoice_id,
                   case when {b} = {BAD_DATE} then '{BAD_TIMESTAMP}'
                        else {ts_text.format(_ts(9))} end as paid_at,
                   case when {b} = {BAD_NEGATIVE} then -1 else 1 end * {amount} as amount,
                   'CNY' as currency,
                   {_pick(("transfer", "card", "cash", "cheque"), 10)} as method,
                   'REF' || i as reference
            from range({n["payments"]}) t(i)""",
    }


def generate(inbox: Path, orders: int, entities: list[str]) -> None:
    import duckdb

    inbox.mkdir(parents=True, exist_ok=True)
    n = sizes(orders)
    sql = generation_sql(n)
    con = duckdb.connect()
    con.execute(MIX_MACRO)
    con.execute("set preserve_insertion_order = true")
    print(f"generating a canonical drop for {orders:,} orders in {inbox}")
    for name in entities:
        path = inbox / f"{name}.csv"
        started = time.perf_counter()
        con.execute(f"copy ({sql[name]}) to '{path}' (format csv, header true)")
        seconds = time.perf_counter() - started
        mb = path.stat().st_size / 1e6
        print(
            f"  {path.name:<16} {n[name]:>12,} rows {mb:>9,.1f} MB  "
            f"({expected_bad(name, n[name]):,} bad)  {seconds:6.1f}s"
        )
    con.close()


# --------------------------------------------------------------------- children


def _vm(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PhaseMeter:
    """Time and peak RSS per wrapped helper, and per stretch of the caller between them."""

    def __init__(self, progress: Path | None = None) -> None:
        self.phases: dict[str, dict] = {}
        #: Rewritten as each phase starts, so a child killed midway says where it was.
        self.progress = progress
        self.started = time.perf_counter()
        self.peak_kib = 0  # of the whole process, across resets
        self.can_reset = os.path.exists("/proc/self/clear_refs")
        self.active = False
        self.depth = 0
        self.mark = time.perf_counter()
        self.cpu_mark = time.process_time()
        self.after = "start"

    def _reset_peak(self) -> int:
        """Peak RSS since the last reset (KiB); starts a new interval."""
        hwm = _vm("VmHWM")
        self.peak_kib = max(self.peak_kib, hwm)
        if self.can_reset:
            try:
                with open("/proc/self/clear_refs", "w") as fh:
                    fh.write("5")
            except OSError:
                self.can_reset = False
        return hwm

    def _add(self, name: str, seconds: float, peak_kib: int, cpu: float) -> None:
        p = self.phases.setdefault(
            name, {"seconds": 0.0, "cpu_seconds": 0.0, "calls": 0, "peak_rss_mib": 0.0}
        )
        p["seconds"] += seconds
        p["cpu_seconds"] += cpu
        p["calls"] += 1
        p["peak_rss_mib"] = max(p["peak_rss_mib"], round(peak_kib / 1024, 1))
        p["rss_after_mib"] = round(_vm("VmRSS") / 1024, 1)

    def _note(self, current: str) -> None:
        if self.progress is None:
            return
        state = {
            "current": current,
            "entered_at_seconds": time.perf_counter() - self.started,
            "phases": self.phases,
        }
        self.progress.write_text(json.dumps(state))

    def start(self) -> None:
        self.started = time.perf_counter()
        self.active = True
        self._reset_peak()
        self.mark = time.perf_counter()
        self.cpu_mark = time.process_time()
        self.after = "start"

    def stop(self) -> None:
        self._close_inline()
        self.active = False

    def _close_inline(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self._add(
            f"inline after {self.after}", now - self.mark, self._reset_peak(), cpu - self.cpu_mark
        )
        self.mark = time.perf_counter()
        self.cpu_mark = time.process_time()

    def wrap(self, name: str, fn):
        meter = self

        def timed(*args, **kwargs):
            if not meter.active or meter.depth:
                return fn(*args, **kwargs)
            meter._close_inline()
            meter._note(name)
            meter.depth += 1
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                meter.depth -= 1
                meter._add(name, seconds, meter._reset_peak(), cpu)
                meter.after = name
                meter._note(f"inline after {name}")
                meter.mark = time.perf_counter()
                meter.cpu_mark = time.process_time()

        return timed


#: Helpers that ingest_file calls, by the module of pipelines.ingest.load that calls them
#: (they are wrapped where they are looked up), and the phase each is.
PHASES = {
    "file": {
        "file_sha256": "sha256",
        "latest_loaded_file": "meta lookups",
        "_record_drift": "meta writes",
        "_record_file": "meta writes",
    },
    # The settle step, statement by statement: "inline after settle: ids on several rows"
    # is the file-wide checks' SQL (conflicting ids, references) and the copy of the
    # failing rows; "settle: new versions" is the insert into raw.<entity>.
    "settle": {
        "count_repeated_ids": "settle: ids on several rows",
        "suite_outcomes": "settle: suite outcomes",
        "mark_quarantined": "settle: fates",
        "mark_repeats": "settle: fates",
        "write_quarantine": "settle: quarantine",
        "append_new_versions": "settle: insert into raw",
        "record_warnings": "settle: warnings",
        "tally": "settle: tallies",
        "resolve_quarantined": "settle: resolved",
        "gone_records": "settle: deletions",
        "append_deletions": "settle: deletions",
    },
    "batch": {
        "parse_frame_failures": "parse (typed)",
        "check_rows": "suite row checks",
        "currency_failures": "currency check",
    },
}


def _seed_keys(con, entity_name: str, path: Path) -> None:
    """Put ``entity``'s keys straight into raw (for an entity not measured, referenced)."""
    from pipelines.core.contract import entity

    e = entity(entity_name)
    (key,) = e.key
    if con.execute(f"select count(*) from raw.{e.name}").fetchall()[0][0]:  # noqa: S608
        return
    con.execute(
        f"""insert into raw.{e.name} ("{key}", _load_id, _source_file, _source_row,
                                       _row_hash, _loaded_at, _deleted)
            select "{key}", 0, 'seed', 0, 'seed', now(), false
            from read_csv(?, all_varchar = true)""",  # noqa: S608
        [str(path)],
    )


def child_ours(spec: dict) -> dict:
    import duckdb

    from pipelines.core.contract import entity
    from pipelines.core.settings import Settings
    from pipelines.ingest import load as load_mod
    from pipelines.ingest.load import batch as batch_mod
    from pipelines.ingest.load import file as file_mod
    from pipelines.ingest.load import settle as settle_mod
    from pipelines.warehouse.resource import configure_connection
    from pipelines.warehouse.schema import ensure_schema

    settings = Settings()
    path = Path(spec["file"])
    con = duckdb.connect(spec["db"])
    configure_connection(con, settings)  # as the pipeline's connections are (memory limit ...)
    ensure_schema(con)
    for target, target_path in spec.get("seed", {}).items():
        _seed_keys(con, target, Path(target_path))
    con.execute(
        "insert or ignore into meta.loads values (?, ?, ?, 'inbox', now(), null, 'running')",
        [LOAD_ID, "bench", AS_OF],
    )
    meter = PhaseMeter(Path(spec["progress"]) if spec.get("progress") else None)
    for name, module in (("file", file_mod), ("batch", batch_mod), ("settle", settle_mod)):
        for attr, phase in PHASES[name].items():
            if not hasattr(module, attr):
                raise SystemExit(f"pipelines.ingest.load.{name} has no {attr}: update PHASES")
            setattr(module, attr, meter.wrap(phase, getattr(module, attr)))
    profiler = None
    if spec.get("cprofile"):
        import cProfile

        profiler = cProfile.Profile()
    rss_before = _vm("VmRSS")
    meter.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = load_mod.ingest_file(
        con,
        entity(spec["entity"]),
        path,
        load_id=LOAD_ID,
        run_id="bench",
        timezone=TIMEZONE,
        now=NOW,
        profile=None,
        batch_rows=settings.ingest_batch_rows,
    )
    if profiler:
        profiler.disable()
    ingest_seconds = time.perf_counter() - started
    meter.stop()
    started = time.perf_counter()
    con.close()  # checkpoint: the rows reach the database file
    close_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if profiler:
        import pstats

        profiler.dump_stats(spec["cprofile"])
        print(f"cProfile of ingest_file({spec['entity']}), top 30 by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return {
        "status": result.status,
        "message": result.message,
        "rows_in": result.rows_in,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "rows_unchanged": result.rows_unchanged,
        "rows_flagged": result.rows_flagged,
        "quarantined_by_rule": result.quarantined_by_rule,
        "ingest_seconds": ingest_seconds,
        "close_seconds": close_seconds,
        "seconds": ingest_seconds + close_seconds,
        "cpu_seconds": cpu_seconds,
        "rss_before_mib": rss_before / 1024,
        "peak_rss_mib": max(meter.peak_kib, _vm("VmHWM")) / 1024,
        "phases": meter.phases,
    }


def child_duckdb(spec: dict) -> dict:
    import duckdb

    con = duckdb.connect(spec["db"])
    rss_before = _vm("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    con.execute("create table t as select * from read_csv(?, all_varchar = false)", [spec["file"]])
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    con.close()
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "rss_before_mib": rss_before / 1024,
        "peak_rss_mib": _vm("VmHWM") / 1024,
    }


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(
    kind: str, spec: dict, log: Path, timeout: float | None, rss_limit_mib: float | None
) -> dict:
    """Run ``kind`` in a fresh interpreter; its result, wall time and peak RSS (wait4).

    A watchdog kills the child when it runs longer than ``timeout`` seconds or its
    resident set passes ``rss_limit_mib`` (so a run at a size the code cannot
    handle does not take the machine's memory from everyone else).
    """
    out = log.with_suffix(".json")
    progress = log.with_suffix(".progress.json")
    for stale in (out, progress):
        stale.unlink(missing_ok=True)
    spec = {**spec, "progress": str(progress)}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_CHILD_OUT": str(out)}
    killed: list[str] = []
    done = threading.Event()
    started = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env)

        def watch() -> None:
            while not done.wait(0.2):
                elapsed = time.perf_counter() - started
                rss = _rss_mib(proc.pid) if rss_limit_mib else 0.0
                if timeout and elapsed > timeout:
                    killed.append(f"killed by the benchmark after {elapsed:.0f}s (--timeout)")
                elif rss_limit_mib and rss > rss_limit_mib:
                    killed.append(
                        f"killed by the benchmark at {rss:,.0f} MiB RSS after {elapsed:.0f}s "
                        f"(--rss-limit {rss_limit_mib:,.0f})"
                    )
                else:
                    continue
                proc.kill()
                return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        watcher.join()
    wall = time.perf_counter() - started
    figures = json.loads(out.read_text()) if out.exists() else {}
    figures["process_seconds"] = wall
    figures["process_maxrss_mib"] = usage.ru_maxrss / 1024
    # The child's own figure covers the VmHWM resets of PhaseMeter, which wait4 does not
    # see; wait4's covers a child that died before reporting. Keep the larger.
    figures["peak_rss_mib"] = max(figures.get("peak_rss_mib") or 0, figures["process_maxrss_mib"])
    figures["exit_code"] = proc.returncode
    # The machine's 1-minute load average before and after: on a shared machine the two
    # sides of a ratio may have run under different loads.
    figures["load_average"] = (load_before, os.getloadavg()[0] if load_before is not None else None)
    if killed or proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace").splitlines()[-15:]
        figures["error"] = "\n".join(killed + tail) or f"exit code {proc.returncode}"
        if progress.exists():  # how far it got
            state = json.loads(progress.read_text())
            figures["phases"] = state["phases"]
            figures["died_in"] = state["current"]
            figures["died_in_entered_at_seconds"] = state["entered_at_seconds"]
            figures["error"] += (
                f"\n(in phase {state['current']!r}, entered {state['entered_at_seconds']:.0f}s "
                "into ingest_file; phases completed before it are shown below)"
            )
    return figures


# ------------------------------------------------------------------------ report


def _fmt(value, spec: str, missing: str = "-") -> str:
    """``value`` formatted with ``spec``; ``missing`` (as wide) when there is none."""
    if value is None:
        width = "".join(itertools.takewhile(str.isdigit, spec))
        return missing.rjust(int(width or 0))
    return format(value, spec)


def report(rows: list[dict]) -> None:
    header = (
        f"{'file':<16} {'rows':>12} {'MB':>8} {'ours s':>8} {'ours rows/s':>12} "
        f"{'ours RSS MiB':>12} {'duckdb s':>9} {'duckdb MiB':>10} {'ratio':>6}  "
        f"{'loaded':>12} {'quarant.':>9}  RSS<2GB  <={TARGET_RATIO:g}x"
    )
    print("\n" + header)
    print("-" * len(header))
    for r in rows:
        o, d = r["ours"], r["duckdb"]
        ratio, ok_rss, ok_time = r["ratio"], r["pass_rss"], r["pass_time"]
        print(
            f"{r['file']:<16} {r['rows']:>12,} {r['mb']:>8,.1f} {_fmt(o.get('seconds'), '8.1f')} "
            f"{_fmt(r.get('rows_per_second'), '12,.0f')} {_fmt(o.get('peak_rss_mib'), '12,.0f')} "
            f"{_fmt(d.get('seconds'), '9.2f')} {_fmt(d.get('peak_rss_mib'), '10,.0f')} "
            f"{_fmt(ratio, '6.2f')}  {_fmt(o.get('rows_loaded'), '12,')} "
            f"{_fmt(o.get('rows_quarantined'), '9,')}  {'PASS' if ok_rss else 'FAIL':<7}  "
            f"{'n/a' if ok_time is None else 'PASS' if ok_time else 'FAIL'}"
        )
    print(
        f"\n{'file':<16} {'ours CPU s':>10} {'duckdb CPU s':>12} {'CPU ratio':>9}  "
        f"{'load ours':>13} {'load duckdb':>13}"
    )
    for r in rows:
        o, d = r["ours"], r["duckdb"]
        cpu_ratio = (
            o["cpu_seconds"] / d["cpu_seconds"]
            if o.get("cpu_seconds") and d.get("cpu_seconds")
            else None
        )
        print(
            f"{r['file']:<16} {_fmt(o.get('cpu_seconds'), '10.1f')} "
            f"{_fmt(d.get('cpu_seconds'), '12.1f')} {_fmt(cpu_ratio, '9.2f')}  "
            f"{_load(o):>13} {_load(d):>13}"
        )
    for r in rows:
        for side in ("ours", "duckdb"):
            if r[side].get("error"):
                print(f"\n{r['file']} ({side}) failed:\n{r[side]['error']}")
        if r["seeded"]:
            print(f"note: {r['file']}: keys of {', '.join(r['seeded'])} seeded (unmeasured)")
        o = r["ours"]
        if o.get("rows_quarantined") is not None and o["rows_quarantined"] != r["expected_bad"]:
            print(
                f"note: {r['file']}: {o['rows_quarantined']:,} quarantined, "
                f"{r['expected_bad']:,} generated bad ({o.get('quarantined_by_rule')})"
            )
    print(
        "\nours s = ingest_file + closing the connection (checkpoint), in a fresh process;"
        f"\nratio = ours s / duckdb s; <={TARGET_RATIO:g}x is judged on files DuckDB needs "
        f"{MIN_BASE_SECONDS:.0f} s or more for (n/a below: fixed costs dominate a small file);"
        "\nduckdb s = create table as select * from read_csv(...) + close, in a fresh process;"
        "\nRSS = the process's peak resident set (VmHWM), interpreter and imports included;"
        "\nCPU s = CPU time of the same span, every thread of the process (on a loaded machine"
        "\nthe wall times stretch with the load, the CPU times much less);"
        "\nload = the machine's 1-minute load average before -> after each side ran."
    )


def _load(side: dict) -> str:
    before, after = side.get("load_average") or (None, None)
    return "-" if before is None else f"{before:.1f} -> {after:.1f}"


def report_phases(rows: list[dict], min_seconds: float = 2.0) -> None:
    for r in rows:
        o = r["ours"]
        phases = o.get("phases") or {}
        died = o.get("died_in")
        if not phases or (not died and (o.get("seconds") or 0) < min_seconds):
            continue
        if died:
            total = o["died_in_entered_at_seconds"]
            print(
                f"\n{r['file']}: ingest_file KILLED in phase {died!r} at "
                f"{o['peak_rss_mib']:,.0f} MiB, which it entered {total:.0f}s in; before it:"
            )
        else:
            total = o["ingest_seconds"]
            print(
                f"\n{r['file']}: ingest_file {total:.1f}s, peak {o['peak_rss_mib']:,.0f} MiB "
                f"(process started at {o['rss_before_mib']:,.0f} MiB), "
                f"close {o['close_seconds']:.1f}s"
            )
        print(
            f"  {'phase':<44} {'s':>8} {'%':>6} {'CPU s':>7} {'calls':>5} {'peak MiB':>9} "
            f"{'RSS after':>9}"
        )
        hidden, before = 0, o.get("rss_before_mib", 0)
        for name, p in phases.items():
            # Only what matters: >= 0.5% of the time, or the peak rose >= 16 MiB.
            small = p["seconds"] < 0.005 * total and p["peak_rss_mib"] < before + 16
            before = max(before, p["rss_after_mib"])
            if small:
                hidden += 1
                continue
            print(
                f"  {name:<44} {p['seconds']:>8.2f} {100 * p['seconds'] / total:>5.1f}% "
                f"{p.get('cpu_seconds', 0):>7.2f} {p['calls']:>5} {p['peak_rss_mib']:>9,.0f} "
                f"{p['rss_after_mib']:>9,.0f}"
            )
        if hidden:
            print(f"  ({hidden} phases under 0.5% of the time and 16 MiB not shown; see --json)")


# -------------------------------------------------------------------------- main


def measure(args, work: Path, entities: list[str]) -> list[dict]:
    inbox = work / "inbox"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    for p in (warehouse, Path(f"{warehouse}.wal")):
        p.unlink(missing_ok=True)
    n = sizes(args.orders)
    out = []
    failed: set[str] = set()
    for name in entities:
        path = inbox / f"{name}.csv"
        if not path.exists():
            raise SystemExit(f"{path} does not exist: generate it (drop --skip-generate)")
        # References to entities this run does not load (or failed to): seed their keys.
        seed = {}
        for target in REFERENCES.get(name, ()):
            if target not in entities or target in failed:
                seed[target] = str(inbox / f"{target}.csv")
        spec = {"entity": name, "file": str(path), "db": str(warehouse), "seed": seed}
        if args.cprofile == name:
            spec["cprofile"] = str(logs / f"{name}.prof")
        print(f"{name}: ingest_file ...", end=" ", flush=True)
        ours = run_child("ours", spec, logs / f"ours_{name}.log", args.timeout, args.rss_limit)
        if ours.get("error") or ours.get("status") != "loaded":
            failed.add(name)
        print(
            f"{_fmt(ours.get('seconds'), '.1f')}s, {ours['peak_rss_mib']:,.0f} MiB; "
            "duckdb read_csv ...",
            end=" ",
            flush=True,
        )
        scratch = work / f"scratch_{name}.duckdb"
        scratch.unlink(missing_ok=True)
        base = run_child(
            "duckdb",
            {"file": str(path), "db": str(scratch)},
            logs / f"duckdb_{name}.log",
            args.timeout,
            args.rss_limit,
        )
        scratch.unlink(missing_ok=True)
        print(f"{_fmt(base.get('seconds'), '.2f')}s, {base['peak_rss_mib']:,.0f} MiB")
        rows = base.get("rows") or ours.get("rows_in") or 0
        ratio = (
            ours["seconds"] / base["seconds"]
            if ours.get("seconds") and base.get("seconds")
            else None
        )
        out.append(
            {
                "file": path.name,
                "entity": name,
                "rows": rows,
                "mb": path.stat().st_size / 1e6,
                "expected_rows": n[name],
                "expected_bad": expected_bad(name, n[name]),
                "seeded": sorted(seed),
                "ours": ours,
                "duckdb": base,
                "ratio": ratio,
                "rows_per_second": rows / ours["seconds"] if ours.get("seconds") else None,
                "pass_rss": not ours.get("error") and ours["peak_rss_mib"] < TARGET_RSS_MIB,
                # Throughput means nothing on a file DuckDB reads in a blink: fixed costs
                # (imports, the profile, the suite) dominate. Judged from MIN_BASE_SECONDS up.
                "pass_time": (
                    None
                    if base.get("seconds") and base["seconds"] < MIN_BASE_SECONDS
                    else ratio is not None and ratio <= TARGET_RATIO
                ),
            }
        )
    return out


def code_version() -> dict:
    """The commit measured, and the files of pipelines/ with uncommitted changes."""

    def git(*argv: str) -> str:
        try:
            done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return ""
        return done.stdout

    dirty = sorted(line[3:] for line in git("status", "--porcelain", "pipelines").splitlines())
    return {"commit": git("rev-parse", "HEAD").strip(), "dirty": dirty}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000, help="orders (and payments)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp workdir")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the workdir's drop")
    parser.add_argument(
        "--entities",
        default=",".join(ENTITY_ORDER),
        help=f"comma-separated subset of {','.join(ENTITY_ORDER)}",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--timeout", type=float, default=None, help="kill a child after S seconds")
    parser.add_argument(
        "--rss-limit",
        type=float,
        default=12288,
        help="kill a child whose RSS passes this many MiB (default 12288; 0: no limit)",
    )
    parser.add_argument("--cprofile", default=None, help="also cProfile this entity's ingest")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        figures = child_ours(spec) if kind == "ours" else child_duckdb(spec)
        Path(os.environ["BENCH_CHILD_OUT"]).write_text(json.dumps(figures, default=str))
        return

    wanted = [e.strip() for e in args.entities.split(",") if e.strip()]
    unknown = sorted(set(wanted) - set(ENTITY_ORDER))
    if unknown:
        parser.error(f"unknown entities {unknown}; choose from {', '.join(ENTITY_ORDER)}")
    entities = [e for e in ENTITY_ORDER if e in wanted]
    if args.skip_generate and args.workdir is None:
        parser.error("--skip-generate needs --workdir")
    temp = args.workdir is None
    work = args.workdir or Path(tempfile.mkdtemp(prefix="salesops-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        version = code_version()
        dirty = f" + uncommitted {', '.join(version['dirty'])}" if version["dirty"] else ""
        print(f"code: {version['commit'][:12]}{dirty}")
        if not args.skip_generate:
            needed = set(entities) | {t for e in entities for t in REFERENCES.get(e, ())}
            generate(work / "inbox", args.orders, [e for e in ENTITY_ORDER if e in needed])
            print(f"  generated in {time.perf_counter() - started:.1f}s")
        rows = measure(args, work, entities)
        after = code_version()
        if after != version:
            changed = sorted(set(after["dirty"]) ^ set(version["dirty"]))
            print(
                f"\nWARNING: the code changed while measuring (HEAD {after['commit'][:12]}, "
                f"changed: {', '.join(changed) or 'commits only'}); figures may mix versions"
            )
        report(rows)
        report_phases(rows)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "orders": args.orders,
                        "code": version,
                        "cpus": os.cpu_count(),
                        "targets": {"peak_rss_mib": TARGET_RSS_MIB, "ratio": TARGET_RATIO},
                        "files": rows,
                    },
                    indent=2,
                    default=str,
                )
            )
            print(f"\nfigures written to {args.json}")
    finally:
        if temp and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"workdir kept: {work}")


if __name__ == "__main__":
    main()
