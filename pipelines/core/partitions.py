"""Daily partitions of the nightly load: one partition per business date.

A partition key is the business date (``YYYY-MM-DD``) a drop represents, in the business
timezone; it is the date the warehouse resource loads the drop as
(:attr:`pipelines.warehouse.resource.WarehouseResource.business_date`). The last partition
is yesterday in that timezone (today's data is not complete before the day ends); the first
is ``SALESOPS_PARTITIONS_START``.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.core.errors import SalesOpsError
from pipelines.core.settings import Settings

#: The run tag Dagster puts the partition key in.
PARTITION_TAG = "dagster/partition"


def business_date_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=settings.partitions_start, timezone=settings.business_timezone
    )


def check_business_date(as_of: date, settings: Settings) -> None:
    """Raise a clear error when ``as_of`` is not a partition of the nightly job."""
    first, last = settings.first_business_date, settings.yesterday()
    if as_of < first:
        raise SalesOpsError(
            f"business date {as_of} is before the first partition of the nightly job ({first})",
            "set SALESOPS_PARTITIONS_START to a date on or before it (docs/operations.md)",
        )
    if as_of > last:
        raise SalesOpsError(
            f"business date {as_of} is not over yet in {settings.business_timezone} "
            f"(the latest business date that can be loaded is {last})",
            "give the date the drop's data ends on (--as-of), at the latest yesterday",
        )


def in_range(as_of: date, settings: Settings) -> bool:
    return settings.first_business_date <= as_of <= settings.yesterday()
