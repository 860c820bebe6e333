"""Muted findings: ``HOME/alert_mutes.yaml``, next to ``HOME/alerts.yaml``.

Sales ops acknowledge a finding that is known and being handled (a disputed deal, a record
waiting for a CRM fix) so its owner is not reminded of it every week::

    mutes:
      - finding: 3f1c...e9            # one finding: its id in meta.alert_log / fct_dq_findings
        reason: amount confirmed with the customer, CRM fix requested
        until: 2026-11-30             # last day it is muted; it alerts again the day after
        by: lin@example.com
      - rule: stale_open_opportunity  # one rule for a record (entity optional) ...
        record: OP-1001
        reason: deal on hold until the tender closes
        until: 2026-12-31
      - rule: missing_fx_rate         # ... or for every record of a rep
        rep: R07
        reason: rates for the new currency are on their way
        until: 2026-10-15
      - finding: overdue:SO-88:INV-7  # an overdue receivable (one instalment) ...
        reason: customer pays after the audit, agreed with finance
        until: 2026-11-15
      - rule: overdue_receivable      # ... or every overdue receivable of an order
        record: SO-88
        reason: disputed delivery, credit note being issued
        until: 2026-11-15

``reason`` and ``until`` are required (a mute never lasts for ever); ``until`` is at most
:data:`MAX_MUTE_DAYS` after ``since`` (the day it was written; the CLI fills it in).
While a mute is valid (business date <= ``until``) its findings are left out of the rep
digests, the manager roll-ups and the reminders, and listed in the sales-ops summary as
muted with their reasons. Overdue receivables are muted the same way
(:mod:`pipelines.alerts.reminders`: rule :data:`OVERDUE_RULE`, record the order id, finding
id ``overdue:<order_id>:<receivable_id>``): no reminder, no escalation, listed to sales ops.
A broken file is reported (file, line, fix) and mutes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.core.errors import SalesOpsError
from pipelines.core.yaml_source import line_of, parse_yaml

MUTES_FILE = "alert_mutes.yaml"
#: The rule name of overdue-receivable reminders (their ``record`` is the order id).
OVERDUE_RULE = "overdue_receivable"


def overdue_id(order_id: str, receivable_id: str) -> str:
    """An overdue receivable's id (in ``meta.alert_log``, a mute's ``finding:``)."""
    return f"overdue:{order_id}:{receivable_id}"


#: A mute lasts at most this many days after ``since`` (when it was written).
MAX_MUTE_DAYS = 180
#: The CLI's ``--until`` when none is given: this many days from today.
DEFAULT_MUTE_DAYS = 30
FIX = (
    "each item of `mutes:` needs `reason:` and `until: YYYY-MM-DD`, and either `finding: <id>` "
    "or `rule:` with `record:` and/or `rep:` (see docs/alerts.md#muting-a-finding)"
)


class Muteable(Protocol):
    """What a mute is matched against (a finding of ``pipelines.alerts.digest``, an overdue
    receivable of ``pipelines.alerts.reminders``)."""

    finding_id: str
    rule: str
    entity: str
    record_id: str
    owner_rep_id: str | None


class Mute(BaseModel):
    """One item of ``mutes:``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    finding: str | None = None
    rule: str | None = None
    entity: str | None = None
    record: str | None = None
    rep: str | None = None
    reason: str = Field(min_length=1)
    until: date
    since: date | None = None
    by: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _text(cls, data: Any) -> Any:
        # YAML reads `record: 1001` as a number: an id is text
        if isinstance(data, dict):
            keys = ("finding", "rule", "entity", "record", "rep", "by")
            return {k: str(v) if k in keys and isinstance(v, int) else v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _selector(self) -> Mute:
        if not self.reason.strip():
            raise ValueError("reason is empty: say why the finding is muted")
        if self.finding:
            if any((self.rule, self.entity, self.record, self.rep)):
                raise ValueError("a mute names a finding, or a rule with a record/rep, not both")
        elif not (self.rule and (self.record or self.rep)):
            raise ValueError("name a `finding:`, or a `rule:` with a `record:` and/or `rep:`")
        if self.since and self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")
        if self.since and self.until > self.since + timedelta(days=MAX_MUTE_DAYS):
            raise ValueError(
                f"until {self.until} is more than {MAX_MUTE_DAYS} days after since "
                f"{self.since}: mute for a shorter time and renew it if still needed"
            )
        return self

    def matches(self, f: Muteable) -> bool:
        if self.finding:
            return f.finding_id == self.finding
        return (
            f.rule == self.rule
            and (self.entity is None or f.entity == self.entity)
            and (self.record is None or f.record_id == self.record)
            and (self.rep is None or f.owner_rep_id == self.rep)
        )

    def valid_on(self, day: date) -> bool:
        """Whether it mutes on business date ``day`` (``since`` only bounds its length)."""
        return day <= self.until

    def target(self) -> str:
        """What it mutes, for people: ``finding 3f1c...`` or ``rule x, record OP1``."""
        if self.finding:
            return f"finding {self.finding}"
        parts = [f"rule {self.rule}"]
        parts += [f"{k} {v}" for k, v in (("entity", self.entity), ("record", self.record),
                                          ("rep", self.rep)) if v]  # fmt: skip
        return ", ".join(parts)


class MutesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mutes: list[Mute] = Field(default_factory=list)


@dataclass(frozen=True)
class Mutes:
    """The mutes in force, and the file's error if it could not be read (then none)."""

    items: tuple[Mute, ...] = ()
    error: str | None = None

    def active(self, f: Muteable, day: date) -> Mute | None:
        """The mute silencing ``f`` on ``day``, if any."""
        return next((m for m in self.items if m.valid_on(day) and m.matches(f)), None)

    def expired_before(self, f: Muteable, day: date) -> date | None:
        """The latest ``until`` of a mute of ``f`` that has ended by ``day``, if any."""
        ends = [m.until for m in self.items if m.until < day and m.matches(f)]
        return max(ends) if ends else None


def mutes_path(home: Path) -> Path:
    return home / MUTES_FILE


def parse_mutes(text: str, source: str) -> list[Mute]:
    """Validate mutes YAML ``text``; errors name ``source``, the line and the fix."""
    data, node = parse_yaml(text, source, "the mutes file", FIX)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise SalesOpsError(f"{source}:1: the mutes file must be a mapping with `mutes:`", FIX)
    try:
        return list(MutesFile.model_validate(data).mutes)
    except ValidationError as exc:
        shown = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = line_of(node, loc)
            where = f"{source}:{line}" if line else source
            setting = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
            problem = err["msg"].removeprefix("Value error, ")
            shown.append(f"{where}: {setting.lstrip('.') or '(top level)'}: {problem}")
        raise SalesOpsError(
            "the mutes file is invalid:\n    " + "\n    ".join(shown), FIX
        ) from None


def read_mutes(path: Path) -> list[Mute]:
    """The mutes of ``path`` (none when it does not exist); raises :class:`SalesOpsError`."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SalesOpsError(f"{path}: the mutes file cannot be read ({exc})", FIX) from None
    return parse_mutes(text, str(path))


def load_mutes(path: Path) -> Mutes:
    """As :func:`read_mutes`, for a night's alerts: a broken file mutes nothing and its
    error is carried along, to be shown to sales ops (never raised, never ignored)."""
    try:
        return Mutes(tuple(read_mutes(path)))
    except SalesOpsError as exc:
        return Mutes((), str(exc))


def _item(mute: Mute) -> dict[str, Any]:
    return {k: v for k, v in mute.model_dump(mode="json").items() if v is not None}


def add_mute(path: Path, mute: Mute) -> None:
    """Append ``mute`` to the file (created if missing), keeping what is there, comments
    included; refuses to touch a file that is already invalid."""
    existing = read_mutes(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = yaml.safe_dump([_item(mute)], allow_unicode=True, sort_keys=False)
    block = "".join(f"  {line}\n" for line in block.splitlines())
    appended = (text.rstrip("\n") + "\n" if text.strip() else "mutes:\n") + block
    try:
        ok = parse_mutes(appended, str(path)) == [*existing, mute]
    except SalesOpsError:
        ok = False
    if not ok:  # e.g. `mutes: []` or another key after the list: write the file anew
        appended = _dump([*existing, mute])
    _write(path, appended)


def remove_mutes(path: Path, target: str, rule: str | None = None) -> list[Mute]:
    """Drop the mutes of finding ``target``, or of record/rep ``target`` (for ``rule`` if
    given); returns those removed. The file is rewritten (its comments are not kept)."""
    existing = read_mutes(path)

    def hit(m: Mute) -> bool:
        if m.finding:
            return m.finding == target and rule is None
        return target in (m.record, m.rep) and (rule is None or m.rule == rule)

    gone = [m for m in existing if hit(m)]
    if gone:
        _write(path, _dump([m for m in existing if not hit(m)]))
    return gone


def _dump(mutes: list[Mute]) -> str:
    head = "# Muted alert findings (salesops alerts mute / unmute; docs/alerts.md)\n"
    body = yaml.safe_dump({"mutes": [_item(m) for m in mutes]}, allow_unicode=True, sort_keys=False)
    return head + body


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
