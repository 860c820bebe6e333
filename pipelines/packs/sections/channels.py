"""Lead sources and sales channels: leads, conversion, wins and revenue by where they came from.

Reads the scope's rows of ``marts.fct_sales_channels`` for the period: one table by lead
source, one by sales channel. The mart came later than the core ones: a warehouse without
it leaves the section out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import duckdb

from pipelines.core.i18n import Strings
from pipelines.packs.formatting import Formatter, known_amount, known_sum
from pipelines.packs.frame import Frame, has_table
from pipelines.packs.scope import Scope
from pipelines.packs.sections.base import Ctx, Section, SectionContent, grid, reverse_text
from pipelines.packs.tables import Column, Table

#: Channel types in display order (the mart's ``channel_type`` values).
CHANNEL_TYPES: tuple[str, ...] = ("lead_source", "sales_channel")
#: fct_sales_channels' value for an unknown source or channel (never named as the best).
UNKNOWN_CHANNEL = "(none)"


@dataclass(frozen=True)
class Channel:
    """One row of ``fct_sales_channels``."""

    channel_type: str
    channel: str
    leads: int | None
    converted_leads: int | None
    lead_conversion_rate: float | None
    opportunities_created: int
    won: int
    won_amount: Decimal | None
    orders: int
    revenue: Decimal | None


def sales_channels(
    con: duckdb.DuckDBPyConnection, period_type: str, period: str, scope: Scope
) -> list[Channel] | None:
    """The scope's lead sources then sales channels of the period, by revenue."""
    if not has_table(con, "marts.fct_sales_channels"):
        return None
    rows = con.execute(
        """select channel_type, channel, leads, converted_leads, lead_conversion_rate,
                  coalesce(opportunities_created, 0), coalesce(won, 0),
                  coalesce(won_amount, 0), coalesce(orders, 0), coalesce(revenue, 0)
           from marts.fct_sales_channels
           where period_type = ? and period = ? and level = ? and scope_id = ?
           order by channel_type, coalesce(revenue, 0) desc, channel""",
        [period_type, period, scope.level, scope.scope_id],
    ).fetchall()
    return [Channel(*r) for r in rows]


def load(con: duckdb.DuckDBPyConnection, frame: Frame) -> list[Channel] | None:
    return sales_channels(con, frame.period.period_type, frame.period.label, frame.scope)


def channels_commentary(
    channels: list[Channel], period: str, fmt: Formatter, t: Strings
) -> list[str]:
    """The sales channel with the most revenue, the known lead source with the most won amount."""
    sales = [c for c in channels if c.channel_type == "sales_channel"]
    sources = [c for c in channels if c.channel_type == "lead_source"]
    if not channels:
        return [t("channels.none", period=period)]
    out = []
    total = known_sum(c.revenue for c in sales)
    if total is not None and total > 0:
        top = max(sales, key=lambda c: (known_amount(c.revenue), reverse_text(c.channel)))
        out.append(
            t(
                "channels.top_channel",
                channel=top.channel,
                period=period,
                revenue=fmt.headline_money(top.revenue),
                share=fmt.pct(top.revenue / total),
                total=fmt.headline_money(total),
            )
        )
    won = [c for c in sources if known_amount(c.won_amount) > 0 and c.channel != UNKNOWN_CHANNEL]
    if won:
        best = max(won, key=lambda c: (known_amount(c.won_amount), reverse_text(c.channel)))
        out.append(
            t(
                "channels.top_source",
                source=best.channel,
                amount=fmt.headline_money(best.won_amount),
                won=fmt.count(best.won),
            )
        )
    if not out:
        out.append(t("channels.no_revenue", period=period))
    return out


def context(channels: list[Channel], c: Ctx) -> SectionContent:
    """Leads, conversion, won amount and revenue by lead source and by sales channel."""
    t, fmt = c.t, c.fmt
    tables, grids = [], []
    for kind in CHANNEL_TYPES:
        rows = [x for x in channels if x.channel_type == kind]
        if not rows:
            continue
        sources = kind == "lead_source"
        columns = [Column(t(f"channels.{kind}"))]
        if sources:
            columns += [
                Column(t("channels.leads"), "count"),
                Column(t("channels.converted"), "count"),
                Column(t("channels.conversion"), "pct"),
            ]
        columns += [
            Column(t("channels.opportunities"), "count"),
            Column(t("channels.won"), "count"),
            Column(t("channels.won_amount"), "money"),
            Column(t("channels.orders"), "count"),
            Column(t("channels.revenue"), "money"),
        ]

        def typed(x, sources: bool = sources) -> list[object]:
            lead = [x.leads, x.converted_leads, x.lead_conversion_rate] if sources else []
            return [
                c.crm(x.channel),
                *lead,
                x.opportunities_created,
                x.won,
                x.won_amount,
                x.orders,
                x.revenue,
            ]

        def shown(x, sources: bool = sources) -> list[str]:
            lead = (
                [fmt.count(x.leads), fmt.count(x.converted_leads), fmt.pct(x.lead_conversion_rate)]
                if sources
                else []
            )
            return [
                c.crm(x.channel) or fmt.na,
                *lead,
                fmt.count(x.opportunities_created),
                fmt.count(x.won),
                fmt.money(x.won_amount),
                fmt.count(x.orders),
                fmt.money(x.revenue),
            ]

        key = f"channels-{kind.replace('_', '-')}"
        table = Table(key, t(f"channels.{kind}_heading"), columns, [typed(x) for x in rows])
        tables.append(table)
        grids.append(grid(key, t(f"channels.{kind}_heading"), table, [shown(x) for x in rows]))
    notes = [t("channels.note")]
    masked = [replace(x, channel=c.crm(x.channel) or fmt.na) for x in channels]
    source = f"marts.fct_sales_channels ({c.kind}, {c.level})"
    return SectionContent(
        dict(grids=grids, notes=notes, source=source),
        channels_commentary(masked, c.period, fmt, t),
        tables,
    )


SECTION = Section(
    key="channels",
    marts=(),
    optional_marts=("marts.fct_sales_channels",),
    load=load,
    context=context,
)
