"""A home's second night does not parse the dbt project again, and builds the same marts as a
night that parses it in full.

Night 1 is the shared small night (tests/conftest.py, home H1). Night 2 (the same drop's first
account renamed, a later business date) runs twice: on a copy of H1 with its dbt folder (the
parse night 1 saved; dbt's logs emptied, so they are the later nights'), after a night that
failed before dbt (the shared `small_nights_one_by_one`, test_backfill's nights run one by
one), and on a copy without it (dbt parses in full: the shared `small_next_night`, which
test_dbt_process also reads). dbt's log, at debug level (DBT_LOG_LEVEL_FILE), says whether
it parsed:
"Unable to do partial parsing" (event UnableToPartialParse) or "no changes found, skipping
parsing" (PartialParsingSkipParsing)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest


def dbt_events(home: Path) -> list[str]:
    """The names of the events in the home's dbt logs."""
    names = []
    for log in sorted((home / "dbt" / "logs").glob("dbt.log*")):
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                names.append(json.loads(line)["info"]["name"])
    return names


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every marts relation's rows, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
                " order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f'select * from marts."{n}" order by all').fetchall() for n in names}


@pytest.fixture(scope="module")
def nights(small_nights_one_by_one, small_next_night) -> dict:
    kept, parsed = small_nights_one_by_one, small_next_night
    for run in (kept["runs"][-1], parsed["summary"]):
        assert run["status"] == "success", run.get("error")
    assert kept["runs"][-1]["as_of_date"] == parsed["summary"]["as_of_date"]
    return {
        "kept": kept["home"],
        "parsed": parsed["home"],
        "saved_mtime": kept["saved_mtime"],
        "saved_parse": kept["saved_parse"],
    }


def test_the_second_night_keeps_the_parse(nights) -> None:
    events = dbt_events(nights["kept"])
    assert "UnableToPartialParse" not in events
    assert "PartialParsingSkipParsing" in events
    # the saved parse was read, not written again
    assert nights["saved_parse"].stat().st_mtime_ns == nights["saved_mtime"]


def test_a_home_without_a_saved_parse_parses_in_full(nights) -> None:
    assert "UnableToPartialParse" in dbt_events(nights["parsed"])


def test_its_marts_equal_those_of_a_full_parse(nights) -> None:
    kept = marts(nights["kept"] / "warehouse.duckdb")
    parsed = marts(nights["parsed"] / "warehouse.duckdb")
    assert kept.keys() == parsed.keys()
    assert len(kept) > 20
    assert sum(len(rows) for rows in kept.values()) > 0
    for name in kept:
        assert kept[name] == parsed[name], name


def test_dbt_names_the_runs_database_in_its_artefacts(nights) -> None:
    """The relations of the manifest the build wrote are in the run's copy, not the parse's
    stand-in database."""
    target = nights["kept"] / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    database = Path(results["args"]["vars"]["warehouse_path"]).stem
    databases = {node["database"] for node in manifest["nodes"].values() if node.get("database")}
    assert databases == {database}
