"""Render the quarterly review pack: read the marts, build the context, write HTML."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.periods import Quarter
from pipelines.reports.context import build_context
from pipelines.reports.data import read_quarterly_data
from pipelines.reports.formatting import Formatter
from pipelines.reports.i18n import DEFAULT_LANG, load_strings
from pipelines.reports.paths import STYLES_DIR, TEMPLATES_DIR

QUARTERLY_TEMPLATE = "quarterly_pack.html"
STYLESHEET = "pack.css"
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _stylesheet() -> str:
    return (STYLES_DIR / STYLESHEET).read_text(encoding="utf-8")


def pack_file_name(quarter: Quarter) -> str:
    return f"review-pack_{quarter.label}_company.html"


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_quarterly_pack(
    warehouse_path: Path,
    quarter: str,
    out_dir: Path,
    as_of_date: date | None = None,
    reporting_currency: str = "CNY",
    *,
    lang: str = DEFAULT_LANG,
    generated_at: datetime | None = None,
    company_name: str | None = None,
) -> Path:
    """Write the company quarterly review pack as one self-contained HTML file.

    Opens ``warehouse_path`` read-only, reads the marts for ``quarter`` (like
    ``2026Q3``) and writes ``out_dir / review-pack_<quarter>_company.html``.
    ``as_of_date`` (default: the quarter end, or the latest load's as-of date if
    earlier) picks the receivables snapshot: the latest one on or before
    min(quarter end, as_of_date). ``reporting_currency`` names the currency the
    marts are in (it labels amounts; nothing is converted). ``lang`` selects the
    strings table (``reports/i18n/<lang>.toml``); ``generated_at`` defaults to
    now (UTC); ``company_name`` is printed in the header when given.

    Raises ``ValueError`` for a malformed quarter, a quarter the marts hold no
    data for (naming the available range), an unknown language or a malformed
    currency code; ``FileNotFoundError`` if the warehouse file does not exist.
    """
    q = Quarter.parse(quarter)
    if not isinstance(reporting_currency, str) or not _CURRENCY_RE.fullmatch(reporting_currency):
        raise ValueError(
            f"reporting_currency must be an ISO 4217 code like 'CNY', got {reporting_currency!r}"
        )
    if isinstance(as_of_date, datetime):
        as_of_date = as_of_date.date()
    strings = load_strings(lang)
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"warehouse file not found: {warehouse_path}")

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        data = read_quarterly_data(con, q, as_of_date)

    context = build_context(
        data,
        strings,
        Formatter(strings, reporting_currency),
        css=_stylesheet(),
        generated_at=generated_at or datetime.now(UTC),
        company_name=company_name,
    )
    html = template_environment().get_template(QUARTERLY_TEMPLATE).render(**context)
    out_path = Path(out_dir) / pack_file_name(q)
    _write_atomically(out_path, html)
    return out_path
