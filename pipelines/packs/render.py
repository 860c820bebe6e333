"""Render review packs: read the document, fill the templates, write HTML / PDF / Excel.

One pack = one period (month or quarter) x one scope (company, region, team,
rep) x one language, in any of the formats ``html``, ``pdf`` and ``xlsx``;
``render_period`` renders every scope of a period and an index page linking them.
What a pack holds is ``document.py``'s business (the frame and the sections of
``pipelines/packs/sections``); nothing here knows any section.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.core.i18n import DEFAULT_LANG, load_strings
from pipelines.core.paths import STYLES_DIR, TEMPLATES_DIR
from pipelines.core.periods import Period, Quarter, parse_period
from pipelines.packs.document import build_context, read_pack_data
from pipelines.packs.excel import workbook_bytes
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import NoDataForPeriod
from pipelines.packs.pdf import html_to_pdf
from pipelines.packs.scope import Scope, all_scopes

PACK_TEMPLATE = "pack.html"
INDEX_TEMPLATE = "index.html"
STYLESHEET = "pack.css"
FORMATS: tuple[str, ...] = ("html", "pdf", "xlsx")
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


def pack_stem(period: Period | str, scope: Scope | None = None, lang: str = DEFAULT_LANG) -> str:
    """``review-pack_2026Q3_company`` (English) / ``review-pack_2026Q3_team-华东一组.zh``."""
    label = period if isinstance(period, str) else period.label
    stem = f"review-pack_{label}_{(scope or Scope.company()).slug}"
    return stem if lang == DEFAULT_LANG else f"{stem}.{lang}"


def pack_file_name(quarter: Period, scope: Scope | None = None, lang: str = DEFAULT_LANG) -> str:
    return pack_stem(quarter, scope, lang) + ".html"


def _write_atomically(path: Path, data: str | bytes) -> None:
    """Write next to the target and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if isinstance(data, str):
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class PackOptions:
    """How packs are printed (the same for every pack of a run)."""

    reporting_currency: str = "CNY"
    company_name: str | None = None
    #: 中文 CNY packs print amounts of 10,000 and more in 万 (SALESOPS_REPORT_WAN_UNITS).
    wan_units: bool = False
    #: Emails and phone numbers in CRM text are masked unless this is set
    #: (SALESOPS_REPORT_UNMASK_CONTACTS).
    unmask_contacts: bool = False
    generated_at: datetime | None = None


@dataclass
class RenderedPack:
    period: str
    scope: Scope
    lang: str
    title: str
    files: dict[str, Path] = field(default_factory=dict)  # format -> path


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ValueError(
            f"unknown format(s) {', '.join(unknown) or '(none)'}; use any of {', '.join(FORMATS)}"
        )
    return wanted


def _check_currency(code: object) -> None:
    if not isinstance(code, str) or not _CURRENCY_RE.fullmatch(code):
        raise ValueError(f"reporting_currency must be an ISO 4217 code like 'CNY', got {code!r}")


def _render_one(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    out_dir: Path,
    lang: str,
    formats: Sequence[str],
    as_of_date: date | None,
    options: PackOptions,
) -> RenderedPack:
    strings = load_strings(lang)
    data = read_pack_data(con, period, scope, as_of_date)
    fmt = Formatter(
        strings,
        options.reporting_currency,
        wan=options.wan_units and lang.startswith("zh") and options.reporting_currency == "CNY",
    )
    context = build_context(
        data,
        strings,
        fmt,
        css=_stylesheet(),
        generated_at=options.generated_at or datetime.now(UTC),
        company_name=options.company_name,
        mask_contacts=not options.unmask_contacts,
    )
    html = template_environment().get_template(PACK_TEMPLATE).render(**context)
    stem = pack_stem(period, scope, lang)
    pack = RenderedPack(period.label, scope, lang, context["document_title"])
    for f in formats:
        path = Path(out_dir) / f"{stem}.{f}"
        if f == "html":
            _write_atomically(path, html)
        elif f == "pdf":
            _write_atomically(path, html_to_pdf(html))
        elif f == "xlsx":
            _write_atomically(path, workbook_bytes(context))
        pack.files[f] = path
    return pack


def _open(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"warehouse file not found: {warehouse_path}")
    return duckdb.connect(str(warehouse_path), read_only=True)


