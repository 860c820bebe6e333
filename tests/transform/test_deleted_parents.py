"""A record deleted by a full export takes the records that belong to it out of the current
figures, and each one it takes is a finding parent_deleted; the night completes.

Real ERPs and CRMs export a header table in full while its children come separately or
incrementally: when an order leaves the full orders export (the load appends a deletion
version), its lines may still arrive in a delta file, and its invoices and payments stay
current from earlier loads. Before, every such child stayed current and an error-severity
relationships test (int_order_product_lines -> int_orders_enriched) failed the whole night.

A small hand-built warehouse (business timezone Asia/Shanghai, reporting currency CNY):

Load 1 (2026-07-01)
  reps R1, R2; accounts A1 (R1), A2 (R2), A3 (R1); product PRD1
  opportunities OP1 (A1), OP2 (A2), OP3 (A3), each with a stage-history row
  activities AC1 (R1, A1, OP1), AC2 (R2, A2), AC3 (R1, A3, OP3), AC4 (R2, OP2 only)
  surveys A2 and A3 on 2026-06-15
  orders O1 (A1, R1, 1000), O2 (A2, R2, 500), O3 (A3, R1, 300), O4 (A1, R1, 200), CNY
  lines O1/1, O1/2, O2/1, O3/1, O4/1; invoices I1 (O1), I2 (O2), I3 (O3)
  payments P1 400 for O1, P2 100 through I1, P3 300 for O3, P4 100 through I2
Load 2 (2026-07-02): the full orders export lacks O1, the full accounts export lacks A2
  (deletion versions); a delta order_lines file still brings a new version of O1/1.
  Gone, eleven findings: O1 takes O1/1, O1/2 and I1; A2 takes O2 (and O2's line O2/1 and
  invoice I2), OP2 (and OP2's stage-history row and activity AC4), AC2 and the survey of A2.
  Payments all stay (money received): P1, P2, P4 without an order (unapplied), P3 on O3.
Load 3 (2026-07-03): O1 is exported again: its lines and its invoice return.

Each load runs dbt incrementally (the nightly path) and the state is checked against a full
rebuild; on load 2 the whole dbt test suite must pass (warnings allowed, no error). Expected
values are computed below from the input rows (`_expected`), by the rule: a record is gone when
its latest version is a deletion, or when the parent it belongs to is gone.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.core import contract
from tests.support.dbt_warehouse import PROJECT_DIR, add_night, run_dbt, ts

AS_OF = "2026-07-03"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))

#: The parent a record belongs to, per (entity, column): deleting the parent takes the record
#: out of the current figures. Every other reference of the contract is to reference data or an
#: origin, and the record stays when the referenced record is deleted (a warn relationships test
#: in staging counts it): `STAYS`.
BELONGS_TO = {
    ("orders", "account_id"): "accounts",
    ("order_lines", "order_id"): "orders",
    ("invoices", "order_id"): "orders",
    ("opportunities", "account_id"): "accounts",
    ("opportunity_stage_history", "opportunity_id"): "opportunities",
    ("activities", "opportunity_id"): "opportunities",
    ("activities", "account_id"): "accounts",
    ("satisfaction_surveys", "account_id"): "accounts",
}
STAYS = {
    # money received stays: without its order it is an unapplied payment
    ("payments", "order_id"),
    ("payments", "invoice_id"),
    # an order is real without the deal it came from
    ("orders", "opportunity_id"),
    # reference data and origins: a rep, product or lead leaving does not undo sales
    ("orders", "rep_id"),
    ("order_lines", "product_id"),
    ("opportunities", "owner_rep_id"),
    ("leads", "owner_rep_id"),
    ("accounts", "owner_rep_id"),
    ("activities", "rep_id"),
    ("rep_assignments", "rep_id"),
    ("capability_scores", "rep_id"),
}
# Outside the contract's references, dbt also tests opportunities.lead_id, leads.opportunity_id
# and sales_reps.manager_id (warn): origins and hierarchy, they stay as well.
KEYS = {
    "orders": ("order_id",),
    "order_lines": ("order_id", "line_no"),
    "invoices": ("invoice_id",),
    "payments": ("payment_id",),
    "accounts": ("account_id",),
    "opportunities": ("opportunity_id",),
    "opportunity_stage_history": ("opportunity_id", "stage", "entered_at"),
    "activities": ("activity_id",),
    "satisfaction_surveys": ("account_id", "surveyed_at"),
}


def order(order_id: str, account: str, rep: str, total: str) -> dict:
    return dict(
        order_id=order_id,
        account_id=account,
        rep_id=rep,
        ordered_at=ts("2026-06-10 10:00:00"),
        status="received",
        currency="CNY",
        total_amount=Decimal(total),
        channel="direct",
        payment_terms_days=30,
    )


def line(order_id: str, line_no: int, quantity: str) -> dict:
    return dict(
        order_id=order_id,
        line_no=line_no,
        product_id="PRD1",
        quantity=Decimal(quantity),
        unit_price=Decimal("100"),
        discount_amount=Decimal("0"),
    )


def invoice(invoice_id: str, order_id: str, amount: str) -> dict:
    return dict(
        invoice_id=invoice_id,
        order_id=order_id,
        issued_at=dt.date(2026, 6, 12),
        due_date=dt.date(2026, 7, 12),
        amount=Decimal(amount),
        currency="CNY",
    )


def payment(payment_id: str, order_id: str | None, invoice_id: str | None, amount: str) -> dict:
    return dict(
        payment_id=payment_id,
        order_id=order_id,
        invoice_id=invoice_id,
        paid_at=ts("2026-06-20 12:00:00"),
        amount=Decimal(amount),
        currency="CNY",
        method="transfer",
    )


def account(account_id: str, owner: str) -> dict:
    return dict(account_id=account_id, account_name=account_id, region="East", owner_rep_id=owner)


def opportunity(opportunity_id: str, account_id: str, owner: str) -> dict:
    return dict(
        opportunity_id=opportunity_id,
        account_id=account_id,
        owner_rep_id=owner,
        name=opportunity_id,
        created_at=ts("2026-05-01 09:00:00"),
        stage="qualified",
        amount=Decimal("1000"),
        currency="CNY",
        expected_close_date=dt.date(2026, 12, 31),
        last_modified_at=ts("2026-06-01 09:00:00"),
    )


def stage(opportunity_id: str) -> dict:
    return dict(
        opportunity_id=opportunity_id, stage="qualified", entered_at=ts("2026-05-01 09:00:00")
    )


def activity(activity_id: str, rep: str, account_id: str | None, opp: str | None) -> dict:
    return dict(
        activity_id=activity_id,
        rep_id=rep,
        account_id=account_id,
        opportunity_id=opp,
        type="call",
        occurred_at=ts("2026-06-05 10:00:00"),
    )


def survey(account_id: str) -> dict:
    return dict(account_id=account_id, surveyed_at=dt.date(2026, 6, 15), score=Decimal("8"))


def deleted(row: dict) -> dict:
    return {**row, "_deleted": True}


LOAD_1 = {
    "sales_reps": [
        dict(rep_id=r, rep_name=r, team="East A", region="East", role="rep") for r in ("R1", "R2")
    ],
    "accounts": [account("A1", "R1"), account("A2", "R2"), account("A3", "R1")],
    "products": [
        dict(product_id="PRD1", product_name="P", product_line="software", list_price=100)
    ],
    "opportunities": [
        opportunity("OP1", "A1", "R1"),
        opportunity("OP2", "A2", "R2"),
        opportunity("OP3", "A3", "R1"),
    ],
    "opportunity_stage_history": [stage("OP1"), stage("OP2"), stage("OP3")],
    "activities": [
        activity("AC1", "R1", "A1", "OP1"),
        activity("AC2", "R2", "A2", None),
        activity("AC3", "R1", "A3", "OP3"),
        activity("AC4", "R2", None, "OP2"),
    ],
    "satisfaction_surveys": [survey("A2"), survey("A3")],
    "orders": [
        order("O1", "A1", "R1", "1000"),
        order("O2", "A2", "R2", "500"),
        order("O3", "A3", "R1", "300"),
        order("O4", "A1", "R1", "200"),
    ],
    "order_lines": [
        line("O1", 1, "4"),
        line("O1", 2, "6"),
        line("O2", 1, "5"),
        line("O3", 1, "3"),
        line("O4", 1, "2"),
    ],
    "invoices": [
        invoice("I1", "O1", "1000"),
        invoice("I2", "O2", "500"),
        invoice("I3", "O3", "300"),
    ],
    "payments": [
        payment("P1", "O1", None, "400"),
        payment("P2", None, "I1", "100"),
        payment("P3", "O3", None, "300"),
        payment("P4", None, "I2", "100"),
    ],
}
LOADS: dict[int, tuple[str, dict[str, list[dict]]]] = {
    1: ("2026-07-01", LOAD_1),
    2: (
        "2026-07-02",
        {
            "orders": [deleted(order("O1", "A1", "R1", "1000"))],
            "accounts": [deleted(account("A2", "R2"))],
            "order_lines": [line("O1", 1, "5")],
        },
    ),
    3: ("2026-07-03", {"orders": [order("O1", "A1", "R1", "1000")]}),
}


def _state(upto: int) -> dict[str, dict[tuple, tuple[dict, int, bool]]]:
    """{entity: {key: (latest row, its load, is a deletion)}} after load `upto`, from LOADS."""
    state: dict[str, dict[tuple, tuple[dict, int, bool]]] = {}
    for load_id in sorted(LOADS):
        if load_id > upto:
            break
        for table, rows in LOADS[load_id][1].items():
            for row in rows:
                key = tuple(row[c] for c in KEYS.get(table, ()))
                state.setdefault(table, {})[key] = (row, load_id, bool(row.get("_deleted")))
    return state


def _expected(upto: int) -> tuple[dict[str, set[tuple]], set[tuple]]:
    """After load `upto`: the current keys of each entity of KEYS, and the findings
    parent_deleted as (entity, key, column, parent id, deleting load)."""
    state = _state(upto)
    gone: dict[str, dict[str, int]] = {}  # entity -> {single-column key: deleting load}

    def gone_keys(entity: str) -> dict[str, int]:
        if entity not in gone:
            out = {key[0]: load for key, (_, load, is_del) in state[entity].items() if is_del}
            for (child, column), parent in BELONGS_TO.items():
                if child == entity:
                    parents = gone_keys(parent)
                    for key, (row, _, is_del) in state[entity].items():
                        if not is_del and row.get(column) in parents:
                            out.setdefault(key[0], parents[row[column]])
            gone[entity] = out
        return gone[entity]

    current: dict[str, set[tuple]] = {}
    findings = set()
    for entity in KEYS:
        current[entity] = set()
        for key, (row, _, is_del) in state.get(entity, {}).items():
            if is_del:
                continue
            hits = [
                (column, row[column], gone_keys(parent)[row[column]])
                for (child, column), parent in BELONGS_TO.items()
                if child == entity and row.get(column) in gone_keys(parent)
            ]
            findings |= {(entity, key, *hit) for hit in hits}
            if not hits:
                current[entity].add(key)
    return current, findings


def _macro_references() -> dict[tuple[str, str], str]:
    """{(entity, column): parent} as macros/deleted_parents.sql (parent_references) lists it."""
    text = (PROJECT_DIR / "macros" / "deleted_parents.sql").read_text()
    body = text[text.index("macro parent_references()") :]
    body = body[: body.index("endmacro")]
    out = {}
    for entity, refs in re.findall(r"'(\w+)': \[(.*?)\]", body, flags=re.S):
        for column, parent in re.findall(r"'column': '(\w+)', 'parent': '(\w+)'", refs):
            out[(entity, column)] = parent
    return out


def test_every_reference_of_the_contract_is_decided() -> None:
    """Each reference of the contract either takes its record with a deleted parent
    (BELONGS_TO, the list of macros/deleted_parents.sql) or leaves it (STAYS)."""
    assert _macro_references() == BELONGS_TO
    references = {(e.name, r.column) for e in contract.ENTITIES for r in e.references}
    assert set(BELONGS_TO) | STAYS == references
    assert not set(BELONGS_TO) & STAYS
    assert {
        (e.name, r.column): r.entity
        for e in contract.ENTITIES
        for r in e.references
        if (e.name, r.column) in BELONGS_TO
    } == BELONGS_TO


def _dbt(args: list[str], db: Path, load_id: int) -> None:
    run_dbt(args, db=db, tmp=db.parent, as_of=AS_OF, load_id=load_id)


def _copy(db: Path, folder: Path) -> Path:
    con = duckdb.connect(str(db))
    con.execute("checkpoint")
    con.close()
    folder.mkdir(exist_ok=True)
    shutil.copyfile(db, folder / db.name)
    return folder / db.name


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _current(db: Path) -> dict[str, set[tuple]]:
    """The current keys the warehouse shows, per entity: the facts where the night's figures
    come from, staging for the others."""
    queries = {
        "orders": "select order_id from intermediate.int_orders_enriched",
        "order_lines": "select order_id, line_no from intermediate.int_order_lines_enriched",
        "invoices": "select invoice_id from staging.stg_erp__invoices",
        "payments": "select payment_id from intermediate.int_payments_enriched",
        "accounts": "select account_id from staging.stg_crm__accounts",
        "opportunities": "select opportunity_id from intermediate.int_opportunities_enriched",
        "opportunity_stage_history": """select opportunity_id, stage, entered_at
                                        from staging.stg_crm__opportunity_stage_history""",
        "activities": "select activity_id from intermediate.int_activities",
        "satisfaction_surveys": """select account_id, surveyed_at
                                   from staging.stg_crm__satisfaction_surveys""",
    }
    return {entity: set(_rows(db, sql)) for entity, sql in queries.items()}


def _normalised(current: dict[str, set[tuple]]) -> dict[str, set[tuple]]:
    """Timestamps as instants, so keys compare with the input rows."""
    return {
        entity: {
            tuple(v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v for v in key)
            for key in keys
        }
        for entity, keys in current.items()
    }


def _findings(db: Path) -> set[tuple]:
    rows = _rows(
        db,
        """select entity, record_id, column_name, value_seen, message, owner_rep_id
           from intermediate.int_dq_checks where rule = 'parent_deleted'""",
    )
    return set(rows)


def _expected_findings(upto: int) -> set[tuple]:
    """The findings of `_expected` as int_dq_checks shows them, owner included: the record's
    owner column when it has one, else its parent's owner."""
    state = _state(upto)
    owners = {
        "orders": "rep_id",
        "activities": "rep_id",
        "opportunities": "owner_rep_id",
        "accounts": "owner_rep_id",
    }
    labels = {
        "orders": "order",
        "order_lines": "order line",
        "invoices": "invoice",
        "opportunities": "opportunity",
        "opportunity_stage_history": "stage history row",
        "activities": "activity",
        "satisfaction_surveys": "survey",
        "accounts": "account",
    }
    out = set()
    for entity, key, column, parent_id, load in _expected(upto)[1]:
        row = state[entity][key][0]
        parent = BELONGS_TO[(entity, column)]
        if entity in owners:
            owner = row[owners[entity]]
        else:
            owner = state[parent][(parent_id,)][0][owners[parent]]
        record_id = "|".join(
            _value(v).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(_value(v), dt.datetime)
            else str(v)
            for v in key
        )
        message = (
            f"the {labels[parent]} {parent_id} this {labels[entity]} belongs to was deleted by "
            f"a full export (load {load}): the {labels[entity]} left the current figures with it"
        )
        out.add((entity, record_id, column, parent_id, message, owner))
    return out


