"""Render docs/metrics.md from the dbt project: `python -m pipelines.transform.metrics_doc`.

Every metric is defined once, in dbt: the SQL computes it and the model yml documents it
(grain, formula, parameters), often through ``{% docs %}`` blocks. This page is generated
from those same yml files, doc blocks and the commented ``vars:`` of dbt_project.yml, so the
docs for readers outside dbt are never written twice. A test keeps the page in step.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from pipelines.core.paths import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt_project"
DOC_PATH = PROJECT_ROOT / "docs" / "metrics.md"

_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
_DOC_REF = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")
_SECTION = re.compile(r"^\s*#\s*---\s*(.+?)\s*---\s*$")

INTRO = """# Metrics and marts

<!-- Generated from dbt_project/ (model yml, doc blocks, dbt_project.yml vars) by
`python -m pipelines.transform.metrics_doc`; do not edit. -->

Every number in the review packs and alerts comes from a table in the `marts` schema of the
warehouse file. Each table and column is listed below with its grain and formula, exactly as
the dbt project documents it (the same text appears in `dbt docs`). Amounts are in the
reporting currency (`SALESOPS_REPORTING_CURRENCY`, default CNY) unless a column says otherwise;
dates are local dates in the business timezone. The formulas follow the product's domain
specification; where it leaves a choice open, the parameter that sets it is listed under
[Parameters](#parameters).

To browse the same documentation with lineage graphs, run
`dbt docs generate --project-dir dbt_project --profiles-dir dbt_project` and then
`dbt docs serve --project-dir dbt_project --profiles-dir dbt_project`.
"""


def doc_blocks(models_dir: Path) -> dict[str, str]:
    """``{% docs name %}`` blocks of every .md file under ``models_dir``."""
    blocks: dict[str, str] = {}
    for path in sorted(models_dir.rglob("*.md")):
        for name, body in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            if name in blocks:
                raise ValueError(f"{path}: doc block {name!r} is defined twice")
            blocks[name] = body.strip()
    return blocks


def resolve(text: str | None, blocks: dict[str, str]) -> str:
    """Replace ``{{ doc('x') }}`` with block x (an unknown name is an error, as in dbt)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in blocks:
            raise ValueError(f"description refers to missing doc block {name!r}")
        return blocks[name]

    return _DOC_REF.sub(one, (text or "").strip())


def _cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def mart_models(models_dir: Path) -> list[dict]:
    """Model entries of every yml file under ``models_dir/marts``, sorted by name."""
    models = []
    for path in sorted((models_dir / "marts").rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        models.extend(content.get("models") or [])
    names = [m["name"] for m in models]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"models documented twice under marts/: {', '.join(twice)}")
    return sorted(models, key=lambda m: m["name"])


def var_docs(project_file: Path) -> list[tuple[str, list[tuple[str, object, str]]]]:
    """Sections of ``vars:`` as (section, [(var, default, comment)]), in file order.

    A var's comment is the run of ``#`` lines right above it; ``# --- name ---`` lines open
    a section. Defaults come from the parsed YAML, so they are the ones dbt uses.
    """
    text = project_file.read_text(encoding="utf-8")
    defaults = (yaml.safe_load(text) or {}).get("vars") or {}
    sections: list[tuple[str, list[tuple[str, object, str]]]] = [("general", [])]
    comment: list[str] = []
    in_vars = False
    for line in text.splitlines():
        if not in_vars:
            in_vars = line.rstrip() == "vars:"
            continue
        if line and not line.startswith(" ") and not line.startswith("#"):
            break  # next top-level key
        section = _SECTION.match(line)
        if section:
            sections.append((section.group(1), []))
            comment = []
        elif re.match(r"^  #", line):
            comment.append(line.strip()[1:].strip())
        elif m := re.match(r"^  (\w+):", line):
            name = m.group(1)
            sections[-1][1].append((name, defaults.get(name), " ".join(comment)))
            comment = []
        elif not line.strip():
            comment = []
    return [(title, items) for title, items in sections if items]


def _default(value: object) -> str:
    if isinstance(value, str):
        return f"`{value}`"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def render(dbt_dir: Path = DBT_DIR) -> str:
    models_dir = dbt_dir / "models"
    blocks = doc_blocks(models_dir)
    models = mart_models(models_dir)
    parts = [INTRO, "## Tables\n", "| table | what it holds |", "|---|---|"]
    for model in models:
        first = resolve(model.get("description"), blocks).split(". ")[0].rstrip(".")
        parts.append(f"| [`{model['name']}`](#{model['name']}) | {_cell(first)}. |")
    parts.append("")
    for model in models:
        parts.append(f"## {model['name']}\n")
        parts.append(" ".join(resolve(model.get("description"), blocks).split()))
        parts.append("")
        columns = model.get("columns") or []
        if columns:
            parts += ["| column | meaning and formula |", "|---|---|"]
            for column in columns:
                text = resolve(column.get("description"), blocks)
                parts.append(f"| `{column['name']}` | {_cell(text)} |")
            parts.append("")
    parts.append("## Parameters\n")
    parts.append(
        "The shipped defaults are under `vars:` in `dbt_project/dbt_project.yml`. Change them "
        "for your company in `HOME/metrics.yaml` (or the file `SALESOPS_METRICS_CONFIG` names), "
        "one `name: value` line per parameter; a mapping may give only the keys it changes. "
        "The run-context vars are set by the pipeline on every run and cannot be set there."
    )
    parts.append("")
    for title, items in var_docs(dbt_dir / "dbt_project.yml"):
        parts += [f"### {title[0].upper()}{title[1:]}\n", "| var | default | meaning |"]
        parts.append("|---|---|---|")
        for name, value, comment in items:
            parts.append(f"| `{name}` | {_cell(_default(value))} | {_cell(comment)} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")
