"""Progress lines for people watching a run (stdout, flushed), also kept in the run's
structured log (:mod:`pipelines.core.run_log`), and :func:`printable`, which every text
printed to a terminal goes through."""

from __future__ import annotations

import re
import time

from pipelines.core import run_log

#: Characters a terminal acts on instead of showing: C0 controls (ESC starts the ANSI
#: sequences that move the cursor, recolour or retitle), DEL, C1 controls (0x9b is a one-byte
#: CSI), and the bidirectional overrides and isolates that reorder what is shown.
_OTHERS = r"\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_CONTROLS_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def printable(text: object, keep_newlines: bool = False) -> str:
    """``text`` safe to print: each control character written as its escape (ESC as
    ``\\x1b``), so a file name or a value from an export cannot drive the terminal.
    ``keep_newlines`` keeps line breaks (of a message this program wrote over several lines)."""
    pattern = _CONTROLS_BUT_NEWLINE if keep_newlines else _CONTROLS
    return pattern.sub(_escape, str(text))


def say(step: str, message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [{printable(step)}] {printable(message)}", flush=True)
    run_log.emit("info", step, "progress", message=message)
