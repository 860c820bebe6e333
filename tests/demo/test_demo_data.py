"""The demo drop: deterministic, contract-shaped, and its defects are where it says."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from pipelines.core.contract import ENTITIES, entity
from pipelines.demo import generate_drop
from pipelines.demo.render import SKIPPED_ENTITIES
from tests.support import oracle

SCALE = 0.2
END = date(2026, 9, 30)
SHANGHAI = timezone(timedelta(hours=8))
EXPECTED_RULES = {
    "missing_required": "quarantine",
    "unparseable_value": "quarantine",
    "value_not_allowed": "quarantine",
    "invalid_currency_code": "quarantine",
    "negative_value": "quarantine",
    "timestamps_out_of_order": "warn",
    "duplicate_id_conflict": "quarantine",
    "missing_reference": "quarantine",
    "malformed_email": "warn",
    "malformed_phone": "warn",
    "stale_open_opportunity": "warn",
    "amount_outlier": "warn",
    "bant_incomplete": "warn",
    "overpaid_order": "warn",
    "won_without_order": "warn",
}
WRITTEN = [e for e in ENTITIES if e.name not in SKIPPED_ENTITIES]
OPEN_STAGES = {"qualified", "discovery", "proposal", "negotiation"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(scope="module")
def drops(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    out = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        path = tmp_path_factory.mktemp(f"drop_{name}")
        out[name] = (path, generate_drop(path, seed=seed, scale=SCALE, end_date=END))
    return out


@pytest.fixture(scope="module")
def drop(drops) -> Path:
    return drops["a"][0]


@pytest.fixture(scope="module")
def manifest(drops) -> dict:
    return drops["a"][1]


def read_rows(path: Path, name: str) -> list[list[str]]:
    """Every line of the file, header included, as the csv module reads it."""
    with (path / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def read(path: Path, name: str) -> list[dict[str, str]]:
    with (path / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def key_of(name: str, row: dict[str, str]) -> str:
    return "|".join(row[c] for c in entity(name).key)


def quarantined(manifest: dict) -> dict[str, set[int]]:
    """Source rows held out of the warehouse, per entity."""
    out: dict[str, set[int]] = defaultdict(set)
    for d in manifest["defects"]:
        if d["severity"] == "quarantine":
            out[d["entity"]].add(d["source_row"])
    return out


def clean(path: Path, manifest: dict, name: str) -> list[dict[str, str]]:
    """Rows of ``name`` that the warehouse loads (quarantined rows removed)."""
    bad = quarantined(manifest)[name]
    return [r for i, r in enumerate(read(path, name), start=2) if i not in bad]


def local(ts: str) -> datetime:
    """A contract timestamp as naive Asia/Shanghai local time."""
    t = datetime.fromisoformat(ts)
    return t if t.tzinfo is None else t.astimezone(SHANGHAI).replace(tzinfo=None)


def test_same_seed_gives_identical_bytes(drops):
    (a, ma), (b, mb) = drops["a"], drops["b"]
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert ma == mb


def test_different_seed_gives_different_data(drops):
    a, c = drops["a"][0], drops["c"][0]
    for n in ("sales_reps.csv", "accounts.csv", "opportunities.csv", "payments.csv"):
        assert (a / n).read_bytes() != (c / n).read_bytes(), n


def test_every_entity_file_with_the_contract_header(drop):
    assert not (drop / "invoices.csv").exists() and not (drop / "rep_assignments.csv").exists()
    for e in WRITTEN:
        raw = (drop / e.file_name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), e.name
        assert b"\r" not in raw, e.name
        rows = read_rows(drop, e.name)
        assert rows[0] == e.column_names, e.name
        assert len(rows) > 1, f"{e.name} has no data rows"
        assert all(len(r) == len(e.columns) for r in rows), e.name
    expected = {e.file_name for e in WRITTEN} | {"_defects.json"}
    assert {p.name for p in drop.iterdir()} == expected


def test_manifest_file_equals_returned_manifest(drop, manifest):
    on_disk = json.loads((drop / "_defects.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["seed"] == 7
    assert manifest["scale"] == SCALE
    assert manifest["end_date"] == END.isoformat()


def test_every_rule_has_a_defect_with_its_severity(manifest):
    defects = manifest["defects"]
    assert [d["id"] for d in defects] == [f"D{i:02d}" for i in range(1, len(defects) + 1)]
    seen = {d["expected_rule"] for d in defects}
    assert seen == set(EXPECTED_RULES)
    for d in defects:
        assert d["severity"] == EXPECTED_RULES[d["expected_rule"]], d
        assert d["description"]
    dup = [d for d in defects if d["expected_rule"] == "duplicate_id_conflict"]
    assert len(dup) == 2 and dup[0]["record_id"] == dup[1]["record_id"]
    assert dup[0]["value"] != dup[1]["value"]


def test_each_defect_row_holds_the_stated_value(drop, manifest):
    for d in manifest["defects"]:
        e = entity(d["entity"])
        rows = read_rows(drop, e.name)
        row = dict(zip(rows[0], rows[d["source_row"] - 1], strict=True))
        assert row[d["column"]] == d["value"], d
        assert key_of(e.name, row) == d["record_id"], d


def test_quarantine_defects_really_break_the_contract(manifest):
    by_rule = defaultdict(list)
    for d in manifest["defects"]:
        by_rule[d["expected_rule"]].append(d)
    for d in by_rule["missing_required"]:
        assert d["value"] == ""
    for d in by_rule["unparseable_value"]:
        with pytest.raises((ValueError, InvalidOperation)):
            if d["column"] == "amount":
                Decimal(d["value"])
            else:
                datetime.fromisoformat(d["value"])
    for d in by_rule["value_not_allowed"]:
        assert d["value"] not in entity(d["entity"]).column(d["column"]).allowed
    assert [d["value"] for d in by_rule["invalid_currency_code"]] == ["RMB"]
    assert all(Decimal(d["value"]) < 0 for d in by_rule["negative_value"])
    assert {d["entity"] for d in by_rule["negative_value"]} == {"order_lines", "payments"}
    assert {d["entity"] for d in by_rule["missing_reference"]} == {"opportunities", "payments"}


def test_order_lines_add_up_to_the_order_total(drop, manifest):
    lines = defaultdict(Decimal)
    for ln in clean(drop, manifest, "order_lines"):
        discount = Decimal(ln["discount_amount"] or "0")
        lines[ln["order_id"]] += Decimal(ln["quantity"]) * Decimal(ln["unit_price"]) - discount
    orders = clean(drop, manifest, "orders")
    assert orders
    for o in orders:
        assert lines[o["order_id"]] == Decimal(o["total_amount"]), o["order_id"]


def test_every_reference_of_a_loaded_row_resolves(drop, manifest):
    keys = {e.name: {key_of(e.name, r) for r in clean(drop, manifest, e.name)} for e in WRITTEN}
    for e in WRITTEN:
        for row in clean(drop, manifest, e.name):
            for ref in e.references:
                value = row[ref.column]
                if ref.entity == "invoices":
                    assert value == ""
                elif value or e.column(ref.column).required:
                    assert value in keys[ref.entity], (e.name, ref.column, value)
    # Lead <-> opportunity links, which the contract does not list as references.
    leads = {r["lead_id"]: r for r in clean(drop, manifest, "leads")}
    opps = {r["opportunity_id"]: r for r in clean(drop, manifest, "opportunities")}
    for lead in leads.values():
        if lead["opportunity_id"]:
            assert opps[lead["opportunity_id"]]["lead_id"] == lead["lead_id"]
    for opp in opps.values():
        if opp["lead_id"]:
            assert leads[opp["lead_id"]]["opportunity_id"] == opp["opportunity_id"]
    # No stage history, activity or order points at a quarantined opportunity.
    bad_opps = {d["record_id"] for d in manifest["defects"] if d["entity"] == "opportunities"}
    bad_opps &= {d["record_id"] for d in manifest["defects"] if d["severity"] == "quarantine"}
    for name in ("opportunity_stage_history", "activities", "orders", "leads"):
        assert not bad_opps & {r["opportunity_id"] for r in read(drop, name)}, name


def test_two_years_of_history(drop):
    start = date(2024, 10, 1)
    created = [local(r["created_at"]) for r in read(drop, "opportunities")]
    assert min(created).date() >= start and max(created).date() <= END
    assert (max(created).date() - min(created).date()).days > 690
    ordered = []
    for r in read(drop, "orders"):
        try:
            ordered.append(local(r["ordered_at"]))
        except ValueError:
            continue  # the unparseable defect
    assert min(ordered).date() < date(2025, 1, 31) and max(ordered).date() > date(2026, 8, 31)
    for name, col in (
        ("activities", "occurred_at"),
        ("payments", "paid_at"),
        ("leads", "created_at"),
    ):
        times = [local(r[col]) for r in read(drop, name)]
        assert max(times).date() <= END, name
    fx = read(drop, "fx_rates")
    days = [date.fromisoformat(r["rate_date"]) for r in fx]
    assert {r["currency"] for r in fx} == {"USD"}
    assert days[0] <= start and days[-1] == date(2026, 9, 30)
    assert all(d.weekday() < 5 for d in days)
    assert len(days) == sum(
        1 for i in range((END - days[0]).days + 1) if (days[0] + timedelta(days=i)).weekday() < 5
    )
    assert all(Decimal("7.1") <= Decimal(r["rate_to_reporting"]) <= Decimal("7.3") for r in fx)
    assert all(re.fullmatch(r"\d\.\d{6}", r["rate_to_reporting"]) for r in fx)


def test_stage_history_is_ordered_and_matches_the_opportunity(drop, manifest):
    history = defaultdict(list)
    for r in read(drop, "opportunity_stage_history"):
        history[r["opportunity_id"]].append((local(r["entered_at"]), r["stage"]))
    opps = clean(drop, manifest, "opportunities")
    assert len(history) == len(opps)
    order = ["qualified", "discovery", "proposal", "negotiation"]
    # a deal closed before it was created (loaded, flagged): its close date is wrong, its
    # stage history (when the stages really changed) is not
    misdated = {
        d["record_id"]
        for d in manifest["defects"]
        if d["expected_rule"] == "timestamps_out_of_order"
    }
    assert misdated and misdated <= set(history)
    for o in opps:
        h = history[o["opportunity_id"]]
        assert h == sorted(h)
        assert h[0] == (local(o["created_at"]), "qualified")
        assert h[-1][1] == o["stage"]
        stages = [s for _, s in h]
        assert stages[:-1] == sorted(stages[:-1], key=order.index)
        if o["opportunity_id"] in misdated:
            assert local(o["closed_at"]) < local(o["created_at"]) <= h[-1][0]
        elif o["stage"] in ("won", "lost"):
            assert local(o["closed_at"]) == h[-1][0]
        else:
            assert o["closed_at"] == ""


def test_warn_defects_are_the_only_rows_their_rule_flags(drop, manifest):
    """Each warn rule flags exactly the listed rows, so alerts can be checked 1:1."""
    warn = defaultdict(set)
    for d in manifest["defects"]:
        if d["severity"] == "warn":
            warn[d["expected_rule"]].add(d["record_id"])
    opps = clean(drop, manifest, "opportunities")
    orders = clean(drop, manifest, "orders")
    leads = {r["lead_id"]: r for r in clean(drop, manifest, "leads")}

    stale = {
        o["opportunity_id"]
        for o in opps
        if o["stage"] in OPEN_STAGES and date.fromisoformat(o["expected_close_date"]) < END
    }
    assert stale == warn["stale_open_opportunity"]
    for oid in stale:
        (o,) = [x for x in opps if x["opportunity_id"] == oid]
        assert date.fromisoformat(o["expected_close_date"]) < END - timedelta(days=30)

    with_order = {o["opportunity_id"] for o in orders}
    won_no_order = {
        o["opportunity_id"]
        for o in opps
        if o["stage"] == "won"
        and o["opportunity_id"] not in with_order
        and local(o["closed_at"]).date() < END - timedelta(days=30)
    }
    assert won_no_order == warn["won_without_order"]

    paid = defaultdict(Decimal)
    for p in clean(drop, manifest, "payments"):
        paid[p["order_id"]] += Decimal(p["amount"])
    overpaid = {o["order_id"] for o in orders if paid[o["order_id"]] > Decimal(o["total_amount"])}
    assert overpaid == warn["overpaid_order"]

    flags = ("bant_budget", "bant_authority", "bant_need", "bant_timeline")
    thin = {
        o["opportunity_id"]
        for o in opps
        if o["lead_id"] and sum(leads[o["lead_id"]][f] == "true" for f in flags) < 3
    }
    assert thin == warn["bant_incomplete"]
    for oid in thin:
        (o,) = [x for x in opps if x["opportunity_id"] == oid]
        assert o["stage"] == "proposal"
        assert sum(leads[o["lead_id"]][f] == "true" for f in flags) == 1

    by_owner = defaultdict(list)
    for o in opps:
        by_owner[o["owner_rep_id"]].append(o)
    outliers = set()
    for rows in by_owner.values():
        amounts = [float(o["amount"]) for o in rows]
        med = statistics.median(amounts)
        mad = statistics.median(abs(a - med) for a in amounts)
        outliers |= {
            o["opportunity_id"]
            for o, a in zip(rows, amounts, strict=True)
            if mad and abs(0.6745 * (a - med) / mad) > 3.5
        }
    assert outliers == warn["amount_outlier"]

    bad_phones = {
        key_of(name, r)
        for name in ("leads", "accounts")
        for r in clean(drop, manifest, name)
        if r["phone"] and not MOBILE.match(r["phone"])
    }
    assert bad_phones == warn["malformed_phone"]
    bad_emails = {
        key_of(name, r)
        for name in ("leads", "accounts", "sales_reps")
        for r in clean(drop, manifest, name)
        if r["email"] and not EMAIL.match(r["email"])
    }
    assert bad_emails == warn["malformed_email"]


def test_cross_entity_rules_flag_only_what_the_files_hold(drop, manifest):
    """The later dbt rules, computed from the files (tests/support/oracle.py), against the manifest.

    The drop is clean for them by construction (stage history in order, lines adding up to
    totals, no payment for a cancelled order, every activity naming an account), with two
    documented exceptions (docs/demo-data.md): the stale opportunity (D18) was last changed and
    last touched months ago, so opportunity_untouched flags it too; and the name generator can
    give one company two legal forms, which possible_duplicate_account reports: none for this
    seed and scale (at scale 1, seed 7 has none either; seed 1 has 7 such pairs).
    """
    files = oracle.load_drop(drop)
    stale = {d["record_id"] for d in manifest["defects"] if d["kind"] == "expected_close_passed"}
    assert len(stale) == 1
    untouched = oracle.untouched_opportunities(files, END, oracle.dbt_var("untouched_days"))
    assert untouched == stale
    assert oracle.stage_moves_backwards(files, END) == set()
    tolerance = Decimal(str(oracle.dbt_var("order_lines_tolerance")))
    assert oracle.order_lines_mismatches(files, END, tolerance) == set()
    assert oracle.payments_for_cancelled_orders(files, END) == set()
    assert oracle.unlinked_activities(files, END) == set()
    assert oracle.possible_duplicate_accounts(files, END) == set()


def test_receivables_fall_in_every_aging_bucket(drop, manifest):
    paid = defaultdict(Decimal)
    for p in clean(drop, manifest, "payments"):
        paid[p["order_id"]] += Decimal(p["amount"])
    buckets = set()
    for o in clean(drop, manifest, "orders"):
        if o["status"] == "cancelled":
            continue
        assert o["payment_terms_days"] in ("", "30", "45", "60", "90")
        if Decimal(o["total_amount"]) - paid[o["order_id"]] <= 0:
            continue
        due = local(o["ordered_at"]).date() + timedelta(days=int(o["payment_terms_days"] or 30))
        late = (END - due).days
        buckets.add("not_due" if late <= 0 else min(b for b in (30, 60, 90, 10**6) if late <= b))
    assert buckets == {"not_due", 30, 60, 90, 10**6}


def test_orders_follow_their_won_opportunity(drop, manifest):
    opps = {o["opportunity_id"]: o for o in clean(drop, manifest, "opportunities")}
    orders = clean(drop, manifest, "orders")
    statuses = [o["status"] for o in orders]
    assert statuses.count("cancelled") / len(statuses) < 0.08
    assert statuses.count("delivered") / len(statuses) > 0.6
    for o in orders:
        if not o["opportunity_id"]:
            continue
        opp = opps[o["opportunity_id"]]
        assert opp["stage"] == "won"
        assert (o["account_id"], o["rep_id"], o["currency"]) == (
            opp["account_id"],
            opp["owner_rep_id"],
            opp["currency"],
        )
        assert local(o["ordered_at"]) > local(opp["closed_at"])
        assert Decimal(o["total_amount"]) == Decimal(opp["amount"])


def test_reps_teams_and_targets_look_like_an_organisation(drop):
    reps = read(drop, "sales_reps")
    teams = {r["team"] for r in reps}
    assert 4 <= len(teams) <= 6 and 2 <= len({r["region"] for r in reps}) <= 3
    managers = {r["rep_id"] for r in reps if not r["manager_id"]}
    assert len(managers) == len(teams)
    assert sum(1 for r in reps if r["left_on"]) == 2
    targets = read(drop, "targets")
    levels = {(t["metric"], t["level"]) for t in targets}
    for level in ("company", "region", "team", "rep"):
        assert ("revenue", level) in levels
    for metric in ("collections", "new_customers"):
        assert {(metric, "team"), (metric, "rep")} <= levels
    periods = {t["period"] for t in targets}
    assert {"2025", "2025Q3", "2025-07"} <= periods
    assert len({key_of("targets", t) for t in targets}) == len(targets)
    currencies = {r["currency"] for r in read(drop, "opportunities")}
    assert currencies == {"CNY", "USD"}


@pytest.mark.parametrize("end_date", [date(2025, 12, 31), date(2024, 2, 29)])
def test_small_scale_and_other_end_dates(tmp_path, end_date):
    manifest = generate_drop(tmp_path, seed=3, scale=0.05, end_date=end_date)
    assert {d["expected_rule"] for d in manifest["defects"]} == set(EXPECTED_RULES)
    for e in WRITTEN:
        assert len(read_rows(tmp_path, e.name)) > 1, e.name
    created = [local(r["created_at"]) for r in read(tmp_path, "opportunities")]
    assert max(created).date() <= end_date
    assert min(created).date() >= end_date.replace(year=end_date.year - 2, day=28)


def test_records_belong_to_reps_who_were_there(drop, manifest):
    reps = {r["rep_id"]: r for r in read(drop, "sales_reps")}

    def active(rep_id: str, t: datetime) -> bool:
        rep = reps[rep_id]
        left = rep["left_on"] and date.fromisoformat(rep["left_on"])
        return date.fromisoformat(rep["hired_on"]) <= t.date() and (not left or t.date() < left)

    for name, rep_col, time_col in (
        ("activities", "rep_id", "occurred_at"),
        ("opportunities", "owner_rep_id", "created_at"),
        ("orders", "rep_id", "ordered_at"),
        ("leads", "owner_rep_id", "created_at"),
    ):
        for r in clean(drop, manifest, name):
            assert active(r[rep_col], local(r[time_col])), (name, r)
    for a in clean(drop, manifest, "accounts"):
        assert not reps[a["owner_rep_id"]]["left_on"], a
