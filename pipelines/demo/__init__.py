"""Deterministic demo data: one canonical nightly drop with known, listed defects.

``generate_drop(out_dir, seed=7, scale=1.0, end_date=date(2026, 9, 30))`` writes
one CSV per contract entity (invoices excepted) plus ``_defects.json`` and
returns that manifest. See ``docs/demo-data.md``.
"""

from pipelines.demo.generator import DEFECTS_FILE, SKIPPED_ENTITIES, generate_drop

__all__ = ["DEFECTS_FILE", "SKIPPED_ENTITIES", "generate_drop"]
