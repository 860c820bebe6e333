"""The review packs' strings table: every label and sentence, per language.

Strings live in ``reports/i18n/<lang>.toml`` (nested tables, addressed here by
dotted keys such as ``kpi.revenue``). Sentences use ``str.format`` placeholders
filled with values that are already formatted. A plural form is a table with
``one`` / ``other`` keys (languages without plurals give only ``other``).
Adding a language = adding a file with the same keys; ``tests/packs/test_render.py``
checks that every language has every key English has.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.core.paths import I18N_DIR

DEFAULT_LANG = "en"
_LANG_RE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def available_languages(directory: Path = I18N_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


class Strings:
    """Look up (and fill in) strings of one language: ``t("kpi.revenue")``."""

    def __init__(self, lang: str, table: dict[str, str]):
        self.lang = lang
        self._table = table

    def keys(self) -> set[str]:
        return set(self._table)

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self._table[key]
        except KeyError:
            raise KeyError(f"string {key!r} missing from reports/i18n/{self.lang}.toml") from None
        try:
            return text.format(**values) if values else text
        except (KeyError, IndexError) as exc:
            raise KeyError(f"string {key!r} ({self.lang}) needs placeholder {exc}") from None

    def plural(self, key: str, n: int, /, **values: object) -> str:
        form = f"{key}.one" if n == 1 and f"{key}.one" in self._table else f"{key}.other"
        return self(form, n=n, **values)

    def get(self, key: str, default: str) -> str:
        return self._table.get(key, default)


@lru_cache(maxsize=8)
def load_strings(lang: str = DEFAULT_LANG, directory: Path = I18N_DIR) -> Strings:
    """The strings of ``lang`` from ``directory`` (the packs'; ``ALERT_I18N_DIR``: alerts')."""
    path = directory / f"{lang}.toml"
    if not (isinstance(lang, str) and _LANG_RE.fullmatch(lang)) or not path.is_file():
        raise ValueError(
            f"no strings for language {lang!r}; "
            f"available: {', '.join(available_languages(directory))}"
        )
    with path.open("rb") as fh:
        return Strings(lang, _flatten(tomllib.load(fh)))
