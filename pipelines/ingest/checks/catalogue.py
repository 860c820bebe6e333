"""The data-quality rule catalogue: ``expectations/rules.yml``, read and checked.

Every rule is defined once, in that file: its id, family, stage (row check or settle SQL at
ingest, or a dbt model), severity, whom its findings are routed to, the message and fix
recorded with each failing row (ingest rules), and what owners are told in English and 中文.
Why the YAML file is the catalogue, not a Python module generated from it: the alerts
(:mod:`pipelines.alerts.digest`) and people editing wording already read that file; a
generated copy would be a second place to keep in step. This module validates it (a mistake
is reported with the file's line) and renders its templates for the three places a finding's
text is built: Python strings (the suite generator), polars expressions (the batch checks)
and SQL (the settle stage).

Read by :mod:`.suites` (severity, message, fix of suite rules), the loader's own checks
(:mod:`pipelines.ingest.load.rows`, :mod:`pipelines.ingest.load.references`) and
:mod:`.rules_doc` (the rule tables of docs/data-quality.md).
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.core.errors import SalesOpsError
from pipelines.core.paths import EXPECTATIONS_DIR
from pipelines.core.yaml_source import line_of, parse_yaml

RULES_FILE = EXPECTATIONS_DIR / "rules.yml"

#: Where a rule is checked, in the order a row meets them.
STAGES: dict[str, str] = {
    "row_check": "at ingest, on each batch before anything is written (GE suites and loader)",
    "settle": "at ingest, in SQL over the whole file",
    "dbt": "in a dbt model over the warehouse, as of the business date",
}
#: What kind of problem a rule finds; the settle SQL and the dbt rule models go by family.
FAMILIES: dict[str, str] = {
    "completeness": "a value or link the record needs is missing",
    "values": "a value that cannot be read, or is outside what its column allows",
    "ordering": "events recorded in an impossible order",
    "identity": "one id for different records, or one record under several ids",
    "references": "a link to a record that does not exist or does not fit",
    "freshness": "an open record nobody keeps up to date",
    "amounts": "money that does not add up",
}
#: Whose digest a rule's findings go to (docs/alerts.md).
ROUTES: dict[str, str] = {
    "record_owner": "record owner",
    "sales_ops": "sales ops",
}
#: How a rule's severity is written in the suites (Great Expectations' names).
GE_SEVERITY: dict[str, str] = {"quarantine": "critical", "warn": "warning"}
#: The owner's view of a rule (the review pack and alerts group by it).
CATEGORIES = ("missing", "wrong", "stale", "qualification", "money")
#: Details of a failing row a finding's template may name.
PLACEHOLDERS = frozenset(
    {
        "column",
        "value",
        "expected",
        "allowed",
        "min",
        "max",
        "earlier",
        "later",
        "key",
        "target",
        "marks",
        "currency",
    }
)


class Sql(str):
    """SQL expression text, put into a rendered template as is (not quoted)."""


class Template(str):
    """A text with ``{detail}`` fields, rendered as text, a polars or a SQL expression."""

    @property
    def fields(self) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self) if f is not None}

    def _parts(self, values: dict[str, object]) -> list[object]:
        """Literal text and the values, in order; adjacent literal text merged."""
        missing = self.fields - set(values)
        if missing:
            raise SalesOpsError(
                f"{RULES_FILE.name}: the text {str(self)!r} names "
                f"{', '.join(sorted(missing))}, which this rule does not supply "
                f"(it supplies: {', '.join(sorted(values)) or 'nothing'})",
                "use only the details the rule supplies, then regenerate the suites "
                "(`salesops expectations write`)",
            )
        parts: list[object] = []
        for literal, name, _, _ in string.Formatter().parse(self):
            for part in (literal, values[name] if name is not None else ""):
                plain = type(part) is str
                if plain and parts and type(parts[-1]) is str:
                    parts[-1] = parts[-1] + part
                elif not plain or part:
                    parts.append(part)
        return parts

    def text(self, **values: str) -> str:
        return "".join(str(p) for p in self._parts(values))

    def polars(self, **values: str | pl.Expr) -> pl.Expr:
        """A string expression: ``concat_str`` of the parts (``pl.format`` panics on some
        filtered string columns in polars 2.1; ``concat_str`` does not)."""
        parts = self._parts(values)
        if all(type(p) is str for p in parts):
            return pl.lit("".join(parts))  # type: ignore[arg-type]
        return pl.concat_str([pl.lit(p) if type(p) is str else p for p in parts])

    def sql(self, **values: str | Sql) -> str:
        """A SQL string expression: literal parts quoted, :class:`Sql` parts as they are."""
        out = [p if isinstance(p, Sql) else sql_literal(str(p)) for p in self._parts(values)]
        return " || ".join(out) or "''"


def sql_literal(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _one_of(kind: str, known: dict[str, str] | tuple[str, ...]):
    def check(value: str) -> str:
        if value not in known:
            raise ValueError(f"{kind} {value!r} is not one of {', '.join(known)}")
        return value

    return check


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str = Field(min_length=1)
    fix: str = Field(min_length=1)


class Finding(BaseModel):
    """The message and fix recorded with each failing row (ingest rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str
    fix: str

    @field_validator("message", "fix")
    @classmethod
    def _template(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        try:
            fields = Template(value).fields
        except ValueError as exc:  # an unbalanced brace
            raise ValueError(f"{exc} (write a literal brace as {{{{ or }}}})") from None
        unknown = fields - PLACEHOLDERS
        if unknown:
            raise ValueError(f"names unknown detail(s) {sorted(unknown)}")
        return value


class Rule(BaseModel):
    """One rule of the catalogue (see the comments at the top of ``expectations/rules.yml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    family: str
    stage: str
    severity: str
    category: str
    routes_to: str
    finding: Finding | None = None
    vars: tuple[str, ...] = ()
    doc: str | None = None
    en: Texts
    zh: Texts

    _family = field_validator("family")(_one_of("family", FAMILIES))
    _stage = field_validator("stage")(_one_of("stage", STAGES))
    _severity = field_validator("severity")(_one_of("severity", GE_SEVERITY))
    _category = field_validator("category")(_one_of("category", CATEGORIES))
    _routes_to = field_validator("routes_to")(_one_of("routes_to", ROUTES))

    @property
    def at_ingest(self) -> bool:
        return self.stage != "dbt"

    @property
    def meaning(self) -> str:
        """What the rule means, as the docs state it."""
        return self.doc or self.en.what

    @property
    def ge_severity(self) -> str:
        return GE_SEVERITY[self.severity]

    @property
    def message(self) -> Template:
        """The message recorded with each failing row."""
        return Template(self._finding().message)

    @property
    def fix(self) -> Template:
        """The fix recorded with each failing row."""
        return Template(self._finding().fix)

    def _finding(self) -> Finding:
        if self.finding is None:
            raise SalesOpsError(
                f"{RULES_FILE.name}: rule {self.id} has no finding (message and fix)",
                f"add them under {self.id}: finding: in {RULES_FILE}",
            )
        return self.finding


def parse_catalogue(text: str, source: str = str(RULES_FILE)) -> dict[str, Rule]:
    """The rules of a catalogue file's ``text``, by id, in file order."""
    fix = f"correct {source} (its first lines describe every field)"
    data, tree = parse_yaml(text, source, "the rule catalogue", fix)
    if not isinstance(data, dict) or not data:
        raise SalesOpsError(f"{source}: the rule catalogue holds no rules", fix)
    rules: dict[str, Rule] = {}
    for rule_id, entry in data.items():
        try:
            rule = Rule.model_validate({"id": rule_id, **(entry or {})})
        except ValidationError as exc:
            error = exc.errors()[0]
            where = line_of(tree, (rule_id, *error["loc"]))
            path = ".".join(str(p) for p in (rule_id, *error["loc"]))
            problem = error["msg"].removeprefix("Value error, ")
            raise SalesOpsError(f"{source}:{where or '?'}: {path}: {problem}", fix) from None
        if rule.at_ingest != (rule.finding is not None):
            raise SalesOpsError(
                f"{source}:{line_of(tree, (rule_id,)) or '?'}: rule {rule_id} (stage "
                f"{rule.stage}) "
                + ("has a finding: dbt writes its message" if rule.finding else "lacks finding:"),
                "ingest rules (row_check, settle) need finding: message and fix; "
                "dbt rules have none",
            )
        rules[rule_id] = rule
    return rules


@lru_cache(maxsize=4)
def catalogue(path: Path = RULES_FILE) -> dict[str, Rule]:
    """The catalogue's rules by id (read once per process)."""
    return parse_catalogue(path.read_text(encoding="utf-8"), str(path))


def rule(rule_id: str, path: Path = RULES_FILE) -> Rule:
    """The rule ``rule_id`` of the catalogue; an unknown id is a mistake in the code or
    the catalogue, reported as such."""
    rules = catalogue(path)
    if rule_id not in rules:
        raise SalesOpsError(
            f"{path.name} has no rule {rule_id!r}",
            f"add {rule_id} to {path} (every rule the checks emit is described there)",
        )
    return rules[rule_id]
