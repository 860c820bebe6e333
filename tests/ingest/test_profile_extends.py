"""Profiles that extend another: only what differs, merged onto the parent."""

from __future__ import annotations

import pytest

from pipelines.core.errors import SalesOpsError
from pipelines.ingest.profiles.loader import load_profile

OUR_ORG = """\
profile: our_org
extends: salesforce
defaults: {timezone: Europe/Madrid}
values:
  stage:
    discovery: [需求确认, Discovery Call]
    negotiation: [Contract Review, Legal]
"""


def _vocab(profile, entity, column):
    return {
        v: canonical
        for reading in profile.readings[entity]
        for canonical, variants in reading.values.get(column, {}).items()
        for v in variants
    }


def test_extending_profile_keeps_the_parent_and_adds_only_what_differs(tmp_path):
    path = tmp_path / "our_org.yaml"
    path.write_text(OUR_ORG, encoding="utf-8")
    ours = load_profile(str(path))
    parent = load_profile("salesforce")
    assert ours.profile == "our_org"
    assert ours.defaults.timezone == "Europe/Madrid"
    assert ours.defaults.date_order == parent.defaults.date_order  # inherited
    assert set(ours.own_entities) == set(parent.own_entities)
    stage = _vocab(ours, "opportunities", "stage")
    # the custom names are added, the shipped ones kept
    assert stage["需求确认"] == "discovery" and stage["Discovery Call"] == "discovery"
    assert stage["Legal"] == "negotiation" and stage["Contract Review"] == "negotiation"
    assert stage["Closed Won"] == "won" and stage["Needs Analysis"] == "discovery"
    # top-level values reach every entity with a stage column
    assert _vocab(ours, "opportunity_stage_history", "stage")["Legal"] == "negotiation"
    assert "stage" not in _vocab(ours, "accounts", "stage")


def test_a_child_can_move_a_variant_and_override_an_entity_setting(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text(
        "profile: child\nextends: salesforce\nentities:\n  opportunities:\n"
        "    mode: delta\n    values:\n      stage:\n        discovery: [Qualification]\n",
        encoding="utf-8",
    )
    child = load_profile(str(path))
    assert all(r.mode == "delta" for r in child.readings["opportunities"])
    stage = _vocab(child, "opportunities", "stage")
    assert stage["Qualification"] == "discovery"
    assert stage["Prospecting"] == "qualified"


def test_a_user_profile_can_extend_a_user_profile_by_relative_path(tmp_path):
    (tmp_path / "base.yaml").write_text(OUR_ORG, encoding="utf-8")
    (tmp_path / "team.yaml").write_text(
        "profile: team\nextends: base.yaml\ndefaults: {currency: EUR}\n", encoding="utf-8"
    )
    team = load_profile(str(tmp_path / "team.yaml"))
    assert team.defaults.currency == "EUR" and team.defaults.timezone == "Europe/Madrid"
    assert _vocab(team, "opportunities", "stage")["Legal"] == "negotiation"


def test_extends_cycle_and_unknown_parent_name_the_file_and_fix(tmp_path):
    (tmp_path / "a.yaml").write_text("profile: a\nextends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("profile: b\nextends: a.yaml\n", encoding="utf-8")
    with pytest.raises(SalesOpsError) as err:
        load_profile(str(tmp_path / "a.yaml"))
    assert "cycle" in str(err.value) and "a.yaml -> " in str(err.value)
    assert err.value.fix and "extends" in err.value.fix

    (tmp_path / "c.yaml").write_text("profile: c\n\nextends: salesfarce\n", encoding="utf-8")
    with pytest.raises(SalesOpsError) as err:
        load_profile(str(tmp_path / "c.yaml"))
    assert "c.yaml:3: extends 'salesfarce'" in str(err.value)
    assert "salesforce" in err.value.fix


def test_top_level_values_for_a_column_no_entity_has_is_an_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "profile: bad\nextends: salesforce\nvalues:\n  stag:\n    won: [Signed]\n",
        encoding="utf-8",
    )
    with pytest.raises(SalesOpsError) as err:
        load_profile(str(path))
    assert "bad.yaml:4: values.stag" in str(err.value)
