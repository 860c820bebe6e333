"""Customers section: CAC and CAC payback beside the customer movement, and n/a with the
reason when no sales and marketing spend file was loaded.

A hand-made marts warehouse (in memory) with one row of each customer mart for 2026Q3; the
frame says which inputs were loaded (pipelines.warehouse.inputs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from pipelines.core.i18n import load_strings
from pipelines.core.periods import parse_period
from pipelines.packs.formatting import Formatter
from pipelines.packs.frame import Frame, PeriodMetrics
from pipelines.packs.scope import Scope
from pipelines.packs.sections import customers
from pipelines.packs.sections.base import Ctx
from pipelines.warehouse.inputs import EntityInput

AS_OF = date(2026, 9, 30)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """create table marts.fct_customer_retention as select
           'quarter' as period_type, '2026Q3' as period, 'company' as level, 'all' as scope_id,
           date '2026-09-30' as measure_date, 10 as active_at_start, 12 as active_at_end,
           4 as gained, 2 as churned, 0.2 as churn_rate, 0.8 as retention_rate,
           12 as trailing_customers, 5 as repeat_customers, 0.4167 as repeat_purchase_rate"""
    )
    con.execute(
        """create table marts.fct_customer_value_tiers as select
           'quarter' as period_type, '2026Q3' as period, 'company' as level, 'all' as scope_id,
           'A' as value_tier, 'ACC-1' as account_id,
           1000.00::decimal(38,2) as scope_trailing_revenue"""
    )
    # spend 30 300.00 over 3 new customers -> CAC 10 100.00; payback 30 300 × 12 / 9 090 = 40.00
    con.execute(
        """create table marts.fct_customer_acquisition as select
           'quarter' as period_type, '2026Q3' as period, 'company' as level, 'all' as scope_id,
           '(all)' as channel,
           30300.00::decimal(38,2) as spend, 0::bigint as unpriced_spend_rows,
           3::bigint as new_customers, 10100.00::decimal(38,2) as cac,
           40.00::decimal(38,2) as cac_payback_months, true as first_year_complete,
           null::varchar as cac_na_reason"""
    )
    # by channel: events 20 200.00 over 2 -> 10 100.00; ads 10 100.00 and no new customer;
    # one new customer without a lead source under (none)
    con.execute(
        """insert into marts.fct_customer_acquisition by name
           select * from (values
             ('quarter', '2026Q3', 'company', 'all', 'events', 20200.00::decimal(38,2), 0, 2,
              10100.00::decimal(38,2), 30.00::decimal(38,2), true, null),
             ('quarter', '2026Q3', 'company', 'all', 'ads', 10100.00::decimal(38,2), 0, 0,
              null, null, false, 'no_new_customers'),
             ('quarter', '2026Q3', 'company', 'all', '(none)', null, 0, 1, null, null, true,
              'no_channel')
           ) as v(period_type, period, level, scope_id, channel, spend, unpriced_spend_rows,
                  new_customers, cac, cac_payback_months, first_year_complete, cac_na_reason)"""
    )
    yield con
    con.close()


def _frame(spend_loaded: bool) -> Frame:
    metrics = PeriodMetrics(
        "2026Q3",
        date(2026, 7, 1),
        date(2026, 9, 30),
        Decimal("9090.00"),
        Decimal(0),
        5,
        3,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    inputs = {
        e: EntityInput(e, AS_OF if loaded else None, 1 if loaded else 0, True, AS_OF)
        for e, loaded in (("orders", True), ("marketing_spend", spend_loaded))
    }
    return Frame(
        period=parse_period("2026Q3"),
        scope=Scope.company(),
        as_of_date=AS_OF,
        latest_load_as_of=AS_OF,
        current=metrics,
        inputs=inputs,
    )


def _content(con, spend_loaded: bool, lang: str = "en"):
    frame = _frame(spend_loaded)
    t = load_strings(lang)
    ctx = Ctx(t=t, fmt=Formatter(t, "CNY"), frame=frame)
    data = customers.load(con, frame)
    return t, customers.context(data, ctx)


def _acquisition_rows(content) -> list[list]:
    table = next(x for x in content.tables if x.key == "acquisition")
    return [row[1] for row in table.rows]


def test_cac_and_payback_are_shown(con):
    t, content = _content(con, spend_loaded=True)
    assert _acquisition_rows(content) == [
        Decimal("30300.00"),
        3,
        Decimal("10100.00"),
        Decimal("40.00"),
    ]
    assert t("customers.cac_note") in content.data["notes"]
    assert not any("n/a" in n for n in content.data["notes"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cac_is_na_with_the_reason_without_a_spend_file(con, lang):
    t, content = _content(con, spend_loaded=False, lang=lang)
    spend, new, cac, payback = _acquisition_rows(content)
    assert (spend, cac, payback) == (None, None, None)
    assert new == 3  # new customers do not need the spend file
    assert t("customers.cac_no_spend_file", entity="marketing_spend") in content.data["notes"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cac_by_channel_with_the_reason_of_each_na(con, lang):
    t, content = _content(con, spend_loaded=True, lang=lang)
    # the all-channel CAC is unchanged by the channel rows
    assert _acquisition_rows(content)[2] == Decimal("10100.00")
    grid = next(g for g in content.data["grids"] if g["id"] == "acquisition-channels-table")
    na = "n/a" if lang == "en" else "无"
    reasons = {
        "en": (
            "",
            "no new customer from this channel",
            "spend or customers without a channel cannot be paired",
        ),
        "zh": ("", "该渠道无新客户", "无渠道的投入或客户无法配对"),
    }[lang]
    assert grid["rows"] == [
        ["events", "¥20,200.00", "2", "¥10,100.00", "30.00", reasons[0]],
        ["ads", "¥10,100.00", "0", na, na, reasons[1]],
        ["(none)", na, "1", na, na, reasons[2]],
    ]
    table = next(x for x in content.tables if x.key == "acquisition-channels")
    # the channels add up to the scope's spend and new customers
    assert sum(r[1] for r in table.rows if r[1] is not None) == Decimal("30300.00")
    assert sum(r[2] for r in table.rows) == 3


def test_no_channel_table_without_a_spend_file(con):
    _t, content = _content(con, spend_loaded=False)
    assert not any(g["id"] == "acquisition-channels-table" for g in content.data["grids"])
