"""Untrusted text (file names, values, messages) is printed with its control characters
escaped: an ANSI escape sequence in an export cannot drive the terminal."""

from __future__ import annotations

import pytest

from pipelines.core.errors import FileRejected
from pipelines.core.progress import printable, say
from pipelines.warehouse.run_summary import format_summary

ESC_NAME = "orders\x1b[2J\x1b]0;pwned\x07.csv"


def test_printable_escapes_c0_c1_and_bidi_controls():
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("x\x9by\x7f\u202ez") == "x\\x9by\\x7f\\u202ez"
    assert printable("line\nnext") == "line\\x0anext"
    assert printable("line\nnext\r", keep_newlines=True) == "line\nnext\\x0d"
    assert printable("Zoë 销售 €") == "Zoë 销售 €"


def test_progress_lines_escape_a_file_name(capsys):
    say("ingest orders", f"{ESC_NAME}: rejected")
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "orders\\x1b[2J" in out


def _summary(file_name: str, message: str, value: str) -> dict:
    return {
        "run_id": "r1",
        "status": "success",
        "as_of_date": "2026-09-30",
        "load_id": 1,
        "files": [
            {
                "entity": "orders",
                "file": file_name,
                "status": "rejected",
                "rows_in": 3,
                "rows_loaded": 0,
                "rows_quarantined": 0,
                "rows_refused": 3,
                "rows_unchanged": 0,
                "message": message,
            }
        ],
        "rows_released": 0,
        "quarantined_rows": [
            {"file": file_name, "row": 2, "record_id": value, "rule": "r", "reason": value}
        ],
        "findings_by_rule": [],
        "step_seconds": {},
        "seconds_total": 1.0,
        "report": None,
        "summary_path": "s.json",
    }


def test_the_run_summary_escapes_names_values_and_messages():
    text = format_summary(_summary(ESC_NAME, f"{ESC_NAME}: bad\n  Fix: x", "O\x1b[8m1"))
    assert "\x1b" not in text and "\x07" not in text
    assert "O\\x1b[8m1" in text and "\n      " in text  # the message keeps its lines
    assert "refused" in text.splitlines()[3]


def test_the_cli_error_display_escapes_the_message(monkeypatch, capsys):
    import pipelines.cli as cli

    def boom():
        raise FileRejected(ESC_NAME, "is bad", "fix it", reason="binary")

    monkeypatch.setattr(cli, "main", boom)
    with pytest.raises(SystemExit) as exited:
        cli.entrypoint()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "orders\\x1b[2J" in err
    assert "\n  Fix: fix it" in err
