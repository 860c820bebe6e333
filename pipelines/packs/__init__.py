"""Review packs rendered from the dbt marts (HTML, PDF, Excel; English and 中文).

Layout: ``data`` (SQL, plain values) -> ``commentary`` / ``charts`` /
``context`` (presentation, one builder per section) -> ``render`` (Jinja2
templates under ``reports/templates``) -> ``pdf`` (WeasyPrint) / ``excel``
(openpyxl). See docs/review-pack.md.
"""

from pipelines.packs.render import (
    PackOptions,
    render_pack,
    render_period,
    render_quarterly_pack,
)

__all__ = ["PackOptions", "render_pack", "render_period", "render_quarterly_pack"]
