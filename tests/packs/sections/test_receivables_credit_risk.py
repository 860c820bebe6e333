"""The receivables section's accounts of the highest bad-debt risk, on rendered packs.

The small warehouse of tests/transform/test_receivables_instalments.py (orders with several
invoices, payments naming an invoice or none), with a contact detail in one account's name, is
built by dbt with every mart a pack reads; company and team packs are rendered in HTML and
Excel (English and 中文) and the company pack in PDF. The expected figures are recomputed here
in plain Python from the input rows: each account's risk score (days overdue, share overdue,
late instalments; default weights 0.5 / 0.3 / 0.2, cap 120 days, bands 60 / 30), and the
scope's exposure, overdue amount and expected loss (the scope's orders only; default loss
rates), never read from the marts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from pipelines.packs import render_pack
from pipelines.packs.sections import PACK_MARTS
from tests.packs.support import OPTIONS, needs_poppler, parse, pdf_text, sheet_rows
from tests.support.dbt_warehouse import build_warehouse, run_dbt
from tests.transform.test_receivables_instalments import (
    AS_OF,
    INVOICES,
    LOSS_RATES,
    ORDERS,
    _raw,
    expected_balances,
)

TEAM = {"R1": "East A", "R2": "North A"}
EMAIL = "finance@beta.example.com"
NAMES = {"A1": "Acme", "A2": f"Beta {EMAIL}", "A3": "Gamma"}
SCOPES = {"company": lambda rep: True, "team:East A": lambda rep: TEAM[rep] == "East A"}
HEADINGS = {"en": "Accounts of the highest bad-debt risk", "zh": "坏账风险最高的客户"}
BANDS = {
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
    "zh": {"high": "高", "medium": "中", "low": "低"},
}


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _money(x: Decimal) -> str:
    return f"¥{x:,.2f}"


def expected_risk(scope: str) -> list[tuple[str, Decimal, str, Decimal, Decimal, Decimal]]:
    """(account, score, band, exposure, overdue, expected loss) of the scope's accounts with
    an open receivable, highest score first, from the input rows."""
    account = {o: a for o, a, *_ in ORDERS}
    rep = {o: r for o, _a, r, *_ in ORDERS}
    dues = {(o, i): date.fromisoformat(d) for i, o, _iss, d, _amt in INVOICES}
    for o, _a, _r, d, _t, terms in ORDERS:
        if o not in {k[0] for k in dues}:
            dues[(o, o)] = date.fromisoformat(d) + dt.timedelta(days=terms)
    balances = expected_balances(AS_OF)
    scores: dict[str, Decimal] = {}
    for acc in {account[o] for o, _ in balances}:
        mine = [v for k, v in balances.items() if account[k[0]] == acc]
        total = sum(v[0] for v in mine)
        overdue = sum(v[0] for v in mine if v[1] > 0)
        days = Decimal(min(max(v[1] for v in mine), 120)) / 120
        due = [k for k, d in dues.items() if account[k[0]] == acc and d <= AS_OF]
        # late: not fully paid on its due date
        late = [k for k in due if k in expected_balances(dues[k])]
        late_share = Decimal(len(late)) / len(due) if due else Decimal(0)
        score = 100 * (
            Decimal("0.5") * days + Decimal("0.3") * overdue / total + Decimal("0.2") * late_share
        )
        scores[acc] = score.quantize(Decimal("0.1"), ROUND_HALF_UP)
    exposure: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for (o, _rid), (left, days, bucket) in balances.items():
        if not SCOPES[scope](rep[o]):
            continue
        row = exposure[account[o]]
        row[0] += left
        row[1] += left if days > 0 else 0
        row[2] += _cents(left * LOSS_RATES[bucket])
    out = []
    for acc, (exp, over, loss) in exposure.items():
        s = scores[acc]
        band = "high" if s >= 60 else "medium" if s >= 30 else "low"
        out.append((acc, s, band, _cents(exp), _cents(over), loss))
    return sorted(out, key=lambda r: (-r[1], -r[5], r[0]))


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("credit_risk_pack")
    db = tmp / "warehouse.duckdb"
    raw = _raw()
    for row in raw["accounts"]:
        row["account_name"] = NAMES[row["account_id"]]
    build_warehouse(
        db,
        {table: [(1, row) for row in rows] for table, rows in raw.items()},
        loads={1: AS_OF.isoformat()},
        loaded_at=dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC),
    )
    run_dbt(
        ["run", "--select", *(f"+{m}" for m in PACK_MARTS), "+fct_account_credit_risk"],
        db=db,
        tmp=tmp,
        as_of=AS_OF.isoformat(),
        load_id=1,
    )
    # dbt-duckdb may hold the file open in this process: read a checkpointed copy of the
    # same name (the views name the catalog after the file)
    con = duckdb.connect(str(db))
    # the files of the load, so the pack knows these entities were loaded
    con.executemany(
        "insert into meta.load_files (load_id, run_id, entity, file_name, status, rows_in,"
        " rows_loaded) values (1, 'run1', ?, ?, 'loaded', ?, ?)",
        [(e, f"{e}.csv", len(rows), len(rows)) for e, rows in raw.items()],
    )
    con.execute("checkpoint")
    con.close()
    (tmp / "copy").mkdir()
    copy = tmp / "copy" / db.name
    shutil.copyfile(db, copy)
    out = {}
    for scope in SCOPES:
        for lang in ("en", "zh"):
            formats = ["html", "xlsx"] + (["pdf"] if (scope, lang) == ("company", "en") else [])
            out[(scope, lang)] = render_pack(
                copy,
                "2026Q3",
                tmp / "out",
                scope=scope,
                lang=lang,
                formats=formats,
                options=OPTIONS,
            )
    return out


def test_the_oracle_by_hand():
    # A1: I2 300 is 30 days overdue (days 0.25), 300 of 600 open overdue (0.5), I1 paid on
    # time and I2 not (0.5) -> 100 × (0.125 + 0.15 + 0.1) = 37.5, medium.
    rows = {r[0]: r for r in expected_risk("company")}
    assert rows["A1"][1:3] == (Decimal("37.5"), "medium")
    # East A holds only O2 of A2 (O3 is R2's, North A): J2 550 open, 1 day overdue
    team = {r[0]: r for r in expected_risk("team:East A")}
    assert set(team) == {"A1", "A2"} and team["A2"][3] == Decimal("550.00")


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_riskiest_accounts_of_the_scope_in_html_and_excel(packs, scope, lang):
    pack = packs[(scope, lang)]
    html, p = parse(pack.files["html"])
    want = expected_risk(scope)
    assert want  # something to show
    rows = p.tables["credit-risk-table"][1:]
    shown = [
        (
            NAMES[acc].replace(EMAIL, "").strip(),
            f"{score}",
            BANDS[lang][band],
            _money(exp),
            _money(over),
            _money(loss),
        )
        for acc, score, band, exp, over, loss in want
    ]
    assert [(r[0].split(" ")[0], *r[1:]) for r in rows] == shown
    # the contact detail in the account name is masked, in the HTML and in the workbook
    assert EMAIL not in html
    sheet = sheet_rows(pack.files["xlsx"], html, "receivables")
    assert not any(EMAIL in str(v) for r in sheet for v in r)
    start = [r[0] for r in sheet].index(HEADINGS[lang]) + 2  # title row, header row
    body = [r for r in sheet[start : start + len(want)]]
    assert [
        (Decimal(str(r[1])), Decimal(str(r[3])), Decimal(str(r[4])), Decimal(str(r[5])))
        for r in body
    ] == [(score, exp, over, loss) for _a, score, _b, exp, over, loss in want]


@needs_poppler
def test_riskiest_accounts_in_the_pdf(packs):
    text = pdf_text(packs[("company", "en")].files["pdf"])
    assert "Accounts of the highest bad-debt risk" in text
    for _acc, score, _band, _exp, _over, loss in expected_risk("company"):
        assert f"{score}" in text and _money(loss) in text
    assert EMAIL not in text
