"""Metric parameters: the dbt vars of dbt_project/dbt_project.yml, set from one file.

The shipped defaults (stage probabilities, payment terms, ABC thresholds, scorecard weights,
data-quality thresholds, the fiscal year start ...) live, documented, under ``vars:`` in
dbt_project.yml; docs/metrics.md lists them. A deployment changes them in one YAML file,
``SALESOPS_METRICS_CONFIG`` (default HOME/metrics.yaml when it exists), e.g.::

    fiscal_year_start_month: 4
    stage_probabilities: {qualified: 0.15, discovery: 0.25, proposal: 0.5, negotiation: 0.8}

Every run passes those values to dbt. A name that is not a parameter, or a value of the
wrong kind, stops the run before anything changes, naming the file and line. The nightly run
records every parameter in force (``meta.metric_params``, one row per business date, under its
load) when it publishes (:func:`pipelines.warehouse.runs.record_metric_params`), so a past date
is rebuilt with the parameters of that date (:mod:`pipelines.transform.as_of`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipelines.core.errors import SalesOpsError
from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.yaml_source import line_of, parse_yaml

DBT_PROJECT_FILE = PROJECT_ROOT / "dbt_project" / "dbt_project.yml"

#: Vars the pipeline sets itself on every run (from its settings and the run).
RUN_CONTEXT_VARS = frozenset(
    {
        "warehouse_path",
        "as_of_date",
        "load_id",
        "business_timezone",
        "reporting_currency",
        "history_as_of_date",
    }
)

_FIX = (
    "Use the parameter names and kinds listed in docs/metrics.md (Parameters), "
    "or remove the setting to keep the default."
)


def metric_params_path(home: Path, configured: str | None) -> Path | None:
    """The parameters file: the setting, else HOME/metrics.yaml when it exists."""
    if configured:
        return Path(configured)
    default = Path(home) / "metrics.yaml"
    return default if default.is_file() else None


def metric_defaults(project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """The metric parameters (every var but the run context) with their shipped defaults."""
    content = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in (content.get("vars") or {}).items() if k not in RUN_CONTEXT_VARS}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def load_metric_params(path: Path | None, project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """The overrides of ``path`` (empty when None), checked against the shipped parameters."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise SalesOpsError(
            f"metric parameters file not found: {path}",
            "Create it, or unset SALESOPS_METRICS_CONFIG to use the defaults.",
        )
    data, tree = parse_yaml(path.read_text(encoding="utf-8"), str(path), "the metrics file", _FIX)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SalesOpsError(f"{path}: expected 'parameter: value' lines, got {_kind(data)}", _FIX)
    defaults = metric_defaults(project_file)
    for name, value in data.items():
        where = f"{path}:{line_of(tree, (name,)) or 1}"
        if name in RUN_CONTEXT_VARS:
            raise SalesOpsError(
                f"{where}: {name!r} is set by the pipeline on every run, not here",
                "Set it through its SALESOPS_ setting (see README) instead.",
            )
        if name not in defaults:
            known = ", ".join(sorted(defaults))
            raise SalesOpsError(
                f"{where}: {name!r} is not a metric parameter", f"{_FIX} Known: {known}."
            )
        want, got = _kind(defaults[name]), _kind(value)
        if want != got:
            raise SalesOpsError(
                f"{where}: {name!r} must be a {want} (default {defaults[name]!r}), got {value!r}",
                _FIX,
            )
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(defaults[name]))
            if unknown:
                raise SalesOpsError(
                    f"{where}: {name!r} has unknown keys {unknown}; "
                    f"its keys are {sorted(defaults[name])}",
                    _FIX,
                )
    # a mapping replaces the whole dbt var: keep the defaults of the keys not given
    return {
        name: {**defaults[name], **value} if isinstance(value, dict) else value
        for name, value in data.items()
    }


def params_in_force(overrides: dict[str, Any]) -> dict[str, Any]:
    """Every metric parameter as a run with these overrides uses it: the defaults, then them."""
    return metric_defaults() | overrides


def effective_params(home: Path, configured: str | None) -> dict[str, Any]:
    """Every metric parameter as the runs use it: the defaults, overridden by the file."""
    return metric_defaults() | load_metric_params(metric_params_path(home, configured))


def fiscal_year_start_month(home: Path, configured: str | None) -> int:
    """The first month of the fiscal year the marts' quarters and years follow."""
    value = effective_params(home, configured)["fiscal_year_start_month"]
    if not isinstance(value, int) or not 1 <= value <= 12:
        raise SalesOpsError(
            f"fiscal_year_start_month must be a month number 1..12, got {value!r}",
            "Fix it in the metrics file (HOME/metrics.yaml) or dbt_project/dbt_project.yml.",
        )
    return value
