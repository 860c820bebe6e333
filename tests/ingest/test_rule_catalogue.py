"""The rule catalogue (expectations/rules.yml) as the suites and the loader read it.

Which rule ids exist where, and the generated rule tables of the docs, are held in
tests/test_docs.py; here: the catalogue is checked as it is read, its texts render the same
way everywhere, and the suites and the loader really take severity and texts from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.core.contract import ENTITIES, ENTITY_BY_NAME
from pipelines.core.errors import SalesOpsError
from pipelines.ingest.checks import suites
from pipelines.ingest.checks.catalogue import (
    FAMILIES,
    RULES_FILE,
    STAGES,
    Sql,
    Template,
    catalogue,
    parse_catalogue,
)
from pipelines.ingest.load import references, rows
from pipelines.ingest.values.parse import ROW_INDEX

TEXT = RULES_FILE.read_text(encoding="utf-8")


def _catalogue_with(tmp_path: Path, old: str, new: str):
    """A ``rule()`` reading a copy of the catalogue with ``old`` replaced by ``new``."""
    assert TEXT.count(old) == 1, old
    rules = parse_catalogue(TEXT.replace(old, new), str(tmp_path / "rules.yml"))
    return lambda rule_id: rules[rule_id]


def test_every_rule_has_a_known_family_and_stage_and_ingest_rules_have_their_texts():
    rules = catalogue()
    assert rules and {r.family for r in rules.values()} <= set(FAMILIES)
    assert {r.stage for r in rules.values()} == set(STAGES)
    for r in rules.values():
        assert (r.finding is not None) == r.at_ingest, r.id


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("  family: completeness\n", "  family: completenes\n", "missing_required.family"),
        ('"{column} is required"', '"{colum} is required"', "unknown detail(s) ['colum']"),
        ("  routes_to: sales_ops\n", "  routes_to: nobody\n", "routes_to 'nobody'"),
        ('"{column} is empty"', '"{column is empty"', "literal brace"),
    ],
)
def test_a_mistake_in_the_catalogue_names_the_line_and_the_field(old, new, said):
    with pytest.raises(SalesOpsError) as caught:
        parse_catalogue(TEXT.replace(old, new, 1), "expectations/rules.yml")
    line = next(i for i, text in enumerate(TEXT.splitlines(), 1) if old.strip() in text)
    assert said in str(caught.value)
    assert str(caught.value).startswith(f"expectations/rules.yml:{line}:")


def test_a_dbt_rule_with_a_finding_or_an_ingest_rule_without_one_is_refused():
    dbt_rule = "  vars: [stale_grace_days]\n"
    with pytest.raises(SalesOpsError, match="dbt writes its message"):
        parse_catalogue(TEXT.replace(dbt_rule, dbt_rule + "  finding: {message: a, fix: b}\n"))
    ingest = '  finding:\n    message: "{column} is empty"\n'
    start = TEXT.index(ingest)
    end = TEXT.index("\n  doc:", start)
    with pytest.raises(SalesOpsError, match="lacks finding"):
        parse_catalogue(TEXT[:start] + TEXT[end:])


def test_a_template_renders_the_same_text_in_python_polars_and_sql():
    template = Template("{column} '{value}' isn't one of {allowed} (it's {value})")
    expected = "stage 'closing' isn't one of won, lost (it's closing)"
    assert template.text(column="stage", value="closing", allowed="won, lost") == expected
    frame = pl.DataFrame({"v": ["closing"]})
    polars = frame.select(template.polars(column="stage", value=pl.col("v"), allowed="won, lost"))
    assert polars.item() == expected
    sql = template.sql(column="stage", value=Sql("v"), allowed="won, lost")
    assert duckdb.sql(f"select {sql} from frame").fetchall() == [(expected,)]  # noqa: S608
    assert Template("no details").sql() == "'no details'"


def test_a_template_naming_a_detail_its_rule_does_not_supply_is_reported():
    with pytest.raises(SalesOpsError, match="names expected, which this rule does not supply"):
        Template("cannot read {value}; expected {expected}").text(value="x")


def test_the_suites_take_severity_message_and_fix_from_the_catalogue(tmp_path, monkeypatch):
    changed = _catalogue_with(
        tmp_path,
        "  severity: warn\n  category: wrong\n  routes_to: record_owner\n  finding:\n"
        '    message: "email address is malformed"',
        "  severity: quarantine\n  category: wrong\n  routes_to: record_owner\n  finding:\n"
        '    message: "{column}: not an address"',
    )
    monkeypatch.setattr(suites, "catalogue_rule", changed)
    (email,) = [
        e
        for e in suites.build_suite(ENTITY_BY_NAME["accounts"])["expectations"]
        if e["meta"]["rule"] == "malformed_email"
    ]
    assert email["severity"] == "critical"
    assert email["meta"]["message"] == "email: not an address"
    assert email["meta"]["fix"] == changed("malformed_email").fix


def test_the_committed_suites_state_each_rule_as_the_catalogue_does():
    """Severity, message and fix of every baseline expectation in the committed suites are
    those the catalogue gives (regenerate with `salesops expectations write`)."""
    rules = catalogue()
    for entity in ENTITIES:
        committed = json.loads((RULES_FILE.parent / f"{entity.name}.json").read_text("utf-8"))
        by_check = {
            (e["type"], json.dumps(e["kwargs"], sort_keys=True)): e
            for e in committed["expectations"]
        }
        for baseline in suites.build_suite(entity)["expectations"]:
            mine = by_check[(baseline["type"], json.dumps(baseline["kwargs"], sort_keys=True))]
            assert (mine["meta"], mine["severity"]) == (baseline["meta"], baseline["severity"])
        for e in committed["expectations"]:
            assert e["severity"] == rules[e["meta"]["rule"]].ge_severity, (entity.name, e)


def test_the_loaders_own_checks_take_their_texts_from_the_catalogue(tmp_path, monkeypatch):
    changed = _catalogue_with(
        tmp_path,
        'fix: "correct the value so it is {expected}"',
        'fix: "write {column} as {expected}, not {value}"',
    )
    monkeypatch.setattr(rows, "catalogue_rule", changed)
    unread = pl.DataFrame(
        {ROW_INDEX: [2], "column": ["amount"], "value": ["1O0"], "expected": ["a number"]},
        schema_overrides={ROW_INDEX: pl.Int64},
    ).with_columns(pl.lit(3, dtype=pl.Int32).alias("position"))
    (row,) = rows.parse_failures(unread).iter_rows(named=True)
    assert row["fix"] == "write amount as a number, not 1O0"
    assert row["message"] == "amount: cannot read '1O0'; expected a number"


def test_the_reference_check_takes_its_texts_from_the_catalogue(tmp_path, monkeypatch):
    changed = _catalogue_with(
        tmp_path,
        "message: \"{column} '{value}' matches no {target} record loaded so far\"",
        "message: \"no {target} '{value}' (from {column}) yet\"",
    )
    monkeypatch.setattr(references, "catalogue_rule", changed)
    con = duckdb.connect()
    con.execute("create schema raw; create schema meta")
    con.execute("create table raw.accounts (account_id varchar)")
    con.execute("create table meta.load_files (entity varchar, status varchar)")
    typed = pl.DataFrame(  # noqa: F841 - read by DuckDB below
        {ROW_INDEX: [2], "account_id": ["A9"], "owner_rep_id": [None]},
        schema_overrides={ROW_INDEX: pl.Int64, "owner_rep_id": pl.String},
    )
    sql = references.reference_failures_sql(con, _only_account_reference(), "typed")
    (row,) = con.execute(sql).fetchall()
    assert row[2:] == (
        "missing_reference",
        "quarantine",
        "account_id",
        "A9",
        "no accounts 'A9' (from account_id) yet",
        "export the accounts record 'A9', or correct account_id; the row is retried on every "
        "load and released once it exists",
    )


def _only_account_reference():
    """satisfaction_surveys: its one reference is account_id -> accounts."""
    entity = ENTITY_BY_NAME["satisfaction_surveys"]
    assert [(r.column, r.entity) for r in entity.references] == [("account_id", "accounts")]
    return entity
