"""The salesops command line: exit codes and messages a user acts on."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipelines.cli import main


def test_run_with_missing_inbox_fails_naming_step_and_fix(tmp_path):
    home = tmp_path / "home"
    result = CliRunner().invoke(
        main,
        ["run", "--inbox", str(tmp_path / "nowhere"), "--home", str(home), "--as-of", "2026-09-30"],
    )
    assert result.exit_code == 1, result.output
    assert "failed step: raw__drop" in result.output
    assert "does not exist" in result.output and "Fix:" in result.output
    assert not (home / "warehouse.duckdb").exists()
    summaries = list((home / "runs").glob("*/summary.json"))
    assert len(summaries) == 1
    assert json.loads(summaries[0].read_text())["status"] == "failed"


def test_run_rejects_a_malformed_date(tmp_path):
    result = CliRunner().invoke(main, ["run", "--inbox", str(tmp_path), "--as-of", "30/09/2026"])
    assert result.exit_code == 2
    assert "not a date like 2026-09-30" in result.output


def test_report_needs_a_warehouse_and_a_quarter(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["report", "--home", str(tmp_path), "--quarter", "2026-Q3"])
    assert bad.exit_code == 2 and "2026Q3" in bad.output
    missing = runner.invoke(main, ["report", "--home", str(tmp_path), "--quarter", "2026Q3"])
    assert missing.exit_code == 1 and "salesops run" in missing.output


def test_demo_data_is_reproducible_from_the_command_line(tmp_path):
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(
            main, ["demo-data", str(tmp_path / name), "--seed", "3", "--scale", "0.1"]
        )
        assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    import fcntl

    # A held lock is transient: the run retries (quickly here) and then gives up clearly.
    monkeypatch.setenv("SALESOPS_RETRY_DELAY_SECONDS", "0.05")
    home = tmp_path / "home"
    home.mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "sales_reps.csv").write_text("rep_id,rep_name,team,region\nR1,A,T,R\n")
    with (home / "warehouse.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds the warehouse
        result = CliRunner().invoke(
            main, ["run", "--inbox", str(inbox), "--home", str(home), "--as-of", "2026-09-30"]
        )
    assert result.exit_code == 1, result.output
    assert "another run is writing to the warehouse" in result.output
    assert "retry" in result.output
    assert "Fix:" in result.output
    assert not (home / "warehouse.duckdb").exists()


def test_run_refuses_a_business_date_outside_the_partitions(tmp_path):
    runner = CliRunner()
    args = ["run", "--inbox", str(tmp_path), "--home", str(tmp_path / "home"), "--as-of"]
    future = runner.invoke(main, [*args, "2099-01-01"])
    assert future.exit_code == 1
    assert "business date 2099-01-01 is not over yet in Asia/Shanghai" in str(future.exception)
    early = runner.invoke(main, [*args, "2019-12-31"])
    assert "before the first partition of the nightly job (2020-01-01)" in str(early.exception)
    assert "SALESOPS_PARTITIONS_START" in early.exception.fix
    assert not (tmp_path / "home").exists()
