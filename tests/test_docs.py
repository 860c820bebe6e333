"""Docs describe folders, files and commands that exist."""

from __future__ import annotations

import json
import re

import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.core.contract_doc import DOC_PATH, render
from pipelines.core.paths import PROJECT_ROOT
from pipelines.ingest.checks.catalogue import catalogue as rule_catalogue
from pipelines.ingest.checks.rules_doc import DOC_PATH as RULES_DOC
from pipelines.ingest.checks.rules_doc import dbt_var_defaults
from pipelines.ingest.checks.rules_doc import parts as rule_doc_parts
from pipelines.ingest.checks.rules_doc import render as render_rule_tables
from pipelines.ingest.checks.vectorised import FILE_TYPES
from pipelines.ingest.load.batch import RAGGED_ROW
from pipelines.ingest.load.references import MISSING_REFERENCE
from pipelines.ingest.load.rows import CURRENCY_MISMATCH, LOCAL_TIME_RULES, UNPARSEABLE

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def test_contract_doc_is_generated_from_the_contract():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/data-contract.md is stale: run `python -m pipelines.core.contract_doc`"
    )


def test_linked_and_named_paths_exist():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        links = re.findall(r"\]\(([^)#:]+)\)", text)
        for link in links:
            assert (doc.parent / link).exists(), f"{doc.name} links to missing {link}"
        for path in re.findall(
            r"`((?:pipelines|dbt_project|reports|scripts|expectations|tests|"
            r"docs)/[\w./-]*)`",
            text,
        ):
            if "<" in path or "*" in path:
                continue
            assert (PROJECT_ROOT / path).exists(), f"{doc.name} names missing {path}"


def test_salesops_commands_in_docs_exist():
    runner = CliRunner()
    for doc in DOCS:
        for cmd in set(re.findall(r"salesops ((?:[a-z][a-z-]+ ?){1,2})", doc.read_text("utf-8"))):
            words = [w for w in cmd.split() if not w.startswith("-")]
            for n in range(len(words), 0, -1):
                result = runner.invoke(main, [*words[:n], "--help"])
                if result.exit_code == 0:
                    break
            assert result.exit_code == 0, f"{doc.name}: `salesops {cmd.strip()}` does not exist"


def test_readme_commands_are_the_scripts():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci


def _emitted_rules_by_stage() -> dict[str, set[str]]:
    """Every rule id the code can emit, by the stage that emits it: the suites' row checks
    and the loader's own value checks (row_check), the suites' file-wide uniqueness and the
    loader's reference check (settle, SQL over the whole file), the dbt rule models (dbt,
    grepped from dbt_project/models)."""
    by_stage: dict[str, set[str]] = {
        "row_check": {RAGGED_ROW, UNPARSEABLE, CURRENCY_MISMATCH, *LOCAL_TIME_RULES.values()},
        "settle": {MISSING_REFERENCE},
        "dbt": set(),
    }
    for suite in (PROJECT_ROOT / "expectations").glob("*.json"):
        for e in json.loads(suite.read_text())["expectations"]:
            by_stage["settle" if e["type"] in FILE_TYPES else "row_check"].add(e["meta"]["rule"])
    dbt_sql = (PROJECT_ROOT / "dbt_project" / "models").rglob("*.sql")
    for path in dbt_sql:
        by_stage["dbt"] |= set(re.findall(r"'([a-z_]+)' as rule", path.read_text(encoding="utf-8")))
    return by_stage


def _emitted_rules() -> set[str]:
    """Every rule id the loader, the suites and the dbt checks can emit."""
    return set().union(*_emitted_rules_by_stage().values())


def test_the_dbt_rule_column_accepts_every_rule_the_dbt_checks_emit():
    """int_dq_checks' accepted_values test on `rule` lists exactly the rules the dbt check
    models emit: a rule missing there fails the data test, and with it the night, on the first
    drop that has such a finding."""
    models = PROJECT_ROOT / "dbt_project" / "models" / "intermediate" / "quality"
    spec = yaml.safe_load((models / "_int_quality__models.yml").read_text(encoding="utf-8"))
    (checks,) = (m for m in spec["models"] if m["name"] == "int_dq_checks")
    (rule,) = (c for c in checks["columns"] if c["name"] == "rule")
    (accepted,) = (t["accepted_values"] for t in rule["data_tests"] if "accepted_values" in t)
    assert sorted(accepted["arguments"]["values"]) == sorted(_emitted_rules_by_stage()["dbt"])


