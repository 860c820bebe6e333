"""Metric parameters: one YAML file changes the dbt vars of every run, checked up front."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.core.errors import SalesOpsError
from pipelines.core.metric_params import (
    DBT_PROJECT_FILE,
    RUN_CONTEXT_VARS,
    fiscal_year_start_month,
    load_metric_params,
    metric_defaults,
    metric_params_path,
)
from pipelines.demo import generate_drop
from pipelines.ops.runner import run_nightly

AS_OF = date(2026, 9, 30)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_dbt_vars_without_the_run_context():
    shipped = yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8"))["vars"]
    defaults = metric_defaults()
    assert defaults["stage_probabilities"]["proposal"] == shipped["stage_probabilities"]["proposal"]
    assert not set(defaults) & RUN_CONTEXT_VARS
    assert set(defaults) | (set(shipped) & RUN_CONTEXT_VARS) == set(shipped)


def test_default_file_is_home_metrics_yaml_only_when_present(tmp_path: Path):
    assert metric_params_path(tmp_path, None) is None
    (tmp_path / "metrics.yaml").write_text("untouched_days: 10\n", encoding="utf-8")
    assert metric_params_path(tmp_path, None) == tmp_path / "metrics.yaml"
    assert metric_params_path(tmp_path, "/elsewhere.yaml") == Path("/elsewhere.yaml")
    assert load_metric_params(None) == {}


def test_a_partial_mapping_keeps_the_other_defaults(tmp_path: Path):
    path = write(tmp_path, "stage_probabilities:\n  proposal: 0.5\nuntouched_days: 10\n")
    params = load_metric_params(path)
    assert params["untouched_days"] == 10
    # proposal changed; the three other stages keep the shipped 0.1 / 0.2 / 0.7
    assert params["stage_probabilities"] == {
        "qualified": 0.1,
        "discovery": 0.2,
        "proposal": 0.5,
        "negotiation": 0.7,
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("untouched_days: 10\nstale_days: 3\n", 2, "'stale_days' is not a metric parameter"),
        ("untouched_days: ten\n", 1, "'untouched_days' must be a number"),
        ("\n\nstage_probabilities:\n  won: 1\n", 3, "unknown keys ['won']"),
        ("as_of_date: 2026-01-01\n", 1, "set by the pipeline on every run"),
        ("legal_form_suffixes: GmbH\n", 1, "must be a list"),
    ],
)
def test_a_wrong_setting_names_the_file_and_line(tmp_path: Path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(SalesOpsError) as err:
        load_metric_params(path)
    assert f"{path}:{line}:" in err.value.problem
    assert words in err.value.problem
    assert "docs/metrics.md" in err.value.fix or "SALESOPS_" in err.value.fix


def test_the_python_side_reads_the_same_fiscal_year_start(tmp_path: Path):
    shipped = yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8"))["vars"]
    assert fiscal_year_start_month(tmp_path, None) == shipped["fiscal_year_start_month"]
    write(tmp_path, "fiscal_year_start_month: 4\n")
    assert fiscal_year_start_month(tmp_path, None) == 4
    write(tmp_path, "fiscal_year_start_month: 13\n")
    with pytest.raises(SalesOpsError, match="must be a month number 1..12, got 13"):
        fiscal_year_start_month(tmp_path, None)


def test_invalid_yaml_and_a_missing_file_are_clear(tmp_path: Path):
    with pytest.raises(SalesOpsError, match=r"metrics.yaml:2: the metrics file is not valid YAML"):
        load_metric_params(write(tmp_path, "a: 1\n\tb: 2\n"))
    with pytest.raises(SalesOpsError, match="metric parameters file not found"):
        load_metric_params(tmp_path / "nope.yaml")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("drop") / "inbox"
    generate_drop(inbox, seed=3, scale=0.2, end_date=AS_OF)
    return inbox


def test_the_nightly_run_builds_the_marts_with_the_file(inbox: Path, tmp_path: Path):
    """A fiscal year starting in April, set in HOME/metrics.yaml, reaches dbt: fiscal
    quarter 2026Q1 is April to June 2026, and Q3 2026 runs October to December."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "metrics.yaml").write_text("fiscal_year_start_month: 4\n", encoding="utf-8")
    summary = run_nightly(inbox=inbox, home=home, as_of=AS_OF, echo=False)
    assert summary["status"] == "success", summary.get("error")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        quarters = dict(
            con.execute(
                "select period, period_start from marts.fct_sales_performance "
                "where period_type = 'quarter' and level = 'company'"
            ).fetchall()
        )
    assert quarters["2026Q1"] == date(2026, 4, 1)
    assert quarters["2026Q2"] == date(2026, 7, 1)  # holds AS_OF (2026-09-30)
    assert "2026Q3" not in quarters
    # the nightly pack follows the same fiscal calendar: AS_OF is in fiscal 2026Q2
    assert [p.name for p in (home / "reports").iterdir() if p.is_dir()] == ["2026Q2"]


def test_a_wrong_parameter_stops_the_run_before_anything_changes(inbox: Path, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "metrics.yaml").write_text("stage_probabilites: {}\n", encoding="utf-8")
    summary = run_nightly(inbox=inbox, home=home, as_of=AS_OF, echo=False)
    assert summary["status"] != "success"
    assert "'stage_probabilites' is not a metric parameter" in summary["error"]
    assert not (home / "warehouse.duckdb").exists()
