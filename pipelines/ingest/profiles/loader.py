"""Find and read a mapping profile, with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from pipelines.core.contract import ENTITIES
from pipelines.core.errors import SalesOpsError
from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.yaml_source import parse_yaml
from pipelines.ingest.profiles.model import Profile, contract_problems

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
CANONICAL = "canonical"


def shipped_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.yaml"))}


def resolve_profile_path(name_or_path: str) -> Path:
    """A shipped profile's name (``salesforce``) or a path to a YAML file."""
    shipped = shipped_profiles()
    if name_or_path in shipped:
        return shipped[name_or_path]
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path.resolve()
    raise SalesOpsError(
        f"no mapping profile {name_or_path!r}: it is neither a shipped profile nor a file",
        f"use one of {', '.join(shipped)} or the path to your own profile YAML "
        "(see docs/profiles.md)",
    )


def _line_index(node: yaml.Node, prefix: tuple[str, ...], out: dict[str, int]) -> None:
    """Record the 1-based line of every mapping key and sequence item under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            out[".".join(path)] = key_node.start_mark.line + 1
            _line_index(value_node, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = (*prefix, str(i))
            out[".".join(path)] = item.start_mark.line + 1
            _line_index(item, path, out)


def _error_line(lines: dict[str, int], loc: tuple) -> int | None:
    parts = [str(p) for p in loc]
    while parts:
        key = ".".join(parts)
        if key in lines:
            return lines[key]
        parts.pop()
    return None


def parse_profile(text: str, source: str) -> Profile:
    """Validate profile YAML ``text``; ``source`` names it in errors."""
    data, node = parse_yaml(
        text,
        source,
        "the profile",
        "check the indentation and quoting on that line (see docs/profiles.md)",
    )
    if not isinstance(data, dict):
        raise SalesOpsError(
            f"{source}: a profile must be a YAML mapping with 'profile' and 'entities'",
            "start from a shipped profile (pipelines/ingest/profiles/shipped/) and edit it",
        )
    lines: dict[str, int] = {}
    if node is not None:
        _line_index(node, (), lines)
    problems: list[tuple[tuple, str]] = []
    profile = None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            problems.append((loc, err["msg"].removeprefix("Value error, ")))
    problems += contract_problems(data)
    if problems:
        shown = []
        for loc, message in problems:
            line = _error_line(lines, loc)
            where = f"{source}:{line}" if line else source
            setting = ".".join(str(p) for p in loc) or "(top level)"
            shown.append(f"{where}: {setting}: {message}")
        raise SalesOpsError(
            "the mapping profile is invalid:\n    " + "\n    ".join(shown),
            "correct the lines named above (the settings are described in docs/profiles.md)",
        )
    return profile.model_copy(update={"source": source, "lines": lines})


def load_profile(name_or_path: str = CANONICAL) -> Profile:
    """Read a profile; entities it does not map fall back to the canonical files."""
    path = resolve_profile_path(name_or_path)
    profile = parse_profile(path.read_text(encoding="utf-8"), str(_display(path)))
    own = tuple(profile.entities)
    if profile.profile == CANONICAL or not profile.canonical_fallback:
        return profile.model_copy(update={"own_entities": own})
    canonical = load_profile(CANONICAL)
    merged = dict(profile.entities)
    for name, mapping in canonical.entities.items():
        merged.setdefault(name, mapping)
    return profile.model_copy(update={"entities": merged, "own_entities": own})


def _display(path: Path) -> Path:

    try:
        return path.relative_to(PROJECT_ROOT)
    except ValueError:
        return path


def canonical_profile_yaml() -> str:
    """The canonical profile, generated from the contract (one file per entity, names as-is)."""
    out = [
        "# Generated from pipelines/core/contract.py by",
        "# `python -m pipelines.ingest.profiles.loader`; do not edit.",
        "# The canonical contract: <entity>.csv (or .csv.gz / .xlsx), UTF-8,",
        "# a header row with the contract's column names, ISO dates, '.' decimals.",
        f"profile: {CANONICAL}",
        "description: The canonical export contract (docs/data-contract.md), read as is.",
        "defaults:",
        "  encoding: utf-8",
        "  delimiter: ','",
        "  date_order: YMD",
        "  decimal_mark: '.'",
        "  mode: delta",
        "entities:",
    ]
    for e in ENTITIES:
        out.append(f"  {e.name}:")
        out.append(f'    files: ["{e.name}.csv", "{e.name}.csv.gz", "{e.name}.xlsx"]')
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # regenerate the shipped canonical profile
    target = SHIPPED_DIR / f"{CANONICAL}.yaml"
    target.write_text(canonical_profile_yaml(), encoding="utf-8")
    print(f"wrote {target}")
