"""A past quarter rebuilt from the load history gives the numbers reported then.

Night 1 (2026-09-30, the end of 2026Q3) is the shared demo night: the marts of that night
are what was reported for Q3. Three more nights bring changes that reach back into Q3: a Q3
order corrected to ten times its amount, a back-dated fx rate, a payment for a Q3 order, a
rep moved to another team, a new October order. The live marts change; the marts rebuilt
as of 2026-09-30 equal night 1's, table by table and row by row.
"""

from __future__ import annotations

import csv
import io
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
from pipelines.ops.runner import run_nightly
from pipelines.transform.as_of import rebuild_as_of
from tests.conftest import DEMO_AS_OF

pytestmark = pytest.mark.e2e

QUARTER_END = DEMO_AS_OF
LATER_NIGHTS = (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3))
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


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, header: list[str], records: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


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
def history(demo, tmp_path_factory):
    root = tmp_path_factory.mktemp("as-of")
    first = demo["inbox"]
    home = root / "home"
    shutil.copytree(demo["home"], home)
    reported = marts(home / "warehouse.duckdb")
    reported_q3 = q3_revenue(home / "warehouse.duckdb")

    orders = rows(first / "orders.csv")
    order_header = list(orders[0])
    q3 = [
        o
        for o in orders
        if o["ordered_at"][:7] in ("2026-07", "2026-08", "2026-09")
        and o["status"] != "cancelled"
        and o["currency"] == "CNY"
    ]
    corrected = {**q3[0], "total_amount": str(Decimal(q3[0]["total_amount"]) * 10)}
    october = {**q3[1], "order_id": "ORD-AS-OF-NEW", "ordered_at": "2026-10-02 10:00:00"}
    reps = rows(first / "sales_reps.csv")
    teams = sorted({r["team"] for r in reps})
    mover = next(r for r in reps if r["team"] == teams[0])
    moved = {**mover, "team": teams[1]}
    fx = rows(first / "fx_rates.csv")
    usd = [r for r in fx if r["currency"] == "USD"]
    backdated = {**usd[-1], "rate_date": "2026-09-15", "rate_to_reporting": "9.5"}
    payments = rows(first / "payments.csv")
    payment = {
        **payments[0],
        "payment_id": "PAY-AS-OF-NEW",
        "order_id": q3[2]["order_id"],
        "invoice_id": "",
        "paid_at": "2026-10-03 09:00:00",
        "amount": "1.00",
        "currency": q3[2]["currency"],
    }
    changes = {
        LATER_NIGHTS[0]: {
            "orders.csv": (order_header, [corrected]),
            "fx_rates.csv": (list(fx[0]), [backdated]),
        },
        LATER_NIGHTS[1]: {
            "sales_reps.csv": (list(reps[0]), [moved]),
            "orders.csv": (order_header, [october]),
        },
        LATER_NIGHTS[2]: {"payments.csv": (list(payments[0]), [payment])},
    }
    for night, files in changes.items():
        drop = root / "drops" / night.isoformat()
        for name, (header, records) in files.items():
            write(drop / name, header, records)
        result = run_nightly(inbox=drop, home=home, as_of=night, echo=False)
        assert result["status"] == "success", result.get("error")
    return {
        "home": home,
        "reported": reported,
        "reported_q3": reported_q3,
        "corrected": corrected,
        "original": q3[0],
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
