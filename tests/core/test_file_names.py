"""Names as file-name parts: readable, stable, and never shared by two names."""

from __future__ import annotations

import pytest

from pipelines.alerts.message import KEY
from pipelines.core.file_names import LIMIT, file_part
from pipelines.packs.scope import Scope

COLLIDING = [
    "North Key Accounts",
    "North Key/Accounts",
    "North Key Accounts?",
    "North_Key_Accounts",
    "North Key\\Accounts",
    "North Key Accounts ",
    "../North Key Accounts",
]


def test_names_that_sanitise_alike_get_distinct_parts():
    parts = [file_part(n) for n in COLLIDING]
    assert len(set(parts)) == len(COLLIDING), parts
    assert all(KEY.match(p) for p in parts)  # usable as an alert key / file name
    assert all("/" not in p and "\\" not in p and ".." not in p for p in parts)


def test_reps_and_teams_of_one_name_family_never_share_an_alert_or_pack_file():
    reps = {file_part(r) for r in ("REP/777", "REP 777", "REP_777", "REP:777")}
    assert len(reps) == 4
    scopes = {Scope.parse(f"team:{n}") for n in COLLIDING}  # a scope's name is trimmed
    assert len({s.slug for s in scopes}) == len({s.scope_id for s in scopes}) == 6


@pytest.mark.parametrize("name", ["华东一组", "R005", "East-A", "v1.2"])
def test_file_safe_names_stay_as_they_are(name):
    assert file_part(name) == name


def test_a_part_is_stable_and_long_names_are_cut_with_their_hash():
    assert file_part("North Key/Accounts") == file_part("North Key/Accounts")
    long = "x" * (LIMIT + 50)
    assert len(file_part(long)) == LIMIT + 9
    assert file_part(long) != file_part(long + "y")
    # a name that already ends like a hash cannot pose as another name's part
    other = file_part("North Key/Accounts")
    assert file_part(other) != other
