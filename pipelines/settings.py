"""The one settings object for the Python side.

Values come from environment variables prefixed ``SALESOPS_`` (e.g.
``SALESOPS_BUSINESS_TIMEZONE=Europe/Berlin``). Metric parameters live in dbt
``vars`` (dbt_project/dbt_project.yml), not here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.paths import PROJECT_ROOT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESOPS_", extra="ignore")

    #: Timezone in which timestamps without a zone are read and dates are taken.
    business_timezone: str = "Asia/Shanghai"
    #: Currency every mart amount is converted into (ISO 4217).
    reporting_currency: str = "CNY"
    #: Where the warehouse, runs and reports live when no --home is given.
    home: str = str(PROJECT_ROOT / ".salesops")

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:  # noqa: BLE001 - zoneinfo raises several types
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name like Asia/Shanghai)"
            ) from exc
        return v

    @field_validator("reporting_currency")
    @classmethod
    def _iso_code(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha() or not v.isupper():
            raise ValueError(f"reporting currency {v!r} must be an ISO 4217 code such as CNY")
        return v

    def yesterday(self) -> date:
        """The default business date of a drop: yesterday in the business timezone."""
        return datetime.now(ZoneInfo(self.business_timezone)).date() - timedelta(days=1)
