"""The dbt project beside the package: where it is, how dbt is invoked, how its nodes become
Dagster asset keys and groups. Used by the Dagster assets and by the as-of rebuild.

The project folder is code: a run writes nothing into it. Its ``target/manifest.json`` (what
Dagster's asset graph is built from) is a build artefact, parsed when missing or stale
(``ensure_manifest``); everything dbt writes while a run builds (compiled SQL,
``run_results.json``, ``partial_parse.msgpack``, its logs) goes under the warehouse home,
``HOME/dbt/`` (``dbt_paths``), and dbt runs as a child that dies with its parent
(``child_dbt_executable``).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject

from pipelines.core.paths import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt installed beside this Python (works without an activated venv)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


#: What a home's dbt writes: ``target`` (artefacts and the partial-parse cache, kept from run to
#: run so dbt re-reads only the files that changed) and ``logs`` (dbt.log).
DBT_HOME_FOLDER = "dbt"


def dbt_paths(home: Path) -> tuple[Path, Path]:
    """The target path and log path of the runs of ``home``."""
    root = Path(home) / DBT_HOME_FOLDER
    return root / "target", root / "logs"


# The dbt child asks Linux to SIGKILL it when the thread that started it dies, and exits at once
# when that already happened (its parent, whose pid the shell passes, is gone), so a run killed
# with SIGKILL leaves no dbt behind building into its abandoned copy. A build keeps the project's
# parse from night to night (dbt_child). Anything else is plain dbt.
_CHILD_CODE = """\
import os, signal, sys
if sys.platform == "linux":
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(os.environ.get("SALESOPS_DBT_PARENT", os.getppid())):
        sys.exit(137)
if sys.argv[1:] == ["--version"]:  # what dagster-dbt asks each run: no look-up of releases
    from dbt.version import __version__
    print(f"Core:\\n  - installed: {__version__}")
    sys.exit(0)
from pipelines.transform.dbt_child import run
code = run(sys.argv[1:])  # on the saved parse: pipelines/transform/dbt_child.py
if code is not None:
    sys.exit(code)
from dbt.cli.main import cli
sys.exit(cli())
"""


def child_dbt_executable(folder: Path) -> str:
    """A ``dbt`` for dagster-dbt to start (``folder/bin/dbt``; runs: ``HOME/dbt``): this
    Python's dbt, which dies with the process that started it. Written when missing or
    different."""
    script = Path(folder) / "bin" / "dbt"
    text = (
        "#!/bin/sh\n# Written by salesops (pipelines/transform/project.py): dbt, dying with its"
        " parent.\n"
        f"SALESOPS_DBT_PARENT=$PPID exec {shlex.quote(sys.executable)} -c "
        f'{shlex.quote(_CHILD_CODE)} "$@"\n'
    )
    if not script.exists() or script.read_text(encoding="utf-8") != text:
        script.parent.mkdir(parents=True, exist_ok=True)
        partial = script.with_suffix(".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.chmod(0o755)
        partial.replace(script)
    return str(script)


class RunDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without the dbt adapter it opens in the run's own process before
    each invocation (dbt's profile, project and adapter loaded there, about 2 s): dagster-dbt
    uses that handle only to fetch row counts and column metadata
    (``fetch_row_counts()``, ``fetch_column_metadata()``), which the runs do not ask for; without
    it dagster-dbt proceeds as when the handle fails."""

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's hook)
        return None


def run_dbt_resource(dbt: DbtCliResource, home: Path, target: str | None = None) -> DbtCliResource:
    """``dbt`` as the runs of ``home`` invoke it: the same project and profile, started as a
    child that dies with the run (``child_dbt_executable``), with no adapter handle in the
    run's process (``RunDbtCliResource``); on ``target`` when given (a Spark night's
    ``spark`` / ``spark_thrift``), else the resource's."""
    return RunDbtCliResource(
        project_dir=dbt.project_dir,
        profiles_dir=dbt.profiles_dir,
        profile=dbt.profile,
        target=target or dbt.target,
        global_config_flags=list(dbt.global_config_flags),
        dbt_executable=child_dbt_executable(Path(home) / DBT_HOME_FOLDER),
    )


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "snapshots", "seeds"):
        path = DBT_PROJECT_DIR / folder
        if path.exists():
            watched += [p for p in path.rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in watched if p.exists())


def ensure_manifest() -> DbtProject:
    """Parse the dbt project when its manifest is missing or older than its files."""
    project = dbt_project()
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


class SalesOpsDbtTranslator(DagsterDbtTranslator):
    """Groups from the model's folder (staging / intermediate / marts); owners from meta."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)
