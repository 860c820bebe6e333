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


def _line_index(node: yaml.Node, prefix: tuple[str, ...], source: str, out: dict) -> None:
    """Record ``file:line`` of every mapping key and sequence item under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            out[".".join(path)] = f"{source}:{key_node.start_mark.line + 1}"
            _line_index(value_node, path, source, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = (*prefix, str(i))
            out[".".join(path)] = f"{source}:{item.start_mark.line + 1}"
            _line_index(item, path, source, out)


def _error_line(lines: dict[str, str], loc: tuple) -> str | None:
    parts = [str(p) for p in loc]
    while parts:
        key = ".".join(parts)
        if key in lines:
            return lines[key]
        parts.pop()
    return None


def _read_yaml(text: str, source: str) -> tuple[dict, dict[str, str]]:
    """(data, setting path -> ``file:line``) of one profile file, not yet validated."""
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
    lines: dict[str, str] = {}
    if node is not None:
        _line_index(node, (), source, lines)
    return data, lines


def _validate(data: dict, lines: dict[str, str], source: str) -> Profile:
    problems: list[tuple[tuple, str]] = []
    profile = None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _raw_location(data, err["loc"])
            if loc is not None:
                problems.append((loc, err["msg"].removeprefix("Value error, ")))
    problems += contract_problems(data)
    if problems:
        shown = []
        for loc, message in dict.fromkeys(problems):
            where = _error_line(lines, loc) or source
            setting = ".".join(str(p) for p in loc) or "(top level)"
            shown.append(f"{where}: {setting}: {message}")
        raise SalesOpsError(
            "the mapping profile is invalid:\n    " + "\n    ".join(shown),
            "correct the lines named above (the settings are described in docs/profiles.md)",
        )
    return profile.model_copy(update={"source": source, "lines": lines})


def _raw_location(data: dict, loc: tuple) -> tuple | None:
    """Where an error of the validated model is in the YAML: an entity's mappings are
    validated twice (``entities`` holds the first of ``readings``), reported once."""
    loc = tuple(p for p in loc if not str(p).startswith("function-"))
    entities = data.get("entities") if isinstance(data.get("entities"), dict) else {}
    if loc[:1] == ("readings",) and len(loc) > 2:
        listed = isinstance(entities.get(loc[1]), list)
        return ("entities", loc[1], *((loc[2],) if listed else ()), *loc[3:])
    if loc[:1] == ("entities",) and len(loc) > 1 and loc[1] in entities:
        return None
    return loc


def parse_profile(text: str, source: str) -> Profile:
    """Validate profile YAML ``text`` (no ``extends``); ``source`` names it in errors."""
    data, lines = _read_yaml(text, source)
    if "extends" in data:
        raise SalesOpsError(
            f"{_error_line(lines, ('extends',))}: a profile given as text cannot extend another",
            "save it as a file and load it by its path",
        )
    return _validate(data, lines, source)


def _resolved_data(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[str, str]]:
    """A profile file's data with everything it ``extends`` merged in (see :func:`merge`)."""
    source = str(_display(path))
    if path in chain:
        cycle = " -> ".join(str(_display(p)) for p in (*chain[chain.index(path) :], path))
        raise SalesOpsError(
            f"{source}: the profiles extend each other in a cycle: {cycle}",
            "remove the extends: line of one of them (a profile extends one that does not "
            "extend it back)",
        )
    data, lines = _read_yaml(path.read_text(encoding="utf-8"), source)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, lines
    where = lines.get("extends", source)
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise SalesOpsError(
            f"{where}: extends must name one profile (a shipped name or a YAML path)",
            f"write e.g.  extends: salesforce  (shipped: {', '.join(shipped_profiles())})",
        )
    try:
        parent_path = _parent_path(parent_name, path.parent)
    except SalesOpsError as exc:
        raise SalesOpsError(
            f"{where}: extends {parent_name!r}, which is neither a shipped profile nor a file",
            f"use one of {', '.join(shipped_profiles())}, or a path to a profile YAML "
            f"(relative to {_display(path.parent)})",
        ) from exc
    parent, parent_lines = _resolved_data(parent_path, (*chain, path))
    parent.pop("profile", None)
    parent.pop("description", None)
    return merge(parent, data), {**parent_lines, **lines}


def _parent_path(name: str, folder: Path) -> Path:
    shipped = shipped_profiles()
    if name in shipped:
        return shipped[name]
    candidate = Path(name).expanduser()
    if not candidate.is_absolute():
        candidate = folder / candidate
    if candidate.is_file():
        return candidate.resolve()
    raise SalesOpsError(f"no profile {name!r}", "")


def merge(base: dict, over: dict, path: tuple[str, ...] = ()) -> dict:
    """``over`` laid onto ``base``: mappings merge key by key, anything else is replaced.

    Under ``values.<column>`` (top level or an entity's) the variants are added to the
    parent's: a variant ``over`` lists moves to its canonical value there. An entity the
    parent maps with several readings (a list) takes ``over``'s mapping on each of them.
    """
    out = dict(base)
    for key, value in over.items():
        here = (*path, str(key))
        old = out.get(key)
        if _is_vocabulary(here) and isinstance(old, dict) and isinstance(value, dict):
            out[key] = _merge_vocabulary(old, value)
        elif isinstance(old, list) and isinstance(value, dict) and here[:1] == ("entities",):
            out[key] = [merge(r, value, here) if isinstance(r, dict) else r for r in old]
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge(old, value, here)
        else:
            out[key] = value
    return out


def _is_vocabulary(path: tuple[str, ...]) -> bool:
    """``values.<column>`` or ``entities.<entity>.values.<column>``."""
    return (len(path) == 2 and path[0] == "values") or (
        len(path) == 4 and path[0] == "entities" and path[2] == "values"
    )


def _merge_vocabulary(base: dict, over: dict) -> dict:
    def listed(v) -> list:
        return [v] if isinstance(v, str) else list(v or [])

    moved = {str(x).strip().casefold() for vs in over.values() for x in listed(vs)}
    out = {
        canonical: [x for x in listed(vs) if str(x).strip().casefold() not in moved]
        for canonical, vs in base.items()
    }
    for canonical, vs in over.items():
        out[canonical] = [*out.get(canonical, []), *listed(vs)]
    return out


def load_profile(name_or_path: str = CANONICAL) -> Profile:
    """Read a profile (with what it extends); entities it does not map fall back to the
    canonical files."""
    path = resolve_profile_path(name_or_path)
    data, lines = _resolved_data(path)
    profile = _validate(data, lines, str(_display(path)))
    own = tuple(profile.entities)
    if profile.profile == CANONICAL or not profile.canonical_fallback:
        return profile.model_copy(update={"own_entities": own}).with_shared_values()
    canonical = load_profile(CANONICAL)
    merged = dict(profile.entities)
    readings = dict(profile.readings)
    for name, mapping in canonical.entities.items():
        if name not in merged:
            merged[name] = mapping
            readings[name] = canonical.readings[name]
    return profile.model_copy(
        update={"entities": merged, "readings": readings, "own_entities": own}
    ).with_shared_values()


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
