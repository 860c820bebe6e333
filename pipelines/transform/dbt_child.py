"""The dbt a run starts (``HOME/dbt/bin/dbt``, see ``project.child_dbt_executable``), which
keeps the project's parse from night to night.

dbt parses the whole project again (5 s for this one) whenever the ``--vars`` of an invocation
or its connection differ from those of the parse it saved (``partial_parse.msgpack``), and
every night differs in three: ``warehouse_path`` (the run's copy, ``HOME/work/<run id>.duckdb``,
whose file name is also the database name in every relation dbt renders), ``as_of_date`` and
``load_id``. Their values are only used when dbt compiles a node's SQL to run it (the macros of
``run_context.sql`` and ``incremental.sql``), never to decide what the project holds: refs,
configs and tests do not depend on them. So a build here

1. parses with those three replaced by fixed stand-ins (``PARSE_STAND_INS``; every other var,
   the metric parameters and ``history_as_of_date`` included, as given): the same from night to
   night, so dbt keeps the saved parse and re-reads only the files that changed (or parses in
   full when dbt, the project or those vars changed: dbt's own partial parsing decides);
2. points the parsed relations from the stand-in database to the run's (``retarget``);
3. runs the command on that manifest (``dbtRunner(manifest=...)``) with the real vars, which
   the SQL is compiled with.

Any other command (``parse``, ``--version``, ``debug`` ...) or an invocation without
``warehouse_path`` is plain dbt.

dbt's log file (``HOME/dbt/logs/dbt.log``) takes events of ``FILE_LOG_LEVEL`` and above unless
``DBT_LOG_LEVEL_FILE`` says otherwise: at dbt's default, debug, it writes every statement and
some twenty events per node, a fifth of a small night's dbt time. ``DBT_LOG_LEVEL_FILE=debug``
in the environment of the run brings them back (to see the SQL a night sent).

The numeric libraries of the Python models (numpy's OpenBLAS under statsmodels) compute on one
thread each (``SINGLE_THREADED_MATH``, unless the environment says otherwise): dbt already runs
its models on threads of their own, and on a busy machine a BLAS thread pool per model spins
against them: the statistical forecast took 2.6 times as long with three builds side by side.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

#: The least severe events dbt's log file takes (unless DBT_LOG_LEVEL_FILE is set).
FILE_LOG_LEVEL = "info"

#: Thread counts of the numeric libraries the Python models load (set unless already set).
SINGLE_THREADED_MATH = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: Commands that run nodes on a parsed manifest.
RUNNING_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "compile"})

#: The run context vars, as the parse sees them: the same every night. (The database name the
#: parse gives every relation comes from the stand-in path: ``retarget`` replaces it.)
PARSE_STAND_INS: dict[str, Any] = {
    "warehouse_path": "salesops_parse.duckdb",
    "as_of_date": "2000-01-01",
    "load_id": 0,
}

#: Options of a running command that the parse must share: where the project, its profile,
#: the saved parse and the logs are.
_SHARED_OPTIONS = (
    "--project-dir",
    "--profiles-dir",
    "--profile",
    "--target",
    "--target-path",
    "--log-path",
)


def _option(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _command(args: Sequence[str]) -> str | None:
    """The dbt sub-command (the first argument that is not an option or an option's value)."""
    from dbt.cli.main import cli

    commands = set(cli.commands)
    return next((a for a in args if a in commands), None)


def parse_args(args: Sequence[str], run_vars: dict[str, Any]) -> list[str]:
    """``dbt parse`` arguments for the running command ``args`` with vars ``run_vars``."""
    parse = ["parse", "--vars", json.dumps({**run_vars, **PARSE_STAND_INS}), "--quiet"]
    parse.append("--no-write-json")  # the build writes manifest.json with the run's relations
    for name in _SHARED_OPTIONS:
        value = _option(args, name)
        if value is not None:
            parse += [name, value]
    return parse


def database_name(warehouse_path: str) -> str:
    """The database name dbt-duckdb derives from a DuckDB file path (its stem)."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    return DuckDBCredentials.path_derived_database_name(warehouse_path)


def _parsed_nodes(manifest) -> Iterable[Any]:
    for collection in (
        manifest.nodes,
        manifest.sources,
        manifest.unit_tests,
        manifest.semantic_models,
    ):
        yield from collection.values()


def retarget(manifest, parsed_database: str, database: str) -> int:
    """Point every node and source of ``manifest`` in ``parsed_database`` at ``database``
    instead (its ``database`` and the database part of its ``relation_name``). Returns how
    many were moved."""
    prefix = f'"{parsed_database}".'
    moved = 0
    for node in _parsed_nodes(manifest):
        if getattr(node, "database", None) != parsed_database:
            continue
        node.database = database
        relation = getattr(node, "relation_name", None)
        if relation and relation.startswith(prefix):
            node.relation_name = f'"{database}".' + relation[len(prefix) :]
        moved += 1
    return moved


def exit_code(result) -> int:
    """dbt's exit code for a ``dbtRunnerResult`` (as the ``dbt`` command line exits)."""
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


def run(args: list[str]) -> int | None:
    """Run a running command with ``warehouse_path`` on the saved parse (module docstring) and
    return dbt's exit code; None for any other invocation (the caller runs plain dbt)."""
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", FILE_LOG_LEVEL)
    for name, value in SINGLE_THREADED_MATH.items():  # before numpy loads (module docstring)
        os.environ.setdefault(name, value)
    command = _command(args)
    raw_vars = _option(args, "--vars")
    if command not in RUNNING_COMMANDS or not raw_vars:
        return None
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner
    from dbt.config.utils import parse_cli_vars

    run_vars = parse_cli_vars(raw_vars)
    if "warehouse_path" not in run_vars:
        return None
    parsed = dbtRunner().invoke(parse_args(args, run_vars))
    if not parsed.success:
        return exit_code(parsed)
    manifest = parsed.result
    retarget(
        manifest,
        database_name(str(PARSE_STAND_INS["warehouse_path"])),
        database_name(str(run_vars["warehouse_path"])),
    )
    reset_adapters()  # the parse's adapter holds the stand-in connection: the build makes its own
    return exit_code(dbtRunner(manifest=manifest).invoke(args))
