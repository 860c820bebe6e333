"""What the review packs and the alerts read, from the dbt manifest.

The exposures in ``dbt_project/models/exposures.yml`` (``review_packs``, ``alerts``) declare the
marts each consumer reads; the Dagster assets of the packs and the alerts take their upstream
dbt assets from there, so the asset graph shows what a pack really depends on and no list of
model names is kept in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.transform.fact_fingerprints import load_manifest
from pipelines.transform.project import dbt_project

REVIEW_PACKS = "review_packs"
ALERTS = "alerts"


def exposure_models(manifest: Mapping[str, Any], exposure: str) -> tuple[str, ...]:
    """The names of the models ``exposure`` depends on, sorted."""
    for node in manifest.get("exposures", {}).values():
        if node.get("name") == exposure:
            ids = node.get("depends_on", {}).get("nodes", [])
            return tuple(
                sorted(manifest["nodes"][i]["name"] for i in ids if i.startswith("model."))
            )
    raise KeyError(
        f"the dbt project declares no exposure {exposure!r}: add it to "
        "dbt_project/models/exposures.yml"
    )


def exposure_deps(dbt_assets: dg.AssetsDefinition, exposure: str) -> list[dg.AssetKey]:
    """The asset keys of the dbt models ``exposure`` depends on (from the parsed manifest)."""
    manifest = load_manifest(dbt_project().manifest_path)
    return [get_asset_key_for_model([dbt_assets], m) for m in exposure_models(manifest, exposure)]
