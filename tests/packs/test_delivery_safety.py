"""Pack delivery writes its ledger (meta.pack_deliveries) as a nightly run writes: under the
warehouse writer lock, and all-or-nothing. A delivery killed mid-way leaves the warehouse
byte-for-byte as it was; a delivery while a run holds the lock waits for it, or fails having
sent nothing, with the fix. Real SMTP server (aiosmtpd), real DuckDB file, a real
``kill -9`` of the delivering process."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.core.errors import WarehouseBusy
from pipelines.packs.delivery import deliver_packs, load_delivery_config
from pipelines.packs.render import RenderedPack
from pipelines.packs.scope import Scope
from pipelines.warehouse import lock
from pipelines.warehouse.schema import ensure_schema
from tests.support.smtp import Inbox

PERIOD = "2026Q3"
REPS = [  # rep_id, email, team, region, manager_id
    ("R001", "r001@example.invalid", "East 1", "East", None),
    ("R002", "r002@example.invalid", "East 1", "East", "R001"),
    ("R003", "r003@example.invalid", "East 1", "East", "R001"),
]
SCOPES = ["rep:R001", "rep:R002", "rep:R003", "company"]


def kill_at(pid: int, mail: int) -> Callable[[Inbox], None]:
    """``Inbox.on_mail``: kill process ``pid`` when the ``mail``-th mail arrives (0: never)."""

    def on_mail(inbox: Inbox) -> None:
        if mail and len(inbox.received) == mail:
            os.kill(pid, signal.SIGKILL)

    return on_mail


@pytest.fixture
def home(tmp_path, inbox) -> Path:
    """HOME with a published warehouse (every meta table, three reps), the rendered files of
    four scopes and an alerts file: the email channel of ``inbox`` and the company reader."""
    home = tmp_path / "home"
    (home / "reports" / PERIOD).mkdir(parents=True)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        ensure_schema(con)
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_sales_reps "
            "(rep_id varchar, email varchar, team varchar, region varchar, manager_id varchar)"
        )
        con.executemany("insert into marts.dim_sales_reps values (?, ?, ?, ?, ?)", REPS)
        con.execute("checkpoint")
    for label in SCOPES:
        slug = label.replace(":", "-")
        (home / "reports" / PERIOD / f"review-pack_{PERIOD}_{slug}.pdf").write_bytes(
            f"%PDF-1.7 pack of {label}".encode()
        )
    (home / "alerts.yaml").write_text(
        f"""channels:
  - type: email
    host: 127.0.0.1
    port: {inbox.port}
    security: none
    sender: SalesOps <salesops@example.invalid>
packs:
  company: [ceo@example.invalid]
  formats: [pdf]
""",
        encoding="utf-8",
    )
    return home


def packs(home: Path) -> list[RenderedPack]:
    out = []
    for label in SCOPES:
        slug = label.replace(":", "-")
        path = home / "reports" / PERIOD / f"review-pack_{PERIOD}_{slug}.pdf"
        out.append(
            RenderedPack(PERIOD, Scope.parse(label), "en", f"{label} {PERIOD}", {"pdf": path})
        )
    return out


def config(home: Path):
    return load_delivery_config(home / "alerts.yaml", home / "outbox")


def state(home: Path) -> tuple[str, list[str]]:
    """The live warehouse as a reader finds it: its bytes, and any write-ahead log beside it."""
    live = home / "warehouse.duckdb"
    return hashlib.sha256(live.read_bytes()).hexdigest(), sorted(
        p.name for p in home.glob("warehouse.duckdb.*")
    )


def ledger(home: Path) -> list[tuple]:
    """The ledger's mail rows (the files channel every delivery keeps records its own)."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            """select scope, recipient, file_name, ok from meta.pack_deliveries
               where channel_type = 'email' order by all"""
        ).fetchall()


#: The delivery, in a process of its own (so that it can be killed).
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path

    home, kill_before_publish = Path(sys.argv[1]), sys.argv[2] == "1"
    live = home / "warehouse.duckdb"
    if kill_before_publish:  # die just before the one rename that publishes the ledger
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst) == live:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace
    from tests.packs.test_delivery_safety import config, deliver_packs, packs

    results = deliver_packs(live, packs(home), config(home))
    print(json.dumps([r.ok for r in results]))
    """
)


def run_child(home: Path, inbox: Inbox, kill_at_mail: int = 0, kill_before_publish=False):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), "1" if kill_before_publish else "0"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    inbox.on_mail = kill_at(proc.pid, kill_at_mail)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def test_a_delivery_killed_midway_leaves_the_warehouse_as_it_was(home, inbox):
    before = state(home)
    # killed while sending (after the 2nd mail), then once every row is in its copy
    for kill_at_mail, kill_before_publish in ((2, False), (0, True)):
        sent = len(inbox.received)
        code, _, err = run_child(home, inbox, kill_at_mail, kill_before_publish)
        assert code == -signal.SIGKILL, (kill_at_mail, kill_before_publish, err)
        assert state(home) == before  # not a byte changed, no log to replay
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from meta.pack_deliveries").fetchone() == (0,)
        assert len(inbox.received) - sent == (2 if kill_at_mail else len(SCOPES))

    sent_before = len(inbox.received)
    # the next delivery (killed copies are debris) sends everything and records all of it
    inbox.on_mail = None
    results = deliver_packs(home / "warehouse.duckdb", packs(home), config(home))
    assert all(r.ok and not r.skipped for r in results)
    assert len(inbox.received) == sent_before + len(SCOPES)
    expected = {  # each scope's reader, worked out from REPS: the reps, R001 runs the team
        ("rep:R001", "r001@example.invalid"),
        ("rep:R002", "r002@example.invalid"),
        ("rep:R003", "r003@example.invalid"),
        ("company", "ceo@example.invalid"),
    }
    assert {(s, r) for s, r, _, ok in ledger(home) if ok} == expected
    assert len(ledger(home)) == len(expected)
    assert list((home / "work").glob("*.duckdb*")) == []


def test_a_delivery_while_a_run_holds_the_lock_fails_having_sent_nothing(home, inbox):
    before = state(home)
    held = lock.acquire(home)  # a nightly run is writing
    try:
        with pytest.raises(WarehouseBusy) as info:
            deliver_packs(home / "warehouse.duckdb", packs(home), config(home))
    finally:
        lock.release(held)
    assert inbox.received == []
    assert state(home) == before
    message = str(info.value)
    assert f"review packs of {PERIOD} were not sent" in message
    assert "nothing was sent" in message
    assert "materialise the pack partition again" in message and "lock_wait_seconds" in message


def test_a_delivery_waits_for_the_run_holding_the_lock(home, inbox):
    held = lock.acquire(home)
    with pytest.raises(WarehouseBusy):  # a short wait is not enough
        deliver_packs(home / "warehouse.duckdb", packs(home), config(home), lock_wait_seconds=0.3)
    released = threading.Event()

    def night_ends() -> None:
        time.sleep(1.0)
        released.set()
        lock.release(held)

    threading.Thread(target=night_ends).start()
    results = deliver_packs(
        home / "warehouse.duckdb", packs(home), config(home), lock_wait_seconds=60
    )
    assert released.is_set()  # nothing was sent before the night had finished
    assert all(r.ok for r in results)
    assert len(inbox.received) == len(SCOPES)
    assert len(ledger(home)) == len(SCOPES)
    # published closed: no write-ahead log left beside the live file
    assert sorted(p.name for p in home.glob("warehouse.duckdb.*")) == []
