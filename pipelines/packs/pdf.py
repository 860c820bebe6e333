"""PDF packs: the pack's HTML laid out by WeasyPrint (A4, page numbers, contents).

The PDF is the same HTML and CSS as the HTML pack: ``reports/styles/pack.css``
holds the ``@page`` rules (A4, page number in the footer) and the print rules
(the contents list gets page numbers through ``target-counter``). Charts are
the same inline SVG. Fonts come from fontconfig: for 中文 the setup installs
Debian's fonts-noto-cjk ("Noto Sans CJK SC"), which WeasyPrint embeds (subset)
in the file.

Each process keeps one WeasyPrint font configuration for every PDF it writes (the set's
workers each lay out many packs): fontconfig's font list is read once per process.
Measured on the demo (tests don't time it): the font subset WeasyPrint embeds per PDF
costs about 0.1 s of the 1.2-2.5 s a pack takes; the layout (Pango line breaking,
tables) is the rest, which is why a set spreads its packs over the cores.
"""

from __future__ import annotations

import contextlib
import logging
from functools import lru_cache

from pipelines.core.errors import SalesOpsError


class PdfUnavailable(SalesOpsError):
    """WeasyPrint (or the Pango library it needs) is missing."""


@lru_cache(maxsize=1)
def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango not installed
        raise PdfUnavailable(
            f"PDF packs need WeasyPrint and the Pango library ({exc})",
            "run scripts/bootstrap.sh (it installs weasyprint, Pango and fonts-noto-cjk), "
            "or render --format html,xlsx",
        ) from exc
    return weasyprint


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    _weasyprint()
    return FontConfiguration()


def warm_up() -> None:
    """Load WeasyPrint and the font configuration now (a worker, before its first pack);
    a missing WeasyPrint is reported by the first ``html_to_pdf``."""
    with contextlib.suppress(PdfUnavailable):
        _font_config()


def html_to_pdf(html: str) -> bytes:
    """The PDF of one pack's HTML (self-contained: no URL is fetched)."""
    weasyprint = _weasyprint()

    def no_fetch(url: str, *args, **kwargs):
        raise ValueError(f"review packs fetch nothing; refused {url}")

    # WeasyPrint's CSS parser warns about SVG presentation properties in the charts'
    # style attributes (fill, stroke, ...) that its SVG renderer then applies: not news.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return weasyprint.HTML(string=html, url_fetcher=no_fetch).write_pdf(
            font_config=_font_config()
        )
    finally:
        logger.setLevel(level)
