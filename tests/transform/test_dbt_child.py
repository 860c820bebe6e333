"""How the run's dbt parses: the run context vars are stand-ins, everything else as given
(pipelines/transform/dbt_child.py). That a home's next night keeps the parse and builds the
marts of a full parse: tests/ops/test_dbt_keeps_parse.py."""

from __future__ import annotations

import json
import os

from pipelines.transform import dbt_child
from pipelines.transform.dbt_child import PARSE_STAND_INS, database_name, parse_args


def test_the_parse_sees_stand_ins_for_the_run_context_and_the_other_vars_as_given() -> None:
    run_vars = {
        "warehouse_path": "/srv/home/work/0e1e7c2d-d452.duckdb",
        "as_of_date": "2026-09-30",
        "load_id": 12,
        "history_as_of_date": "2026-06-30",
        "reporting_currency": "EUR",
        "trailing_months": 6,
    }
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(run_vars),
        "--log-path",
        "/srv/home/dbt/logs",
        "--target-path=/srv/home/dbt/target",
        "--profile",
        "salesops",
    ]
    parse = parse_args(args, run_vars)
    assert parse[0] == "parse"
    parsed_vars = json.loads(parse[parse.index("--vars") + 1])
    assert parsed_vars == {
        "warehouse_path": PARSE_STAND_INS["warehouse_path"],
        "as_of_date": PARSE_STAND_INS["as_of_date"],
        "load_id": PARSE_STAND_INS["load_id"],
        # what can change the project's nodes stays: the history filter, metric parameters
        "history_as_of_date": "2026-06-30",
        "reporting_currency": "EUR",
        "trailing_months": 6,
    }
    # the same saved parse and logs as the build's, without its selection
    assert parse[parse.index("--log-path") + 1] == "/srv/home/dbt/logs"
    assert parse[parse.index("--target-path") + 1] == "/srv/home/dbt/target"
    assert parse[parse.index("--profile") + 1] == "salesops"
    assert "--exclude-resource-type" not in parse
    # two nights differ only in their run context: the parse is the same
    next_night = {**run_vars, "warehouse_path": "/srv/home/work/9f.duckdb", "load_id": 13}
    assert parse_args(args, next_night) == parse


def test_the_database_is_named_by_the_warehouse_file() -> None:
    assert database_name("/srv/home/work/0e1e7c2d-d452.duckdb") == "0e1e7c2d-d452"
    assert database_name(PARSE_STAND_INS["warehouse_path"]) != "0e1e7c2d-d452"


def test_the_python_models_compute_on_one_thread_unless_told_otherwise(monkeypatch) -> None:
    # dbt runs its models on threads of its own: a BLAS pool per model only spins against them.
    for name in dbt_child.SINGLE_THREADED_MATH:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # what the environment says wins
    assert dbt_child.run(["--version"]) is None  # plain dbt: the caller runs it
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "4"