def render_pack(
    warehouse_path: Path,
    period: str,
    out_dir: Path,
    *,
    scope: str | Scope = "company",
    lang: str = DEFAULT_LANG,
    formats: Iterable[str] = ("html",),
    as_of_date: date | None = None,
    options: PackOptions | None = None,
) -> RenderedPack:
    """Render one pack (``period`` like ``2026Q3`` or ``2026-07``) in the given formats.

    Raises ``ValueError`` for a malformed period / scope / format / currency, an
    unknown language, an unknown scope or a period the scope has no data for;
    ``FileNotFoundError`` if the warehouse file does not exist.
    """
    p = parse_period(period)
    s = scope if isinstance(scope, Scope) else Scope.parse(scope)
    wanted = _check_formats(formats)
    options = options or PackOptions()
    _check_currency(options.reporting_currency)
    load_strings(lang)  # an unknown language fails before the warehouse is opened
    if isinstance(as_of_date, datetime):
        as_of_date = as_of_date.date()
    with _open(warehouse_path) as con:
        return _render_one(con, p, s, Path(out_dir), lang, wanted, as_of_date, options)


def render_period(
    warehouse_path: Path,
    period: str,
    out_dir: Path,
    *,
    scopes: Iterable[str | Scope] | None = None,
    langs: Iterable[str] = (DEFAULT_LANG,),
    formats: Iterable[str] = ("html",),
    as_of_date: date | None = None,
    options: PackOptions | None = None,
) -> tuple[list[RenderedPack], Path]:
    """Render every pack of ``period`` (default: every scope with figures) and an index.

    Returns the packs and the index page (``index_<period>.html`` in ``out_dir``).
    """
    p = parse_period(period)
    wanted = _check_formats(formats)
    langs = tuple(dict.fromkeys(langs)) or (DEFAULT_LANG,)
    options = options or PackOptions()
    _check_currency(options.reporting_currency)
    for lang in langs:
        load_strings(lang)
    if isinstance(as_of_date, datetime):
        as_of_date = as_of_date.date()
    packs: list[RenderedPack] = []
    with _open(warehouse_path) as con:
        if scopes is None:
            chosen = all_scopes(con, p.period_type, p.label)
            if not chosen:
                read_pack_data(con, p, Scope.company(), as_of_date)  # raises the clear error
        else:
            chosen = [s if isinstance(s, Scope) else Scope.parse(s) for s in scopes]
        for scope in chosen:
            for lang in langs:
                packs.append(
                    _render_one(con, p, scope, Path(out_dir), lang, wanted, as_of_date, options)
                )
    index = write_index(p, packs, Path(out_dir), langs[0], options)
    return packs, index


def write_index(
    period: Period, packs: list[RenderedPack], out_dir: Path, lang: str, options: PackOptions
) -> Path:
    """``index_<period>.html``: a table of every pack of the period, links relative."""
    t = load_strings(lang)
    rows: dict[tuple[str, str], dict] = {}
    for pack in packs:
        row = rows.setdefault(
            (pack.scope.level, pack.scope.scope_id),
            dict(
                scope=pack.scope, title=pack.title, level=t(f"level.{pack.scope.level}"), links=[]
            ),
        )
        for f, path in pack.files.items():
            row["links"].append(dict(href=path.name, label=f"{f.upper()} · {pack.lang}"))
    html = (
        template_environment()
        .get_template(INDEX_TEMPLATE)
        .render(
            t=t,
            html_lang=t("meta.html_lang"),
            css=_markup_css(),
            document_title=t("index.title", period=period.label),
            period=period.label,
            generated_at=Formatter(t, options.reporting_currency).timestamp(
                options.generated_at or datetime.now(UTC)
            ),
            rows=list(rows.values()),
        )
    )
    path = out_dir / f"index_{period.label}.html"
    _write_atomically(path, html)
    return path


def _markup_css() -> Markup:
    return Markup(_stylesheet())


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

    The first entry point, kept as it was: ``render_pack(..., scope="company",
    formats=["html"])`` for a quarter like ``2026Q3``; returns the HTML path
    ``out_dir / review-pack_<quarter>_company.html`` (for English).
    """
    q = Quarter.parse(quarter)
    pack = render_pack(
        warehouse_path,
        q.label,
        out_dir,
        lang=lang,
        as_of_date=as_of_date,
        options=PackOptions(
            reporting_currency=reporting_currency,
            company_name=company_name,
            generated_at=generated_at,
        ),
    )
    return pack.files["html"]


__all__ = [
    "FORMATS",
    "NoDataForPeriod",
    "PackOptions",
    "RenderedPack",
    "pack_file_name",
    "render_pack",
    "render_period",
    "render_quarterly_pack",
]
