"""The inbox is scanned without following links out of it or reading what is no file."""

from __future__ import annotations

import os
from datetime import date

import pytest

from pipelines.core.errors import SalesOpsError
from pipelines.ingest.drop import register_load, scan_inbox
from tests.ingest.support import new_warehouse, write_export

REPS = "rep_id,rep_name,team,region\nR1,Ann,East A,East\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_links_out_of_the_inbox_pipes_and_folders_are_refused_never_read(tmp_path):
    """A link named targets.csv leading to a file outside the inbox (a secret, /etc/passwd)
    is refused, as are a pipe named orders.csv (reading it would block the night) and a
    folder named payments.csv; a link to a file inside the inbox is read. Each refusal is
    recorded in meta.load_files with its reason, and the secret's content is read nowhere."""
    inbox = tmp_path / "inbox"
    write_export(inbox, "sales_reps.csv", REPS)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret line\n", encoding="utf-8")
    (inbox / "targets.csv").symlink_to(secret)
    os.mkfifo(inbox / "orders.csv")
    (inbox / "payments.csv").mkdir()
    write_export(inbox / "sub", "accounts_real.csv", "x\n")
    (inbox / "accounts.csv").symlink_to(inbox / "sub" / "accounts_real.csv")

    drop = scan_inbox(inbox)
    assert sorted(drop.entity_files) == ["accounts", "sales_reps"]
    assert set(drop.refused) == {"targets.csv", "orders.csv", "payments.csv"}
    assert "outside the inbox" in drop.refused["targets.csv"]
    assert "not a regular file" in drop.refused["orders.csv"]
    assert "not a regular file" in drop.refused["payments.csv"]

    con = new_warehouse(tmp_path / "w.duckdb")
    register_load(con, drop, "run1", date(2026, 3, 2))
    rows = con.execute(
        "select file_name, status, message from meta.load_files where status = 'refused' order by 1"
    ).fetchall()
    assert [r[:2] for r in rows] == [
        ("orders.csv", "refused"),
        ("payments.csv", "refused"),
        ("targets.csv", "refused"),
    ]
    assert not any("secret" in r[2] for r in rows)


def test_an_inbox_that_is_a_file_is_named_as_such(tmp_path):
    not_a_folder = write_export(tmp_path, "orders.csv", "order_id\nO1\n")
    with pytest.raises(SalesOpsError, match="is a file, not a folder") as info:
        scan_inbox(not_a_folder)
    assert "not at one file" in info.value.fix
    with pytest.raises(SalesOpsError, match="does not exist"):
        scan_inbox(tmp_path / "missing")
