"""The rule tables of docs/data-quality.md, generated from the rule catalogue.

Run ``python -m pipelines.ingest.checks.rules_doc``: it rewrites the parts of the doc
between ``<!-- rules:<part> ... -->`` and ``<!-- end rules:<part> -->`` (the families, and the
rules of each stage); the prose around them is written by hand. Threshold defaults are read
from ``dbt_project/dbt_project.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines.core.paths import DBT_PROJECT_DIR, PROJECT_ROOT
from pipelines.ingest.checks.catalogue import FAMILIES, ROUTES, Rule, catalogue

DOC_PATH = PROJECT_ROOT / "docs" / "data-quality.md"
DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"
_PART = re.compile(
    r"(<!-- rules:(?P<part>[a-z_]+)[^>]*-->\n)(?P<body>.*?)(<!-- end rules:(?P=part) -->)", re.S
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def dbt_var_defaults(path: Path = DBT_PROJECT_FILE) -> dict[str, object]:
    """The dbt project's vars and their defaults."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}


def _var(name: str, defaults: dict[str, object]) -> str:
    value = defaults.get(name)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return f"`{name}` ({value})"
    return f"`{name}`"


def _families(rules: dict[str, Rule]) -> str:
    lines = ["| family | what it finds | at ingest | in dbt |", "|---|---|---|---|"]
    for family, what in FAMILIES.items():
        members = [r for r in rules.values() if r.family == family]
        ingest = ", ".join(f"`{r.id}`" for r in members if r.at_ingest)
        dbt = ", ".join(f"`{r.id}`" for r in members if not r.at_ingest)
        lines.append(f"| {family} | {what} | {ingest} | {dbt} |")
    return "\n".join(lines) + "\n"


def _stage(rules: dict[str, Rule], stage: str, defaults: dict[str, object]) -> str:
    dbt = stage == "dbt"
    last = "threshold vars" if dbt else "how the owner fixes it"
    lines = [
        f"| rule | family | severity | routed to | what it means | {last} |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules.values():
        if r.stage != stage:
            continue
        end = ", ".join(_var(v, defaults) for v in r.vars) if dbt else r.en.fix
        lines.append(
            f"| `{r.id}` | {r.family} | {r.severity} | {ROUTES[r.routes_to]} | "
            f"{_cell(r.meaning)} | {_cell(end)} |"
        )
    return "\n".join(lines) + "\n"


def render_part(part: str, rules: dict[str, Rule], defaults: dict[str, object]) -> str:
    if part == "families":
        return _families(rules)
    return _stage(rules, part, defaults)


def render(text: str | None = None) -> str:
    """docs/data-quality.md (``text``, default: the file) with its rule tables regenerated."""
    text = DOC_PATH.read_text(encoding="utf-8") if text is None else text
    rules, defaults = catalogue(), dbt_var_defaults()
    return _PART.sub(
        lambda m: m.group(1) + render_part(m.group("part"), rules, defaults) + m.group(4), text
    )


def parts(text: str) -> list[str]:
    """The generated parts a doc's ``text`` holds, in order."""
    return [m.group("part") for m in _PART.finditer(text)]


if __name__ == "__main__":
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
