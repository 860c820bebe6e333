"""Rebuild the marts as the warehouse stood at the end of a past business date.

``raw.*`` keeps every version of every record with the load that brought it, and
``meta.loads`` dates each load. dbt's var ``history_as_of_date`` makes staging read only the
versions of loads on or before that date (macro ``current_versions``), so a full build with it
gives the marts exactly as that night's load built them, however many corrections, late fx
rates or team moves arrived since. This is how a past quarter is reported again ("what did we
report for 2026Q3?") and how the review pack of a past period is rendered.

The metric parameters are those in force on that date: each nightly run records every parameter
it built with in ``meta.metric_params`` when it publishes
(:func:`pipelines.warehouse.runs.record_metric_params`), and the rebuild uses the row of the
latest business date on or before the date it rebuilds (:func:`recorded_params`). A warehouse
with no row that early (loaded before parameters were recorded) is rebuilt with today's
parameters, and the rebuild says so.

The rebuild works on a copy: the live warehouse is only read.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from dagster_dbt import DbtCliResource

from pipelines.core.errors import SalesOpsError
from pipelines.core.metric_params import (
    load_metric_params,
    metric_params_path,
)
from pipelines.core.progress import say
from pipelines.core.settings import Settings
from pipelines.transform.project import child_dbt_executable, ensure_manifest


def recorded_params(warehouse: Path, as_of: date) -> tuple[date, dict[str, Any]] | None:
    """The parameters in force at the end of ``as_of``: the row of the latest business date on
    or before it, with that date; None when none was recorded that early."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'meta' and table_name = 'metric_params'"
        ).fetchone()[0]
        if not exists:
            return None
        row = con.execute(
            """select as_of_date, params from meta.metric_params where as_of_date <= ?
               order by as_of_date desc limit 1""",
            [as_of],
        ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def last_load_on_or_before(warehouse: Path, as_of: date) -> int:
    """The id of the last load whose business date is on or before ``as_of``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select max(load_id), min(as_of_date) from meta.loads where as_of_date <= ?",
            [as_of],
        ).fetchone()
        first = con.execute("select min(as_of_date) from meta.loads").fetchone()[0]
    if row[0] is None:
        since = f"the first load is of {first}" if first else "no load has run yet"
        raise SalesOpsError(
            f"{warehouse}: nothing was loaded on or before {as_of} ({since})",
            "Pick a date on or after the first load's business date.",
        )
    return int(row[0])


def rebuild_as_of(
    warehouse: Path,
    as_of: date,
    out_path: Path,
    settings: Settings | None = None,
    home: Path | None = None,
) -> Path:
    """Copy ``warehouse`` to ``out_path`` and rebuild its marts as of the end of ``as_of``.

    Metric parameters are those in force on ``as_of`` (:func:`recorded_params`); when none
    were recorded that early, those of today's metrics file (HOME/metrics.yaml or
    ``SALESOPS_METRICS_CONFIG``; ``home`` defaults to the warehouse's folder). Returns
    ``out_path``.
    """
    settings = settings or Settings()
    warehouse, out_path = Path(warehouse), Path(out_path)
    if not warehouse.is_file():
        raise SalesOpsError(
            f"warehouse file not found: {warehouse}",
            "Run `salesops run` first, or give --home of an existing warehouse.",
        )
    load_id = last_load_on_or_before(warehouse, as_of)
    recorded = recorded_params(warehouse, as_of)
    if recorded is not None:
        params = recorded[1]
        say("as-of", f"metric parameters in force on {as_of}: those recorded on {recorded[0]}")
    else:
        params = load_metric_params(
            metric_params_path(home or warehouse.parent, settings.metrics_config)
        )
        say("as-of", f"no metric parameters recorded on or before {as_of}: using today's")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, out_path)
    dbt_vars = {
        **params,
        "warehouse_path": str(out_path),
        "as_of_date": as_of.isoformat(),
        "history_as_of_date": as_of.isoformat(),
        "load_id": load_id,
        "business_timezone": settings.business_timezone,
        "reporting_currency": settings.reporting_currency,
    }
    say("as-of", f"rebuilding the marts as of {as_of} (load {load_id}) in {out_path}")
    project = ensure_manifest()
    with tempfile.TemporaryDirectory(prefix="salesops-as-of-") as tmp:
        dbt = DbtCliResource(project_dir=project, dbt_executable=child_dbt_executable(Path(tmp)))
        invocation = dbt.cli(
            # unit tests check the SQL on fixed rows, not the data (the test suite runs them),
            # and do not take the history var
            [
                "build",
                "--full-refresh",
                "--exclude-resource-type",
                "unit_test",
                "--vars",
                json.dumps(dbt_vars),
                "--quiet",
            ],
            target_path=Path(tmp) / "target",
            raise_on_error=False,
        )
        invocation.wait()
        if not invocation.is_successful():
            out_path.unlink(missing_ok=True)
            raise SalesOpsError(
                f"rebuilding the marts as of {as_of} failed",
                f"See the dbt output above; the live warehouse {warehouse} is unchanged.",
            )
    return out_path