#: The models the checks read, with everything upstream: what loads 1 and 3 and the full
#: rebuilds run (load 2 runs the whole project, then every data test).
CHECKED = (
    "+int_dq_checks",
    "+int_receivables_instalments",
    "+int_opportunities_enriched",
    "+int_activities",
    "+stg_crm__satisfaction_surveys",
)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The three loads run incrementally (the nightly path), each checked against a full
    rebuild of the same state; {load: a copy of the warehouse after it}. Load 2 runs the whole
    project and every data test: none may fail (warnings allowed)."""
    root = tmp_path_factory.mktemp("deleted-parents")
    db = root / "inc" / "warehouse.duckdb"
    db.parent.mkdir()
    kept = {}
    for load_id, (day, tables) in LOADS.items():
        add_night(db, load_id, day, tables, month=7)
        full = _copy(db, root / f"full{load_id}")
        _dbt(["run"] + ([] if load_id == 2 else ["--select", *CHECKED]), db, load_id)
        if load_id == 2:
            run_dbt(
                ["test", "--exclude", "test_type:unit"],
                db=db,
                tmp=db.parent,
                as_of=AS_OF,
                load_id=load_id,
                allowed=("pass", "warn"),
            )
        kept[load_id] = _copy(db, root / f"after{load_id}")
        if load_id == 1:  # the first run is a full build
            continue
        _dbt(["run", "--full-refresh", "--select", *CHECKED], full, load_id)
        full = _copy(full, root / f"full{load_id}-read")
        assert _current(kept[load_id]) == _current(full), f"load {load_id}"
        assert _findings(kept[load_id]) == _findings(full), f"load {load_id}"
        payments = "select * exclude (processed_load_id) from intermediate.int_payments_enriched"
        assert set(_rows(kept[load_id], payments)) == set(_rows(full, payments)), load_id
    return kept


def _value(v: object) -> object:
    """A key value of LOADS as the warehouse holds it: `ts` text as an instant."""
    if isinstance(v, str) and len(v) > 19 and v[4] == "-" and v[13] == ":":
        return dt.datetime.fromisoformat(v)
    return v


def _as_keys(expected: dict[str, set[tuple]]) -> dict[str, set[tuple]]:
    return {
        entity: {tuple(_value(v) for v in key) for key in keys} for entity, keys in expected.items()
    }


@pytest.mark.parametrize("load_id", sorted(LOADS))
def test_records_leave_with_their_deleted_parent(nights: dict[int, Path], load_id: int) -> None:
    """Current records: those whose own latest version is live and whose parent is not gone;
    payments all stay."""
    expected = _as_keys(_expected(load_id)[0])
    assert _normalised(_current(nights[load_id])) == _normalised(expected)


@pytest.mark.parametrize("load_id", sorted(LOADS))
def test_every_record_that_left_is_a_finding(nights: dict[int, Path], load_id: int) -> None:
    assert _findings(nights[load_id]) == _expected_findings(load_id)
    if load_id == 2:
        assert len(_findings(nights[load_id])) == 11  # the story of the module docstring


@pytest.mark.parametrize("load_id", [2, 3])
def test_payments_of_a_deleted_order_stay_unapplied(nights: dict[int, Path], load_id: int) -> None:
    """Every payment of the file stays, its amount unchanged: the total equals the payments
    file. A payment whose order is gone (directly, or through an invoice that left with it)
    has no order (has_order false: unapplied, the receivables apply only payments with an
    order), and gets it back with the order; no instalment is left of a gone order."""
    db = nights[load_id]
    paid = {p["payment_id"]: p for p in LOAD_1["payments"]}
    current, _ = _expected(load_id)
    current_orders = {k[0] for k in current["orders"]}
    invoice_orders = {
        i["invoice_id"]: i["order_id"]
        for i in LOAD_1["invoices"]
        if (i["invoice_id"],) in current["invoices"]
    }
    rows = _rows(
        db, "select payment_id, amount, order_id, has_order from intermediate.int_payments_enriched"
    )
    assert sum(r[1] for r in rows) == sum(p["amount"] for p in paid.values())
    linked = {pid: p["order_id"] or invoice_orders.get(p["invoice_id"]) for pid, p in paid.items()}
    assert {r[0]: (r[2], r[3]) for r in rows} == {
        pid: (order_id, order_id in current_orders) for pid, order_id in linked.items()
    }
    instalment_orders = {
        r[0] for r in _rows(db, "select order_id from intermediate.int_receivables_instalments")
    }
    assert instalment_orders <= current_orders
