"""Review packs rendered from the dbt marts (HTML, PDF, Excel; English and 中文).

Layout: ``sections/`` (one module per pack section: its SQL, dataclasses, commentary
and context; ``SECTIONS`` lists them in pack order) on ``frame`` (the pack's period row,
scope and as-of date) and the shared helpers (``formatting``, ``charts``, ``tables``,
``scope``) -> ``document`` (the pack's context, from the registry, its contact details
masked with ``pipelines.core.masking``) ->
``render`` (Jinja2 templates under ``reports/templates``) with ``pdf`` (WeasyPrint) and
``excel`` (openpyxl) -> ``defs`` (Dagster). See docs/review-pack.md.
"""

from pipelines.packs.render import (
    PackOptions,
    render_pack,
    render_period,
    render_quarterly_pack,
)

__all__ = ["PackOptions", "render_pack", "render_period", "render_quarterly_pack"]
