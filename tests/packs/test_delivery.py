"""Review packs reach their readers, and only theirs: a real SMTP server (aiosmtpd), the
files channel, the delivery ledger (meta.pack_deliveries), no resend, ``resend``."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.packs import render_period
from pipelines.packs.delivery import deliver_packs, load_delivery_config
from tests.packs.support.hand_warehouse import REPS, build_warehouse, extend_warehouse

PERIOD = "2026Q3"
REP_IDS = [r[0] for r in REPS]

# Who manages whom (written into dim_sales_reps below): R001 runs 华东一组 (R002 names
# them) and 华东二组 (R003 names them); R004 runs 华北一组 (R005 names them) and is the
# head of 华东 (R001, its teams' manager, names R004). 华北 has no head in the data: the
# alerts file names its reader; the company readers come from the alerts file too.
MANAGERS = {"R002": "R001", "R003": "R001", "R001": "R004", "R005": "R004"}
EXPECTED = {
    "r001@example.invalid": {"rep-R001", "team-华东一组", "team-华东二组"},
    "r002@example.invalid": {"rep-R002"},
    "r003@example.invalid": {"rep-R003"},
    "r004@example.invalid": {"rep-R004", "team-华北一组", "region-华东"},
    "r005@example.invalid": {"rep-R005"},
    "north@example.invalid": {"region-华北"},
    "ceo@example.invalid": {"company"},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("delivery")
    db = extend_warehouse(build_warehouse(tmp / "warehouse.duckdb"))
    with duckdb.connect(str(db)) as con:
        for rep, manager in MANAGERS.items():
            con.execute(
                "update marts.dim_sales_reps set manager_id = ? where rep_id = ?", [manager, rep]
            )
    packs, _ = render_period(
        db, PERIOD, tmp / "reports" / PERIOD, formats=["xlsx"], workers=1, progress_every=None
    )
    return db, packs


def _config(tmp: Path, port: int | None, files_dir: Path):
    email_channel = (
        f"""  - type: email
    host: 127.0.0.1
    port: {port}
    security: none
    sender: SalesOps <salesops@example.invalid>
"""
        if port
        else ""
    )
    text = f"""channels:
{email_channel}  - type: files
    directory: {files_dir}
packs:
  company: [ceo@example.invalid]
  readers:
    "region:华北": [north@example.invalid]
  formats: [xlsx]
"""
    path = tmp / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return load_delivery_config(path, tmp / "fallback")


def _scope_of_name(name: str) -> str:
    """``review-pack_2026Q3_team-华东一组.xlsx`` -> ``team-华东一组``."""
    assert name.startswith(f"review-pack_{PERIOD}_") and name.endswith(".xlsx"), name
    return name.removeprefix(f"review-pack_{PERIOD}_").removesuffix(".xlsx")


def _check_content(scope: str, data: bytes) -> None:
    """The workbook's About sheet names the scope; a rep's holds no other rep's id."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}
    level, _, scope_id = scope.partition("-")
    if level == "company":
        assert "All regions" in about["Scope"]
    else:
        assert scope_id in about["Scope"], (scope, about["Scope"])
    if level == "rep":
        cells = " ".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        )
        assert [r for r in REP_IDS if r in cells] == [scope_id], scope


def _ledger(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            """select recipient, channel, scope, file_name, ok from meta.pack_deliveries
               order by all"""
        ).fetchall()


def test_each_reader_receives_only_their_scopes_by_email(rendered, inbox, tmp_path):
    db, packs = rendered
    db_copy = tmp_path / "warehouse.duckdb"
    db_copy.write_bytes(db.read_bytes())
    config = _config(tmp_path, inbox.port, tmp_path / "outbox")

    results = deliver_packs(db_copy, packs, config)

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    got: dict[str, set[str]] = {}
    for mail in inbox.received:
        (rcpt,) = mail["rcpt_tos"]  # one reader per mail: nobody sees another's address
        assert mail["message"]["To"] == rcpt
        for part in mail["message"].iter_attachments():
            scope = _scope_of_name(part.get_filename())
            _check_content(scope, part.get_content())
            got.setdefault(rcpt, set()).add(scope)
    assert got == EXPECTED
    # the ledger: one ok row per reader and file on each channel
    ledger = _ledger(db_copy)
    by_email = {(r, _scope_of_name(f)) for r, ch, _, f, ok in ledger if ch == "email" and ok}
    assert by_email == {(r, s) for r, scopes in EXPECTED.items() for s in scopes}


def test_files_channel_gives_each_reader_a_folder_of_their_own(rendered, tmp_path):
    db, packs = rendered
    db_copy = tmp_path / "warehouse.duckdb"
    db_copy.write_bytes(db.read_bytes())
    outbox = tmp_path / "outbox"
    deliver_packs(db_copy, packs, _config(tmp_path, None, outbox))

    got = {
        folder.name: {_scope_of_name(p.name) for p in folder.glob("*.xlsx")}
        for folder in outbox.iterdir()
    }
    assert got == EXPECTED  # a folder per reader, named by the address
    for folder in outbox.iterdir():
        for path in folder.glob("*.xlsx"):
            _check_content(_scope_of_name(path.name), path.read_bytes())


