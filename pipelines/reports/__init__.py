"""Review packs rendered from the dbt marts (self-contained HTML).

Layout: ``data`` (SQL, plain values) -> ``commentary`` / ``charts`` /
``context`` (presentation) -> ``render`` (Jinja2 templates under
``reports/templates``). See docs/review-pack.md.
"""

from pipelines.reports.render import render_quarterly_pack

__all__ = ["render_quarterly_pack"]
