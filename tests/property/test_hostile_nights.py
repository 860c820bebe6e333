"""Whole nights on hostile drops, generated: no crash, every file accounted for, and a failed
night leaves the warehouse byte for byte as it was.

Each example takes the shared small night's home (tests/conftest.py) and runs the next night
on a drop whose files hypothesis has spoiled the way real inboxes are spoiled: cut off
mid-row, binary bytes, a file emptied, a header only, hostile rows appended (ids with
invisible and control characters, dates of 1900 and 9999, amounts past any decimal, ragged
rows, quotes and line breaks), a link to a file outside the inbox, a folder named like an
export. Whatever the drop:

* ``run_nightly`` returns a summary (it never raises);
* a failed night leaves ``warehouse.duckdb`` byte-identical to before;
* a successful night records every export file of the drop in ``meta.load_files`` for its
  load, and each loaded file's rows_in = rows_loaded + rows_quarantined; a file not loaded
  (rejected or refused) added no row to raw.

Every run tries one night with all seven spoilings and every hostile row (``ALL_SPOILINGS``)
and generated nights besides: one under CI (``CI`` set, as .ci/run does; the examples are then
derived from the test's name, tests/property/conftest.py), two otherwise. Search harder with
``SALESOPS_PROPERTY_NIGHTS=<generated nights>``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.ops.runner import run_nightly
from tests.conftest import SMALL_NIGHT

#: Whole nights are slow (a dbt build each): few generated examples unless asked for more
#: (SALESOPS_PROPERTY_NIGHTS): one under CI (the environment variable CI set, as .ci/run does),
#: two otherwise, besides the explicit night below (ALL_SPOILINGS), which every run has.
EXAMPLES = int(os.environ.get("SALESOPS_PROPERTY_NIGHTS", "1" if os.environ.get("CI") else "2"))

HOSTILE_ROWS = [
    "\ufeffACC-00001,\u200bname\x00,EMEA,direct,1900-01-01 00:00:00",
    "ORD-\x1b[31m1,ACC-1,REP-1,9999-12-31 00:00:00,paid,CNY,999999999999999999999999.99",
    '"unterminated,quote\n',
    "only,two",
    ",,,,,,,,,,,,,,,,,,,,,,,,",
    "ＡＣＣ-００００１,全角,华东,direct,2026-09-29 10:00:00",
    "=cmd|' /C calc'!A0,+1,-1,@SUM(A1)",
]

SPOILINGS = ["cut", "binary", "empty", "header_only", "append", "link_outside", "folder"]
spoilers = st.sampled_from(SPOILINGS)

#: One night with every spoiling, each on a file of its own (indexes into the drop's sorted
#: export names), and every hostile row appended: whatever the generated examples draw, each
#: branch of `spoil` and each hostile row is tried in every run.
ALL_SPOILINGS = {
    "spoiled": [
        (0, "append"),  # accounts.csv: the hostile rows are written as accounts
        (9, "cut"),  # orders.csv
        (1, "binary"),  # activities.csv
        (2, "empty"),  # capability_scores.csv
        (4, "header_only"),  # leads.csv
        (5, "link_outside"),  # marketing_spend.csv
        (13, "folder"),  # satisfaction_surveys.csv
    ],
    "extra": HOSTILE_ROWS,
}
assert sorted(how for _, how in ALL_SPOILINGS["spoiled"]) == sorted(SPOILINGS)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def spoil(inbox: Path, name: str, how: str, extra: list[str], outside: Path) -> None:
    path = inbox / name
    data = path.read_bytes()
    if how == "cut":
        path.write_bytes(data[: max(1, len(data) * 2 // 3)])
    elif how == "binary":
        path.write_bytes(data[:200] + bytes(range(256)) * 4)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "header_only":
        path.write_bytes(data.split(b"\n", 1)[0] + b"\n")
    elif how == "append":
        path.write_bytes(data + ("\n".join(extra) + "\n").encode("utf-8"))
    elif how == "link_outside":
        path.unlink()
        path.symlink_to(outside)
    elif how == "folder":
        path.unlink()
        path.mkdir()
        (path / "inside.csv").write_bytes(data)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(**ALL_SPOILINGS)
@given(
    spoiled=st.lists(st.tuples(st.integers(0, 10_000), spoilers), min_size=1, max_size=3),
    extra=st.lists(st.sampled_from(HOSTILE_ROWS), min_size=1, max_size=5),
)
def test_a_hostile_night_fails_cleanly_or_accounts_for_every_file(small_night, spoiled, extra):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = shutil.copytree(small_night["home"], root / "home")
        inbox = shutil.copytree(small_night["inbox"], root / "inbox")
        outside = root / "secret.txt"
        outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
        exports = sorted(p.name for p in inbox.iterdir() if p.is_file())
        chosen = {exports[index % len(exports)]: how for index, how in spoiled}
        for name, how in chosen.items():  # one spoiling per file
            spoil(inbox, name, how, extra, outside)
        warehouse = home / "warehouse.duckdb"
        before = sha256(warehouse)

        summary = run_nightly(
            inbox=inbox, home=home, as_of=SMALL_NIGHT + timedelta(days=1), echo=False
        )

        if summary["status"] != "success":
            assert sha256(warehouse) == before, "a failed night changed the warehouse"
            return
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            (load_id,) = con.execute("select max(load_id) from meta.loads").fetchone()
            files = con.execute(
                "select file_name, entity, status, rows_in, rows_loaded, rows_quarantined "
                "from meta.load_files where load_id = ?",
                [load_id],
            ).fetchall()
            recorded = {f[0] for f in files}
            for name in exports:
                assert name in recorded, f"{name} is not accounted for: {files}"
            assert "root:x:0:0" not in repr(files), "a file outside the inbox was read"
            for name, entity, status, rows_in, loaded, quarantined in files:
                if status == "loaded":
                    assert rows_in == loaded + quarantined, (name, rows_in, loaded, quarantined)
                elif status in ("rejected", "refused") and entity:
                    (added,) = con.execute(
                        f"select count(*) from raw.{entity} "
                        "where _load_id = ? and _source_file = ?",
                        [load_id, name],
                    ).fetchone()
                    assert added == 0, f"{name} was {status} but added rows to raw.{entity}"
        finally:
            con.close()
