"""Lineage from the dbt manifest: the exposures name exactly the marts the packs and alerts
read, and the Dagster assets of the packs and alerts depend on exactly those dbt assets."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from pipelines.core.paths import PROJECT_ROOT
from pipelines.ops.definitions import build_definitions
from pipelines.packs.sections import PACK_MARTS
from pipelines.transform.fact_fingerprints import load_manifest
from pipelines.transform.lineage import ALERTS, REVIEW_PACKS, exposure_models
from pipelines.transform.project import ensure_manifest


def _manifest() -> dict:
    return load_manifest(ensure_manifest().manifest_path)


def _marts_queried(folder: str) -> set[str]:
    """Every ``marts.<name>`` the SQL of a package names."""
    text = "\n".join(p.read_text() for p in (PROJECT_ROOT / folder).rglob("*.py"))
    return set(re.findall(r"\bmarts\.(\w+)", text))


def test_the_review_packs_exposure_is_what_the_sections_read():
    assert exposure_models(_manifest(), REVIEW_PACKS) == tuple(sorted(PACK_MARTS))
    assert _marts_queried("pipelines/packs") <= set(PACK_MARTS)


def test_the_alerts_exposure_is_what_the_alerts_query():
    assert set(exposure_models(_manifest(), ALERTS)) == _marts_queried("pipelines/alerts")


def test_an_unknown_exposure_names_the_file_to_fix():
    with pytest.raises(KeyError, match="dbt_project/models/exposures.yml"):
        exposure_models(_manifest(), "no_such_consumer")


def test_pack_and_alert_assets_depend_on_their_exposures():
    manifest = _manifest()
    graph = build_definitions().resolve_asset_graph()

    def upstream_models(key: dg.AssetKey) -> set[str]:
        return {k.path[-1] for k in graph.get(key).parent_keys}

    packs = set(exposure_models(manifest, REVIEW_PACKS))
    assert upstream_models(dg.AssetKey(["reports", "quarterly_review_pack"])) == packs
    assert upstream_models(dg.AssetKey(["reports", "monthly_review_packs"])) == packs
    assert upstream_models(dg.AssetKey(["reports", "quarterly_review_packs"])) == packs
    alerts = set(exposure_models(manifest, ALERTS))
    assert upstream_models(dg.AssetKey(["alerts", "data_quality_alerts"])) == alerts
