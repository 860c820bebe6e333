"""Where the report assets live: the one place that knows the project layout.

Templates, CSS and the i18n string tables are plain files under ``reports/`` at
the project root (next to ``pipelines/``), so that people who edit wording or
styling never touch Python. Everything else imports the constants below.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.paths import REPORTS_DIR

TEMPLATES_DIR: Path = REPORTS_DIR / "templates"
STYLES_DIR: Path = REPORTS_DIR / "styles"
I18N_DIR: Path = REPORTS_DIR / "i18n"
ALERT_I18N_DIR: Path = I18N_DIR / "alerts"
ALERT_TEMPLATES_DIR: Path = TEMPLATES_DIR / "alerts"
