"""A past quarter rebuilt from the load history gives the numbers reported then.

Night 1 (2026-09-30, the end of 2026Q3) is the shared demo night: the marts of that night
are what was reported for Q3. The next night (2026-10-01, the shared `demo_next_night` of
tests/conftest.py, which test_end_to_end's killed runs also run) brings changes that reach
back into Q3: a Q3 order corrected to ten times its amount, a back-dated fx rate, a payment
for a Q3 order, a rep moved to another team, a new October order. The live marts change; the
marts rebuilt as of 2026-09-30 equal night 1's, table by table and row by row. One later
load carries all the changes: the rebuild leaves out every load after the date, whether one
or several (it keeps the loads on or before it, pipelines/transform/as_of.py).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.errors import SalesOpsError
from pipelines.transform.as_of import rebuild_as_of
from tests.conftest import DEMO_AS_OF

pytestmark = pytest.mark.e2e

QUARTER_END = DEMO_AS_OF
#: The findings carry load ids and first/last-seen loads: a rebuild is not a past night.
NOT_COMPARED = {"fct_dq_findings", "dq_findings"}


def marts(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            t: sorted(map(repr, con.sql(f'select * from marts."{t}"').fetchall()))
            for t in tables
            if t not in NOT_COMPARED
        }


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rate_on(rates: dict[str, Decimal], day: str) -> Decimal | None:
    """The latest rate on or before ``day`` (the spec's rate rule)."""
    earlier = [d for d in rates if d <= day]
    return rates[max(earlier)] if earlier else None


def q3_revenue(path: Path) -> Decimal:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select revenue from marts.fct_sales_performance "
            "where period = '2026Q3' and level = 'company'"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def history(demo, demo_next_night, tmp_path_factory):
    """A copy of the next night's home (the rebuild writes beside the live warehouse), what
    was reported on night 1, and the corrected order."""
    assert demo_next_night["summary"]["status"] == "success", demo_next_night["summary"].get(
        "error"
    )
    home = tmp_path_factory.mktemp("as-of") / "home"
    shutil.copytree(demo_next_night["home"], home)
    reported = demo["home"] / "warehouse.duckdb"
    return {
        "home": home,
        "reported": marts(reported),
        "reported_q3": q3_revenue(reported),
        "corrected": demo_next_night["corrected"],
        "original": demo_next_night["original"],
    }


def test_the_later_nights_changed_the_live_q3_numbers(history):
    """Otherwise the comparison below could not fail."""
    live = history["home"] / "warehouse.duckdb"
    with duckdb.connect(str(live), read_only=True) as con:
        raw_versions = con.execute(
            "select count(*) from raw.orders where order_id = ?", [history["original"]["order_id"]]
        ).fetchone()[0]
    assert raw_versions == 2
    assert marts(live) != history["reported"]
    # Independently: the correction adds nine times the (CNY) order's amount; the back-dated
    # USD rate of 9.5 from 09-15 re-prices the Q3 USD orders dated from then on.
    with duckdb.connect(str(live), read_only=True) as con:
        first_load = con.execute(
            "select ordered_at, total_amount from raw.orders "
            "where _load_id = 1 and currency = 'USD' and status <> 'cancelled'"
        ).fetchall()
        usd = {
            d.isoformat(): rate
            for d, rate in con.execute(
                "select rate_date, rate_to_reporting from raw.fx_rates "
                "where _load_id = 1 and currency = 'USD'"
            ).fetchall()
        }
    shifted = usd | {"2026-09-15": Decimal("9.5")}
    fx_delta = Decimal(0)
    for ordered_at, amount in first_load:
        day = ordered_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        if "2026-07-01" <= day <= "2026-09-30" and rate_on(usd, day) is not None:
            # each order is converted and rounded to cents on its own (half away from zero)
            fx_delta += cents(amount * rate_on(shifted, day)) - cents(amount * rate_on(usd, day))
    assert fx_delta != 0  # the demo has Q3 USD orders after 09-15
    expected = Decimal(history["original"]["total_amount"]) * 9 + fx_delta
    assert q3_revenue(live) - history["reported_q3"] == expected


def test_rebuilding_q3_as_of_its_end_gives_the_numbers_reported_then(history, tmp_path):
    live = history["home"] / "warehouse.duckdb"
    before = live.read_bytes()
    result = CliRunner().invoke(
        main, ["rebuild", "--as-of", "2026-09-30", "--home", str(history["home"])]
    )
    assert result.exit_code == 0, result.output
    rebuilt = history["home"] / "as-of" / "warehouse-2026-09-30.duckdb"
    assert f"marts as of 2026-09-30: {rebuilt}" in result.output
    assert live.read_bytes() == before  # the live warehouse is only read
    again = marts(rebuilt)
    assert set(again) == set(history["reported"])
    for table, reported_rows in history["reported"].items():
        assert again[table] == reported_rows, table


def test_a_date_before_the_first_load_is_a_clear_error(history, tmp_path):
    with pytest.raises(SalesOpsError, match="nothing was loaded on or before 2026-09-29"):
        rebuild_as_of(
            history["home"] / "warehouse.duckdb", date(2026, 9, 29), tmp_path / "x.duckdb"
        )
    assert not (tmp_path / "x.duckdb").exists()
