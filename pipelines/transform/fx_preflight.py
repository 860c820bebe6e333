"""Before the dbt build: every currency the records are in can reach the reporting currency.

dbt converts each amount at the latest ``fx_rates`` rate of its currency dated on or before the
record's date (``int_fx_rates`` + macro ``fx_rate_for``); the reporting currency converts at 1.
A record older than its currency's first rate converts to nothing and is reported as a
``missing_fx_rate`` finding. A currency *none* of whose records can convert (no rate at all, or
rates dated only after its latest record) would make every figure in it empty, so the nightly
run stops here, after the ingest into its working copy and before dbt: the live warehouse is
left as it was and the message names the currencies, the files, the setting and the fix.

The records checked are the current versions (latest per key, deletion markers excluded) of
every contract entity with a currency column, dated by the entity's first date or timestamp
column (its event: ordered, paid, issued, created), read in the business timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipelines.core.contract import CURRENCY_COLUMNS, ENTITIES, Entity
from pipelines.core.errors import SalesOpsError

#: The setting that names the reporting currency (environment variable / Settings field).
SETTING = "SALESOPS_REPORTING_CURRENCY (Settings.reporting_currency)"


@dataclass
class CurrencyGap:
    """A currency none of whose records converts into the reporting currency."""

    currency: str
    records: int = 0
    #: (entity, file) -> records
    files: dict[tuple[str, str], int] = field(default_factory=dict)
    latest_record: date | None = None
    first_rate: date | None = None  # None: fx_rates has no rate for it at all


def currency_entities() -> list[tuple[Entity, str, str]]:
    """(entity, currency column, date column) of every entity whose amounts are converted."""
    found = []
    for e in ENTITIES:
        if e.name == "fx_rates":
            continue
        currency = next((c.name for c in e.columns if c.name in CURRENCY_COLUMNS), None)
        dated = next((c.name for c in e.columns if c.type in ("date", "timestamp")), None)
        if currency and dated:
            found.append((e, currency, dated))
    return found


def _current(e: Entity) -> str:
    """The current version of each record of ``e`` (the rule staging applies)."""
    keys = ", ".join(f'"{k}"' for k in e.key)
    return f"""(select * from raw.{e.name}
               qualify row_number() over (
                   partition by {keys} order by _load_id desc, _source_row desc) = 1)"""  # noqa: S608


def currency_gaps(
    con: duckdb.DuckDBPyConnection, reporting_currency: str, timezone: str
) -> list[CurrencyGap]:
    """The currencies of current records that no fx rate converts, by currency."""
    rates = {
        currency: first
        for currency, first in con.execute(
            f"""select upper(currency), min(rate_date)
                from {_current(_fx_entity())}
                where not _deleted and rate_to_reporting > 0
                group by 1"""  # noqa: S608
        ).fetchall()
    }
    per_file: list[tuple[str, str, str, int, date]] = []
    for e, currency, dated in currency_entities():
        column = next(c for c in e.columns if c.name == dated)
        day = f'"{dated}"' if column.type == "date" else f"timezone('{timezone}', \"{dated}\")"
        per_file += [
            (e.name, *row)
            for row in con.execute(
                f"""select upper("{currency}"), _source_file, count(*),
                           max(cast({day} as date))
                    from {_current(e)}
                    where not _deleted and "{currency}" is not null
                      and upper("{currency}") != ?
                    group by 1, 2""",  # noqa: S608
                [reporting_currency.upper()],
            ).fetchall()
        ]
    gaps: dict[str, CurrencyGap] = {}
    for entity, currency, file, records, latest in per_file:
        gap = gaps.setdefault(currency, CurrencyGap(currency, first_rate=rates.get(currency)))
        gap.records += records
        gap.files[(entity, file)] = gap.files.get((entity, file), 0) + records
        if latest is not None and (gap.latest_record is None or latest > gap.latest_record):
            gap.latest_record = latest
    return [
        g
        for _, g in sorted(gaps.items())
        if g.first_rate is None or (g.latest_record is not None and g.first_rate > g.latest_record)
    ]


def _fx_entity() -> Entity:
    return next(e for e in ENTITIES if e.name == "fx_rates")


def _describe(gap: CurrencyGap, reporting: str) -> str:
    files = ", ".join(
        f"{file} ({entity}: {n:,} record{'s' if n != 1 else ''})"
        for (entity, file), n in sorted(gap.files.items())
    )
    if gap.first_rate is None:
        why = f"fx_rates holds no {gap.currency} rate"
    else:
        why = (
            f"the first {gap.currency} rate in fx_rates is dated {gap.first_rate}, after its "
            f"latest record ({gap.latest_record})"
        )
    return (
        f"{gap.currency}: {gap.records:,} record{'s' if gap.records != 1 else ''} in {files}; "
        f"{why}, so none converts into {reporting}"
    )


def currency_error(gaps: list[CurrencyGap], reporting: str) -> SalesOpsError:
    names = ", ".join(g.currency for g in gaps)
    problem = (
        f"amounts in {names} cannot be converted into the reporting currency {reporting} "
        f"(the setting {SETTING} is {reporting}):\n    "
        + "\n    ".join(_describe(g, reporting) for g in gaps)
        + "\n  An amount converts at the latest fx_rates rate of its currency dated on or before "
        "the record's date (the reporting currency converts at 1); records older than a "
        "currency's first rate are only flagged (missing_fx_rate), but a currency none of whose "
        "records converts would leave every figure empty. The run stopped before the dbt build; "
        "the warehouse was left as it was."
    )
    options = []
    if len(gaps) == 1:
        options.append(
            f"if every amount is in {gaps[0].currency}, set the reporting currency to it "
            f"(SALESOPS_REPORTING_CURRENCY={gaps[0].currency}, or reporting_currency in the "
            "settings)"
        )
    else:
        options.append(
            "set the reporting currency (SALESOPS_REPORTING_CURRENCY, or reporting_currency in "
            "the settings) to the currency the figures should be in"
        )
    rates = " and ".join(f"{g.currency}->{reporting}" for g in gaps)
    options.append(
        f"export fx rates for {rates} into the drop (fx_rates.csv: rate_date, currency, "
        f"rate_to_reporting = {reporting} per unit of the currency), dated on or before the "
        "records they convert"
    )
    return SalesOpsError(problem, "; or ".join(options) + "; then run the same command again")


def check_reporting_currency(
    con: duckdb.DuckDBPyConnection, reporting_currency: str, timezone: str
) -> None:
    """Raise :class:`SalesOpsError` when a currency of the records cannot be converted."""
    gaps = currency_gaps(con, reporting_currency, timezone)
    if gaps:
        raise currency_error(gaps, reporting_currency)
