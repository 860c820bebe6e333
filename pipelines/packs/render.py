"""Render review packs: read the document, fill the templates, write HTML / PDF / Excel.

One pack = one period (month or quarter) x one scope (company, region, team,
rep) x one language, in any of the formats ``html``, ``pdf`` and ``xlsx``;
``render_period`` renders every scope of a period and an index page linking them.
What a pack holds is ``document.py``'s business (the frame and the sections of
``pipelines/packs/sections``); nothing here knows any section.

A set (``render_period``) reads the warehouse once (``source.py``: the tables the packs
read, copied into memory; each section takes its scope's slice of them), reads each
scope's figures once for all its languages, and lays the packs out (HTML, PDF, Excel) in
worker processes, one per core unless told (``workers``); the packs come back in the
order of the scopes, whatever the order the workers finish in.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.core.i18n import DEFAULT_LANG, load_strings
from pipelines.core.paths import STYLES_DIR, TEMPLATES_DIR
from pipelines.core.periods import Period, Quarter, parse_period
from pipelines.core.progress import say
from pipelines.packs.document import (
    PackData,
    build_context,
    pack_data,
    pack_figures,
    read_pack_data,
)
from pipelines.packs.excel import workbook_bytes
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, NoDataForPeriod
from pipelines.packs.pdf import html_to_pdf, warm_up
from pipelines.packs.scope import Scope, all_scopes
from pipelines.packs.source import PackSource

PACK_TEMPLATE = "pack.html"
INDEX_TEMPLATE = "index.html"
STYLESHEET = "pack.css"
FORMATS: tuple[str, ...] = ("html", "pdf", "xlsx")
#: A set prints its progress every this many packs (and when done).
PROGRESS_EVERY = 25
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
    data = read_pack_data(con, period, scope, as_of_date)
    return _write_pack(data, period, scope, out_dir, lang, formats, options)


def _write_pack(
    data: PackData,
    period: Period,
    scope: Scope,
    out_dir: Path,
    lang: str,
    formats: Sequence[str],
    options: PackOptions,
) -> RenderedPack:
    """Lay one pack's data out in each format and write the files."""
    strings = load_strings(lang)
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


@dataclass(frozen=True)
class _Job:
    """One pack of a set, as sent to a worker: its figures, read by the parent."""

    period: Period
    scope: Scope
    lang: str
    out_dir: Path
    formats: tuple[str, ...]
    options: PackOptions
    frame: Frame
    figures: tuple


def _render_job(job: _Job) -> RenderedPack:
    data = pack_data(job.frame, job.figures)
    return _write_pack(data, job.period, job.scope, job.out_dir, job.lang, job.formats, job.options)


def _warm_worker(formats: tuple[str, ...]) -> None:
    """A worker loads what every pack needs once: the templates, the PDF engine."""
    template_environment().get_template(PACK_TEMPLATE)
    if "pdf" in formats:
        warm_up()


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Progress:
    def __init__(self, label: str, total: int, every: int | None) -> None:
        self.label, self.total, self.every = label, total, every
        self.done = 0
        self.started = time.perf_counter()

    def tick(self) -> None:
        self.done += 1
        if self.every and (self.done % self.every == 0 or self.done == self.total):
            say(
                "report",
                f"{self.label}: {self.done}/{self.total} packs "
                f"({time.perf_counter() - self.started:.1f}s)",
            )


def _render_jobs(
    jobs: Iterator[_Job],
    total: int,
    formats: tuple[str, ...],
    workers: int,
    progress: _Progress,
) -> list[RenderedPack]:
    """Render every job, in ``workers`` processes (in this one for 1); packs in job order."""
    if workers <= 1 or total <= 1:
        packs = []
        for job in jobs:
            packs.append(_render_job(job))
            progress.tick()
        return packs
    futures: list[Future[RenderedPack]] = []
    pool = ProcessPoolExecutor(
        max_workers=min(workers, total),
        # spawn: the parent holds DuckDB connections (and their threads), never forked
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_warm_worker,
        initargs=(formats,),
    )
    try:
        for job in jobs:
            futures.append(pool.submit(_render_job, job))
        for future in as_completed(futures):
            future.result()  # the first failure stops the set
            progress.tick()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [future.result() for future in futures]


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
    workers: int | None = None,
    progress_every: int | None = PROGRESS_EVERY,
) -> tuple[list[RenderedPack], Path]:
    """Render every pack of ``period`` (default: every scope with figures) and an index.

    The warehouse is read once for the set (``source.py``); the packs are laid out in
    ``workers`` processes (default: one per core; 1: in this process), with a progress
    line every ``progress_every`` packs (``None``: quiet). The packs of a set share one
    ``generated_at`` (``options.generated_at``, default now). Returns the packs, in scope
    order then language order, and the index page (``index_<period>.html`` in ``out_dir``).
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
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")
    options = replace(options, generated_at=options.generated_at or datetime.now(UTC))
    out = Path(out_dir)
    with _open(warehouse_path) as con:
        if scopes is None:
            chosen = all_scopes(con, p.period_type, p.label)
            if not chosen:
                read_pack_data(con, p, Scope.company(), as_of_date)  # raises the clear error
        else:
            chosen = [s if isinstance(s, Scope) else Scope.parse(s) for s in scopes]
        with PackSource(con, Path(warehouse_path)) as source:

            def jobs() -> Iterator[_Job]:
                for scope in chosen:
                    data = read_pack_data(
                        source.con, p, scope, as_of_date, inputs_as_of=source.inputs_as_of
                    )
                    frame, figures = pack_figures(data)
                    for lang in langs:
                        yield _Job(p, scope, lang, out, wanted, options, frame, figures)

            total = len(chosen) * len(langs)
            packs = _render_jobs(
                jobs(),
                total,
                wanted,
                default_workers() if workers is None else workers,
                _Progress(p.label, total, progress_every),
            )
    index = write_index(p, packs, out, langs[0], options)
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
