"""Where the project's own folders are. Resolved once, here."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REPORTS_DIR = PROJECT_ROOT / "reports"

# Review-pack and alert assets: plain files under ``reports/`` so that people who edit wording or
# styling never touch Python.
TEMPLATES_DIR = REPORTS_DIR / "templates"
STYLES_DIR = REPORTS_DIR / "styles"
I18N_DIR = REPORTS_DIR / "i18n"
ALERT_I18N_DIR = I18N_DIR / "alerts"
ALERT_TEMPLATES_DIR = TEMPLATES_DIR / "alerts"
