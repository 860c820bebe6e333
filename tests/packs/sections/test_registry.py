"""The section registry: each section's template and strings exist, and the tables a pack
reads are the sections' declarations (REQUIRED_TABLES, PACK_MARTS)."""

from __future__ import annotations

import importlib
import inspect
import re

from pipelines.core.paths import DBT_PROJECT_DIR, TEMPLATES_DIR
from pipelines.packs.frame import FRAME_TABLES
from pipelines.packs.sections import PACK_MARTS, REQUIRED_TABLES, SECTIONS, TABLES_READ
from tests.packs.support import I18N, string_keys

#: The tables the pack checked up front when they were a hand-kept list (data.py).
CORE_TABLES = {
    "marts.fct_sales_performance",
    "marts.fct_funnel_conversion",
    "marts.fct_lead_sources",
    "marts.fct_receivables_aging",
    "marts.fct_rep_scorecard",
    "marts.fct_team_averages",
    "marts.fct_dq_findings",
    "marts.dim_sales_reps",
    "marts.dim_accounts",
    "meta.load_files",
    "meta.loads",
}
#: The marts that came later (a warehouse without one leaves its section out).
LATER_MARTS = {
    "fct_pipeline",
    "fct_pipeline_snapshots",
    "fct_sales_forecast",
    "fct_forecast_accuracy",
    "fct_customer_retention",
    "fct_customer_value_tiers",
    "fct_customer_acquisition",
    "fct_receivables_kpis",
    "fct_receivables_provision",
    "fct_account_credit_risk",
    "fct_sales_channels",
    "fct_lead_to_cash_funnel",
    "fct_pipeline_waterfall",
    "fct_targets",
}


def test_sections_in_pack_order_with_their_template_and_strings():
    assert [s.key for s in SECTIONS] == [
        "kpis", "trend", "forecast", "funnel", "ranking", "scorecard", "process", "pipeline",
        "receivables", "customers", "channels", "quality",
    ]  # fmt: skip
    languages = {p.stem: string_keys(p) for p in I18N.glob("*.toml")}
    for s in SECTIONS:
        assert (TEMPLATES_DIR / s.template).is_file(), s.key
        for lang, keys in languages.items():
            assert f"section.{s.key}" in keys, (s.key, lang)
    assert [s.key for s in SECTIONS if s.appendix] == ["quality"]


def test_required_tables_are_the_core_tables():
    assert set(REQUIRED_TABLES) == CORE_TABLES
    assert len(REQUIRED_TABLES) == len(CORE_TABLES)  # each once


def test_pack_marts_are_every_mart_read_and_dbt_models():
    marts = {t.split(".", 1)[1] for t in CORE_TABLES if t.startswith("marts.")}
    assert set(PACK_MARTS) == marts | LATER_MARTS
    models = {p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert set(PACK_MARTS) <= models
    optional = {t for s in SECTIONS for t in s.optional_marts}
    assert {t.split(".", 1)[1] for t in optional} == LATER_MARTS
    assert not optional & set(REQUIRED_TABLES)


def test_a_section_names_only_the_tables_it_declares():
    """Every marts / meta table named in a section's module (its SQL and its source line) is
    in its declaration or the frame's."""
    for s in SECTIONS:
        module = importlib.import_module(f"pipelines.packs.sections.{s.key}")
        named = set(re.findall(r"\b((?:marts|meta)\.[a-z_]+)", inspect.getsource(module)))
        allowed = {*s.marts, *s.optional_marts, *FRAME_TABLES}
        assert named <= allowed, (s.key, sorted(named - allowed))
        assert {*s.marts, *s.optional_marts} <= named | set(FRAME_TABLES), s.key
    assert set(TABLES_READ) == CORE_TABLES | {f"marts.{m}" for m in LATER_MARTS}
