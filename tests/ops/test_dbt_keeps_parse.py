"""A home's second night does not parse the dbt project again, and builds the same marts as a
night that parses it in full.

Night 1 is the shared small night (tests/conftest.py, home H1). Night 2 (the same drop's first
account renamed, next business date) runs twice: on a copy of H1 with its dbt folder (the
parse night 1 saved; logs emptied, so they are night 2's) and on a copy without it (dbt
parses in full). dbt's log, at debug level (DBT_LOG_LEVEL_FILE), says whether it parsed:
"Unable to do partial parsing" (event UnableToPartialParse) or "no changes found, skipping
parsing" (PartialParsingSkipParsing)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.ops.runner import run_nightly
from tests.conftest import SMALL_NIGHT

NIGHT2 = SMALL_NIGHT + timedelta(days=1)


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
def nights(small_night, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("dbt-keeps-parse")
    inbox = root / "inbox"
    inbox.mkdir()
    header, row = (
        (small_night["inbox"] / "accounts.csv").read_text(encoding="utf-8").splitlines()[:2]
    )
    (inbox / "accounts.csv").write_text(
        f"{header}\n{row.replace(row.split(',')[1], 'Renamed Co.', 1)}\n", encoding="utf-8"
    )
    h1 = small_night["home"]
    kept = root / "kept"
    shutil.copytree(h1, kept, ignore=shutil.ignore_patterns("logs"))
    parsed = root / "parsed"
    shutil.copytree(h1, parsed, ignore=shutil.ignore_patterns("dbt"))
    saved_parse = kept / "dbt" / "target" / "partial_parse.msgpack"
    saved_mtime = saved_parse.stat().st_mtime_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_LOG_LEVEL_FILE", "debug")
        for home in (kept, parsed):
            summary = run_nightly(inbox, home=home, as_of=NIGHT2, echo=False)
            assert summary["status"] == "success", summary.get("error")
    return {
        "kept": kept,
        "parsed": parsed,
        "saved_mtime": saved_mtime,
        "saved_parse": saved_parse,
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
