"""What a run did, for people (printed) and machines (summary.json)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
from dagster import DagsterEventType, DagsterInstance

from pipelines.core.progress import printable
from pipelines.core.refusals import REFUSED, REJECTED
from pipelines.warehouse.inputs import entity_inputs
from pipelines.warehouse.schema import fetch_first

#: Quarantined rows listed by file and row in the summary (all are in meta.quarantine).
MAX_LISTED_ROWS = 20

#: Statuses of a file nothing of which was loaded (pipelines/core/refusals.py).
NOT_LOADED = (REFUSED, REJECTED)

#: How step keys group into the steps a user thinks in.
STEP_GROUPS = (
    ("raw__", "ingest + validate"),
    ("salesops_dbt_assets", "dbt build"),
    ("reports__", "report"),
    ("alerts__", "alerts"),
)


def step_seconds(instance: DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    """Wall time per Dagster step, from the run's event log."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        ev = record.dagster_event
        if ev is None or ev.step_key is None:
            continue
        if ev.event_type == DagsterEventType.STEP_START:
            starts[ev.step_key] = record.timestamp
        elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ends[ev.step_key] = record.timestamp
    return [
        {"step": key, "seconds": round(ends[key] - starts[key], 2)}
        for key in sorted(starts, key=starts.get)
        if key in ends
    ]


def grouped_seconds(steps: list[dict[str, Any]]) -> dict[str, float]:
    groups: dict[str, float] = defaultdict(float)
    for s in steps:
        label = next((g for prefix, g in STEP_GROUPS if s["step"].startswith(prefix)), s["step"])
        groups[label] += s["seconds"]
    return {k: round(v, 2) for k, v in groups.items()}


def failure_of(instance: DagsterInstance, run_id: str) -> tuple[str, str]:
    """(step, message) of the first failure in the run, fix included when known."""
    for record in instance.all_logs(run_id):
        ev = record.dagster_event
        if ev is None:
            continue
        if ev.event_type in (
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.RESOURCE_INIT_FAILURE,
            DagsterEventType.RUN_FAILURE,
        ):
            error = getattr(ev.event_specific_data, "error", None)
            messages = []
            while error is not None:
                messages.append(error.message.strip())
                error = error.cause
            with_fix = [m for m in messages if "Fix:" in m]
            # Dagster wraps the cause ("Error occurred while executing op ..."): the innermost
            # message is the one that says what went wrong.
            message = (with_fix or messages[-1:] or [ev.message or "unknown error"])[0]
            if with_fix:  # our own errors: drop the "pipelines.core.errors.Class: " prefix
                message = re.sub(r"^[\w.]+: ", "", message, count=1)
            if not with_fix:
                message += (
                    "\n  Fix: see the error above; the run's logs are in HOME/runs/<run_id>/ "
                    "(dbt.log for the dbt build). Nothing was changed, so the same command can "
                    "be re-run once the cause is fixed."
                )
            return ev.step_key or "run start", message
    return "unknown", "the run failed without an error event"


