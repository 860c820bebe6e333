"""YAML config files read for people: errors name the file and the line.

Used by mapping profiles and the alerts file: both are validated with pydantic,
and a problem is reported at the line of the setting it concerns.
"""

from __future__ import annotations

from typing import Any

import yaml

from pipelines.core.errors import SalesOpsError


def parse_yaml(text: str, source: str, what: str, fix: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of ``text``; invalid YAML raises naming ``source`` and the line.

    ``what`` names the file for people ("the profile"); ``fix`` says what to check.
    """
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise SalesOpsError(
            f"{where}: {what} is not valid YAML ({getattr(exc, 'problem', exc)})", fix
        ) from None


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the deepest part of ``loc`` (a pydantic error location) found in
    the YAML tree; parts that are not in the file (a missing setting, a union's tag) are
    skipped."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if pair is None:
                continue
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
    return line
