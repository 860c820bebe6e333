"""The dbt project beside the package: where it is, how dbt is invoked, how its nodes become
Dagster asset keys and groups. Used by the Dagster assets and by the as-of rebuild."""

from __future__ import annotations

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
