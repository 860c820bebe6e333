"""The one settings object for the Python side.

Values come from environment variables prefixed ``SALESOPS_`` (e.g.
``SALESOPS_BUSINESS_TIMEZONE=Europe/Berlin``). Metric parameters are dbt ``vars``
(defaults in dbt_project/dbt_project.yml), changed in the file ``metrics_config`` names
(pipelines/core/metric_params.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.core.paths import PROJECT_ROOT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESOPS_", extra="ignore")

    #: Timezone in which timestamps without a zone are read and dates are taken.
    business_timezone: str = "Asia/Shanghai"
    #: Mapping profile the exports are read with: a shipped profile's name
    #: (canonical, salesforce, hubspot, fxiaoke, maven_crm) or a path to a YAML file.
    profile: str = "canonical"
    #: Currency every mart amount is converted into (ISO 4217).
    reporting_currency: str = "CNY"
    #: Where the warehouse, runs and reports live when no --home is given.
    home: str = str(PROJECT_ROOT / ".salesops")
    #: Folder of nightly drops, one sub-folder per business date (YYYY-MM-DD); default HOME/inbox.
    inbox_root: str | None = None
    #: Nightly load schedule (cron) and the timezone it is read in.
    nightly_cron: str = "0 2 * * *"
    schedule_timezone: str = "Asia/Shanghai"
    #: A drop folder is complete when it holds this marker file ...
    ready_marker: str = "_READY"
    #: ... or when no file in it changed for this many minutes (0 = marker only).
    stable_minutes: int = 0
    #: First business date of the nightly job's daily partitions (YYYY-MM-DD); drops dated
    #: earlier cannot be loaded.
    partitions_start: str = "2020-01-01"
    #: The drop of business date D must have arrived by this time (HH:MM, business timezone)
    #: on D + 1; the freshness check fails, and alerts, when it has not.
    freshness_deadline: str = "07:00"
    #: Start the schedule and sensor as running (true on a server with the Dagster daemon).
    automation_on: bool = False
    #: Free disk space a run needs beyond twice the warehouse file (its working copy + growth).
    min_free_mb: int = 512
    #: Retries of a step that failed for a transient reason (warehouse busy, a DuckDB lock or
    #: I/O error, EAGAIN/EBUSY); 0 = no retries. Other failures are never retried.
    retry_max: int = 3
    #: First retry delay; doubling backoff: delay x 1, 3, 7, ... (each +/- delay of jitter).
    retry_delay_seconds: float = 30
    #: Alert channels (YAML, see docs/alerts.md); default HOME/alerts.yaml when it exists.
    #: Alert files (JSON + HTML) are always written under HOME/alerts/<business date>/.
    alerts_config: str | None = None
    #: Metric parameters (dbt vars, YAML; see docs/metrics.md); default HOME/metrics.yaml when
    #: it exists. Unset: the defaults of dbt_project/dbt_project.yml.
    metrics_config: str | None = None
    #: Language of the alerts: en or zh.
    alert_language: str = "en"
    #: An unfixed finding is alerted again after this many days (0: every night).
    alert_reminder_days: int = 7
    #: Overdue receivables (docs/alerts.md): the rep on the order is reminded of each overdue
    #: invoice (again every alert_reminder_days); from this many days overdue the rep's
    #: manager gets it too.
    overdue_escalation_days: int = 30
    #: Memory DuckDB may use for the load (it spills to disk beyond it), e.g. "1GB", "512MB".
    duckdb_memory_limit: str = "1GB"
    #: Rows of an export read, checked and spooled at a time (memory grows with it).
    ingest_batch_rows: int = 200_000
    #: The lake (docs/operations.md, "The lake"): a folder, or an object-store URL such as
    #: s3://bucket/salesops (through DuckDB's httpfs), where every published load's raw and
    #: meta rows are written as Parquet for other engines. Unset: no lake (it copies the raw
    #: data, so it costs disk and time each night).
    lake_dir: str | None = None
    #: The engine the nightly dbt build runs on (docs/scale-out.md): duckdb (the run's DuckDB
    #: copy, the default), spark (an in-process local Spark, dbt target ``spark``) or
    #: spark_thrift (a running Spark Thrift server, dbt target ``spark_thrift``,
    #: SALESOPS_SPARK_HOST / SALESOPS_SPARK_PORT). On Spark the run writes its load to the lake
    #: (lake_dir, required) before dbt, and brings the marts back into its DuckDB copy.
    engine: Literal["duckdb", "spark", "spark_thrift"] = "duckdb"
    #: engine spark: the local Spark's metastore and table files; default HOME/spark.
    spark_dir: str | None = None
    #: engine spark / spark_thrift: the Spark warehouse folder (spark.sql.warehouse.dir) as this
    #: machine reads it, a folder or an object-store URL: the run reads the tables Spark built
    #: there (<dir>/<schema>.db/<table>, Parquet). Default for spark: SPARK_DIR/warehouse; for
    #: spark_thrift it must be set.
    spark_warehouse_dir: str | None = None

    # --- Limits on one export file (docs/operations.md, "Limits"): a file over one is
    # refused alone, with its reason; the other files of the night load.
    #: Largest export file, as it lies in the inbox (compressed or not), in MiB.
    max_file_mb: int = 2048
    #: Largest text a compressed file (gzip, or an .xlsx workbook, which is a zip) may
    #: expand to, in MiB.
    max_decompressed_mb: int = 4096
    #: Largest decompression ratio (expanded size / compressed size) of a compressed file;
    #: files expanding to less than 1 MiB are never refused for it.
    max_decompression_ratio: int = 100
    #: Longest line (or cell) of a file, in KiB.
    max_line_kb: int = 1024

    #: Review packs: print amounts of 10,000 and more in 万 in 中文 CNY packs (¥153.00万).
    report_wan_units: bool = False
    #: Review packs: print emails and phone numbers in CRM text unmasked (masked by default).
    report_unmask_contacts: bool = False
    #: Monthly / quarterly packs (Dagster): languages and formats, comma-separated.
    report_languages: str = "en,zh"
    report_formats: str = "html,pdf,xlsx"
    #: Monthly / quarterly packs (Dagster): time of day (HH:MM, schedule_timezone) on the 1st of
    #: the month / of the quarter at which the packs of the period that just ended are rendered;
    #: keep it after the nightly load (nightly_cron).
    report_time: str = "04:00"
    #: First month (YYYY-MM) of the monthly / quarterly pack partitions.
    report_first_month: str = "2024-01"

    @property
    def inbox_root_path(self) -> Path:
        return Path(self.inbox_root) if self.inbox_root else Path(self.home) / "inbox"

    @field_validator("business_timezone", "schedule_timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:  # noqa: BLE001 - zoneinfo raises several types
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name like Asia/Shanghai)"
            ) from exc
        return v

    @field_validator("max_file_mb", "max_decompressed_mb", "max_decompression_ratio", "max_line_kb")
    @classmethod
    def _positive_limit(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"{v} is not a limit; use 1 or more")
        return v

    @field_validator(
        "min_free_mb",
        "retry_max",
        "retry_delay_seconds",
        "alert_reminder_days",
        "overdue_escalation_days",
    )
    @classmethod
    def _not_negative(cls, v: float) -> float:
        if v < 0:
            raise ValueError(f"{v} must not be negative")
        return v

    @field_validator("partitions_start")
    @classmethod
    def _iso_date(cls, v: str) -> str:
        try:
            date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a date like 2020-01-01") from None
        return v

    @field_validator("freshness_deadline")
    @classmethod
    def _clock_time(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v.strip()):
            raise ValueError(f"{v!r} is not a time of day like 07:00 (HH:MM, 24-hour clock)")
        return v.strip()

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", v, re.I):
            raise ValueError(f"{v!r} is not a memory size like 1GB or 512MB")
        return v.strip()

    @field_validator("alert_language")
    @classmethod
    def _alert_language(cls, v: str) -> str:
        if v not in ("en", "zh"):
            raise ValueError(f"{v!r} is not an alert language; use en or zh")
        return v

    @field_validator("ingest_batch_rows")
    @classmethod
    def _batch_rows(cls, v: int) -> int:
        if v < 1000:
            raise ValueError(f"{v} is too small; use at least 1000 rows per batch")
        return v

    @field_validator("lake_dir", "spark_dir", "spark_warehouse_dir")
    @classmethod
    def _optional_location(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("report_time")
    @classmethod
    def _time_of_day(cls, v: str) -> str:
        m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", v)
        if m is None:
            raise ValueError(f"report time {v!r} must be HH:MM, like 04:00")
        return f"{int(m.group(1)):02d}:{m.group(2)}"

    @field_validator("report_first_month")
    @classmethod
    def _month(cls, v: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v.strip()):
            raise ValueError(f"report first month {v!r} must be YYYY-MM, like 2024-01")
        return v.strip()

    @field_validator("reporting_currency")
    @classmethod
    def _iso_code(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha() or not v.isupper():
            raise ValueError(f"reporting currency {v!r} must be an ISO 4217 code such as CNY")
        return v

    @property
    def first_business_date(self) -> date:
        return date.fromisoformat(self.partitions_start)

    @property
    def deadline_time(self) -> time:
        hours, minutes = self.freshness_deadline.split(":")
        return time(int(hours), int(minutes))

    def yesterday(self) -> date:
        """The default business date of a drop: yesterday in the business timezone."""
        return datetime.now(ZoneInfo(self.business_timezone)).date() - timedelta(days=1)
