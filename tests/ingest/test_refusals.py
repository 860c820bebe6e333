"""The refusal catalogue: every file-level reason the ingest can give is one of its codes, and
docs/data-quality.md lists them all, generated from it."""

from __future__ import annotations

import ast

from pipelines.core import refusals
from pipelines.core.paths import PROJECT_ROOT

PIPELINES = PROJECT_ROOT / "pipelines"


def _calls(name: str):
    for path in sorted(PIPELINES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                yield path.relative_to(PROJECT_ROOT), node


def test_every_file_rejection_names_a_catalogued_reason():
    constants = {
        k for k, v in vars(refusals).items() if isinstance(v, str) and v in refusals.CATALOGUE
    }
    found = []
    for where, call in _calls("FileRejected"):
        reason = next((k.value for k in call.keywords if k.arg == "reason"), None)
        assert isinstance(reason, ast.Attribute), (
            f"{where}:{call.lineno}: FileRejected without reason=refusals.X"
        )
        assert reason.attr in constants, (
            f"{where}:{call.lineno}: {reason.attr} is not in the catalogue"
        )
        found.append(reason.attr)
    assert found


def test_inbox_refusals_are_catalogued():
    for where, call in _calls("_said"):
        assert isinstance(call.args[0], ast.Attribute), where
        assert getattr(refusals, call.args[0].attr) in refusals.CATALOGUE


def test_the_doc_lists_every_reason_generated_from_the_catalogue():
    doc = refusals.DOC_PATH.read_text(encoding="utf-8")
    assert refusals.render(doc) == doc, "run `python -m pipelines.core.refusals`"
    for code, reason in refusals.CATALOGUE.items():
        assert f"`{code}`" in doc and reason.fix.replace("|", "\\|") in doc
