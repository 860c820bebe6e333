"""salesops backup / restore on a real warehouse file."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.core.errors import SalesOpsError, WarehouseBusy
from pipelines.warehouse import lock
from pipelines.warehouse.backup import backup, restore
from pipelines.warehouse.schema import ensure_schema


def make_warehouse(home, loads: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    ensure_schema(con)
    for n in range(1, loads + 1):
        con.execute(
            "insert into meta.loads values (?, ?, ?, 'inbox', now(), now(), 'complete')",
            [n, f"run{n}", date(2026, 9, n)],
        )
    con.close()


def count_loads(home) -> int:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from meta.loads").fetchall()[0][0]
    finally:
        con.close()


def test_backup_then_restore_brings_the_warehouse_back(tmp_path):
    home = tmp_path / "home"
    make_warehouse(home, loads=2)
    info = backup(home)
    assert info.path.parent == home / "backups" and info.loads == 2
    assert info.latest_as_of == "2026-09-02"

    con = duckdb.connect(str(home / "warehouse.duckdb"))  # a later night adds a load
    con.execute("insert into meta.loads values (3, 'run3', '2026-09-03', 'i', now(), now(), 'x')")
    con.close()
    assert count_loads(home) == 3

    restore(home, info.path)
    assert count_loads(home) == 2
    kept = list((home / "backups").glob("pre-restore-*.duckdb"))
    assert len(kept) == 1  # the replaced warehouse is kept, with its 3 loads
    con = duckdb.connect(str(kept[0]), read_only=True)
    assert con.execute("select count(*) from meta.loads").fetchall()[0][0] == 3
    con.close()


def test_backup_refuses_while_a_run_writes(tmp_path):
    home = tmp_path / "home"
    make_warehouse(home, loads=1)
    held = lock.acquire(home)
    try:
        with pytest.raises(WarehouseBusy):
            backup(home)
    finally:
        lock.release(held)
    assert not (home / "backups").exists() or not list((home / "backups").iterdir())


def test_restore_rejects_a_file_that_is_not_a_warehouse(tmp_path):
    home = tmp_path / "home"
    make_warehouse(home, loads=1)
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(SalesOpsError, match="not a readable salesops warehouse"):
        restore(home, bogus)
    assert count_loads(home) == 1


def test_backup_and_restore_commands(tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main

    home = tmp_path / "home"
    make_warehouse(home, loads=1)
    target = tmp_path / "b.duckdb"
    done = CliRunner().invoke(main, ["backup", "--home", str(home), "--to", str(target)])
    assert done.exit_code == 0, done.output
    assert "1 loads" in done.output and target.exists()
    back = CliRunner().invoke(main, ["restore", str(target), "--home", str(home)])
    assert back.exit_code == 0, back.output