def test_a_scope_without_a_reader_is_reported_not_dropped(rendered, tmp_path):
    db, packs = rendered
    db_copy = tmp_path / "warehouse.duckdb"
    db_copy.write_bytes(db.read_bytes())
    with duckdb.connect(str(db_copy)) as con:
        con.execute("update marts.dim_sales_reps set email = null where rep_id = 'R003'")
    results = deliver_packs(db_copy, packs, _config(tmp_path, None, tmp_path / "outbox"))
    (missing,) = [r for r in results if not r.ok]
    assert missing.scope == "rep:R003" and "no reader" in missing.error
    assert ("(no reader)", "-", "rep:R003", "review-pack_2026Q3_rep-R003.xlsx", False) in _ledger(
        db_copy
    )


def test_a_second_run_sends_nothing_and_resend_sends_again(rendered, inbox, tmp_path):
    db, packs = rendered
    db_copy = tmp_path / "warehouse.duckdb"
    db_copy.write_bytes(db.read_bytes())
    config = _config(tmp_path, inbox.port, tmp_path / "outbox")

    deliver_packs(db_copy, packs, config)
    first = len(inbox.received)
    assert first == sum(len(s) for s in EXPECTED.values())  # a mail per reader and scope

    again = deliver_packs(db_copy, packs, config)
    assert len(inbox.received) == first  # nothing sent twice
    assert again and all(r.skipped for r in again)
    rows = len(_ledger(db_copy))

    deliver_packs(db_copy, packs, config, resend=True)
    assert len(inbox.received) == 2 * first
    assert len(_ledger(db_copy)) == 2 * rows


def test_a_changed_file_is_sent_again(rendered, inbox, tmp_path):
    db, packs = rendered
    db_copy = tmp_path / "warehouse.duckdb"
    db_copy.write_bytes(db.read_bytes())
    config = _config(tmp_path, inbox.port, tmp_path / "outbox")
    rep = next(p for p in packs if p.scope.label == "rep:R002")
    deliver_packs(db_copy, [rep], config)
    assert len(inbox.received) == 1

    changed = tmp_path / rep.files["xlsx"].name
    book = openpyxl.load_workbook(rep.files["xlsx"])  # a re-render with other figures
    book["About"]["B3"] = "corrected"
    book.save(changed)
    rep.files["xlsx"], original = changed, rep.files["xlsx"]
    try:
        deliver_packs(db_copy, [rep], config)
    finally:
        rep.files["xlsx"] = original
    assert len(inbox.received) == 2
    assert inbox.received[1]["rcpt_tos"] == ["r002@example.invalid"]


def test_the_scheduled_quarter_asset_delivers_its_packs(rendered, tmp_path, monkeypatch):
    """The quarterly packs asset (run by its schedule) sends what it rendered, once."""
    import dagster as dg

    from pipelines.core.settings import Settings
    from pipelines.ops.definitions import build_definitions
    from pipelines.packs.defs import build_period_packs
    from pipelines.warehouse.resource import WarehouseResource

    monkeypatch.setenv("SALESOPS_REPORT_FORMATS", "xlsx")
    monkeypatch.setenv("SALESOPS_REPORT_LANGUAGES", "en")
    db, _ = rendered
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").write_bytes(db.read_bytes())
    _config(home, None, home / "outbox")  # HOME/alerts.yaml: files channel + packs section
    graph = build_definitions().resolve_asset_graph()
    dbt_assets = next(
        graph.get(k).assets_def for k in graph.get_all_asset_keys()
        if k.path[-1] == "fct_sales_performance"
    )  # fmt: skip
    quarterly = build_period_packs(dbt_assets, Settings()).assets[1]
    for _ in range(2):  # the second run (a retry of the partition) sends nothing again
        result = dg.materialize(
            [quarterly],
            partition_key="2026-07-01",
            resources={"warehouse": WarehouseResource(home=str(home))},
        )
        assert result.success
    got = {
        folder.name: {_scope_of_name(p.name) for p in folder.glob("*.xlsx")}
        for folder in (home / "outbox").iterdir()
    }
    assert got == EXPECTED
    ledger = _ledger(home / "warehouse.duckdb")
    assert len(ledger) == sum(len(s) for s in EXPECTED.values())  # recorded once each


def test_the_alerts_file_with_a_packs_section_still_loads_its_channels(tmp_path):
    """One HOME/alerts.yaml holds the alert channels and the packs' readers: the alerts read
    their part and leave the packs section to the delivery (it used to fail the nightly
    alerts as an unknown key)."""
    from pipelines.alerts.channels import load_channels

    path = tmp_path / "alerts.yaml"
    path.write_text(
        "channels:\n  - {type: files, name: files, directory: out}\n"
        "packs:\n  company: [ceo@example.cn]\n",
        encoding="utf-8",
    )
    [channel] = load_channels(path, tmp_path / "fallback")
    assert channel.name == "files"