def test_every_rule_the_code_can_emit_is_documented():
    doc = (PROJECT_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    missing = sorted(r for r in _emitted_rules() if f"`{r}`" not in doc)
    assert not missing, f"docs/data-quality.md does not describe: {missing}"


def test_every_rule_is_in_the_catalogue_in_both_languages():
    """expectations/rules.yml (quoted by the alerts) describes every rule, and only rules
    that exist and are documented."""
    catalogue = yaml.safe_load((PROJECT_ROOT / "expectations" / "rules.yml").read_text("utf-8"))
    emitted = _emitted_rules()
    assert emitted == set(catalogue), (
        f"undescribed: {sorted(emitted - set(catalogue))}; "
        f"not emitted: {sorted(set(catalogue) - emitted)}"
    )
    for rule, entry in catalogue.items():
        assert entry["severity"] in ("quarantine", "warn"), rule
        assert entry["routes_to"] and entry["category"], rule
        for lang in ("en", "zh"):
            assert entry[lang]["what"] and entry[lang]["fix"], (rule, lang)


def test_each_rule_is_emitted_at_the_stage_the_catalogue_names():
    """A rule's stage in the catalogue is where the code checks it, and only there."""
    rules = rule_catalogue()
    for stage, emitted in _emitted_rules_by_stage().items():
        assert {r for r in emitted if rules[r].stage != stage} == set(), stage
        assert {r.id for r in rules.values() if r.stage == stage} == emitted, stage


def test_dbt_rule_thresholds_are_dbt_vars():
    defaults = dbt_var_defaults()
    for rule in rule_catalogue().values():
        assert set(rule.vars) <= set(defaults), (rule.id, set(rule.vars) - set(defaults))


def test_rule_tables_are_generated_from_the_catalogue():
    text = RULES_DOC.read_text(encoding="utf-8")
    assert rule_doc_parts(text) == ["families", "row_check", "settle", "dbt"]
    assert text == render_rule_tables(text), (
        "docs/data-quality.md's rule tables are stale: run "
        "`python -m pipelines.ingest.checks.rules_doc`"
    )


def test_metrics_doc_is_generated_from_the_dbt_project():
    from pipelines.transform.metrics_doc import DOC_PATH as METRICS_DOC
    from pipelines.transform.metrics_doc import render as render_metrics

    assert METRICS_DOC.read_text(encoding="utf-8") == render_metrics(), (
        "docs/metrics.md is stale: run `python -m pipelines.transform.metrics_doc`"
    )


def test_every_mart_and_column_is_documented_with_its_grain():
    """Each mart's yml says its grain and describes every column its SQL produces."""
    from pipelines.transform.metrics_doc import DBT_DIR, doc_blocks, mart_models, resolve

    models_dir = DBT_DIR / "models"
    blocks = doc_blocks(models_dir)
    documented = {m["name"]: m for m in mart_models(models_dir)}
    sql_models = {p.stem for p in (models_dir / "marts").rglob("*.sql")}
    assert sql_models == set(documented), (
        f"undocumented: {sorted(sql_models - set(documented))}; "
        f"documented without SQL: {sorted(set(documented) - sql_models)}"
    )
    for name, model in documented.items():
        assert "grain" in resolve(model.get("description"), blocks).lower(), name
        for column in model.get("columns") or []:
            assert resolve(column.get("description"), blocks), (name, column["name"])


def test_architecture_lists_the_layers_the_import_contracts_enforce():
    """docs/architecture.md's package layers are .importlinter's top-level contract, in order."""
    import configparser

    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / ".importlinter")
    enforced = [
        {name.strip() for name in line.split("|")}
        for line in config["importlinter:contract:layers"]["layers"].split("\n")
        if line.strip()
    ]
    doc = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = doc.split("## The packages and their one rule", 1)[1].split("```")[1]
    documented = [
        {name.strip() for name in line.split("  ")[0].split("|")}
        for line in block.strip().splitlines()
        if line and not line.startswith(" ")
    ]
    assert documented == enforced
    for layer in enforced:
        for name in layer:
            assert (PROJECT_ROOT / "pipelines" / name).exists() or (
                PROJECT_ROOT / "pipelines" / f"{name}.py"
            ).exists(), name