def warehouse_figures(warehouse: Path, run_id: str) -> dict[str, Any]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        files = [
            dict(
                zip(
                    (
                        "entity",
                        "file",
                        "status",
                        "rows_in",
                        "rows_loaded",
                        "rows_quarantined",
                        "rows_unchanged",
                        "message",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in con.execute(
                """select entity, file_name, status, rows_in, rows_loaded, rows_quarantined,
                          rows_unchanged, message
                   from meta.load_files where run_id = ? order by entity nulls last, file_name""",
                [run_id],
            ).fetchall()
        ]
        for f in files:
            # a file not loaded at all: its rows (when they could be counted) are refused
            f["rows_refused"] = f["rows_in"] if f["status"] in NOT_LOADED else 0
        load = fetch_first(
            con,
            """select load_id, as_of_date from meta.loads
               order by (run_id = ?) desc, load_id desc limit 1""",
            [run_id],
        )
        findings = [
            {"rule": r[0], "severity": r[1], "open": r[2]}
            for r in con.execute(
                """select rule, severity, count(*) from marts.fct_dq_findings where is_open
                   group by all order by severity, count(*) desc, rule"""
            ).fetchall()
        ]
        quarantined_rows = [
            dict(zip(("file", "row", "record_id", "rule", "reason", "fix"), r, strict=True))
            for r in con.execute(
                """select source_file, source_row, record_id, rule, reason,
                          json_extract_string(reasons, '$[0].fix')
                   from meta.quarantine where load_id = ?
                   order by source_file, source_row limit ?""",
                [load[0], MAX_LISTED_ROWS],
            ).fetchall()
        ]
        released = fetch_first(
            con, "select count(*) from meta.quarantine where released_load_id = ?", [load[0]]
        )[0]
        inputs = entity_inputs(con, load[1]) or {}
        deliveries = con.execute(
            """select channel, count(*) filter (where ok), count(*) filter (where not ok),
                      list(message_key || ': ' || error order by message_key)
                          filter (where not ok)
               from meta.alert_deliveries where load_id = ? group by 1 order by 1""",
            [load[0]],
        ).fetchall()
    finally:
        con.close()
    return {
        "load_id": load[0],
        "as_of_date": load[1].isoformat(),
        "files": files,
        "rows_released": released,
        "quarantined_rows": quarantined_rows,
        "findings_by_rule": findings,
        "inputs": [
            {
                "entity": i.entity,
                "state": i.state,
                "last_loaded": i.last_loaded.isoformat() if i.last_loaded else None,
                "records": i.records,
                "optional": i.optional,
            }
            for i in inputs.values()
        ],
        "alert_deliveries": [
            {"channel": c, "delivered": ok, "failed": bad, "failures": errors or []}
            for c, ok, bad, errors in deliveries
        ],
    }


def write_summary(summary: dict[str, Any], run_dir: Path) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _input_lines(inputs: list[dict[str, Any]], as_of: str) -> list[str]:
    """Entities never loaded (or stale) as of the business date: the review pack does not show
    the figures computed from them (pipelines/warehouse/inputs.py)."""
    missing = [i for i in inputs if i["state"] == "missing"]
    stale = [i for i in inputs if i["state"] == "stale"]
    if not missing and not stale:
        return []
    lines = [""]
    if missing:
        lines.append(f"  never loaded as of {as_of} (figures from them are not shown):")
        for i in missing:
            note = " (optional)" if i["optional"] else ""
            lines.append(f"    {i['entity']}{note}")
    if stale:
        lines.append(f"  stale as of {as_of} (last loaded long before it):")
        for i in stale:
            lines.append(f"    {i['entity']:<28} last loaded {i['last_loaded']}")
    return lines


def format_summary(summary: dict[str, Any]) -> str:
    """The summary for a terminal: every text from the data (file names, values, messages)
    printed with its control characters escaped (:func:`printable`)."""
    return printable(_format_summary(summary), keep_newlines=True)


def _format_summary(summary: dict[str, Any]) -> str:
    lines = [f"Run {summary['run_id']}: {summary['status']}"]
    if summary["status"] != "success":
        lines.append(f"  failed step: {summary['failed_step']}")
        lines.append("  " + summary["error"].replace("\n", "\n  "))
        lines.append("  The warehouse was left as it was before this run.")
        return "\n".join(lines)
    lines.append(f"  business date {summary['as_of_date']}, load {summary['load_id']}")
    lines.append("")
    lines.append(
        f"  {'file':<34} {'status':<13} {'in':>8} {'loaded':>8} {'quarant.':>8} {'refused':>8}"
    )
    keys = ("rows_in", "rows_loaded", "rows_quarantined", "rows_refused")
    for f in summary["files"]:
        refused = f.get("rows_refused", 0)
        lines.append(
            f"  {printable(f['file']):<34} {f['status']:<13} {f['rows_in']:>8,} "
            f"{f['rows_loaded']:>8,} {f['rows_quarantined']:>8,} {refused:>8,}"
        )
        if f["status"] in (*NOT_LOADED, "skipped_seen") and f["message"]:
            lines.append("      " + f["message"].replace("\n", "\n      "))
    totals = [sum(f.get(k, 0) for f in summary["files"]) for k in keys]
    lines.append(
        f"  {'total':<34} {'':<13} {totals[0]:>8,} {totals[1]:>8,} {totals[2]:>8,} {totals[3]:>8,}"
    )
    if summary["rows_released"]:
        lines.append(f"  parked rows released this load: {summary['rows_released']}")
    if summary["quarantined_rows"]:
        lines.append("")
        lines.append("  quarantined this load (file:row record - rule: reason):")
        for q in summary["quarantined_rows"]:
            lines.append(
                f"    {q['file']}:{q['row']} {q['record_id'] or ''} - {q['rule']}: {q['reason']}"
            )
        lines.append(
            "    every quarantined row, whole, with its fix: table meta.quarantine "
            f"(first {MAX_LISTED_ROWS} listed here)"
        )
    lines += _input_lines(summary.get("inputs", []), summary["as_of_date"])
    lines.append("")
    lines.append("  open findings by rule:")
    for f in summary["findings_by_rule"] or [{"rule": "(none)", "severity": "", "open": 0}]:
        lines.append(f"    {f['rule']:<28} {f['severity']:<11} {f['open']:>6,}")
    if summary.get("alert_deliveries"):
        lines.append("")
        lines.append("  alerts delivered / failed, by channel:")
        for d in summary["alert_deliveries"]:
            lines.append(f"    {d['channel']:<28} {d['delivered']:>6,} {d['failed']:>6,}")
            for failure in d["failures"][:5]:
                lines.append(f"      FAILED {failure}")
    lines.append("")
    lines.append("  time per step:")
    for step, seconds in summary["step_seconds"].items():
        lines.append(f"    {step:<28} {seconds:>8.1f}s")
    lines.append(f"    {'total':<28} {summary['seconds_total']:>8.1f}s")
    lines.append("")
    lines.append(
        f"  review pack: {summary['report'] or 'not rendered (no data for the quarter yet)'}"
    )
    lines.append(f"  summary:     {summary['summary_path']}")
    rejected = [f for f in summary["files"] if f["status"] in NOT_LOADED and f["entity"]]
    if rejected:
        lines.append("")
        lines.append(
            f"  WARNING: {len(rejected)} file(s) refused or rejected whole; see messages above."
        )
    return "\n".join(lines)
