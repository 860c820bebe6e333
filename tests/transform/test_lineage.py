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


#: The layers of the dbt project, in the order data flows through them.
LAYERS = ("staging", "intermediate", "marts")
#: Marts kept for one release as views of the mart that replaced them (CHANGELOG).
COMPATIBILITY_VIEWS = {"dq_findings": "fct_dq_findings"}


def test_models_read_only_the_layer_before_them():
    """Sources are read in staging only; staging reads sources, intermediate reads staging and
    intermediate, a mart reads staging and intermediate: no mart is built from another mart
    (a compatibility view aside), so every published figure has one definition upstream."""
    nodes = _manifest()["nodes"]
    models = {n["unique_id"]: n for n in nodes.values() if n["resource_type"] == "model"}
    wrong = []
    for node in models.values():
        layer = node["fqn"][1]
        assert layer in LAYERS, node["original_file_path"]
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                if layer != "staging":
                    wrong.append(f"{node['name']} ({layer}) reads {parent}")
                continue
            if parent not in models:  # seeds, snapshots
                continue
            parent_layer = models[parent]["fqn"][1]
            allowed = {
                "staging": set(),
                "intermediate": {"staging", "intermediate"},
                "marts": {"staging", "intermediate"},
            }[layer]
            if COMPATIBILITY_VIEWS.get(node["name"]) == models[parent]["name"]:
                continue
            if parent_layer not in allowed:
                name = models[parent]["name"]
                wrong.append(f"{node['name']} ({layer}) reads {name} ({parent_layer})")
    assert wrong == []
