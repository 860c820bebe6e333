"""What loading one file did: the accounting row of ``meta.load_files`` and the rule tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.checks.run import ExpectationOutcome


@dataclass
class FileResult:
    entity: str
    file_name: str | None
    status: str  # loaded | skipped_seen | refused | rejected | absent
    sha256: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    rows_released: int = 0
    rows_flagged: int = 0
    rows_deleted: int = 0
    message: str | None = None
    profile: str | None = None
    #: How the file was read and mapped (encoding, header row, sources, translations ...).
    read_notes: dict = field(default_factory=dict)
    #: Export columns the profile does not map (kept in raw._extra) ...
    extra_columns: list[str] = field(default_factory=list)
    #: ... and those of them seen for the first time (reported once).
    new_extra_columns: list[str] = field(default_factory=list)
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    flagged_by_rule: dict[str, int] = field(default_factory=dict)
    #: Up to MAX_FAILING_IDS record ids (or "row N") per rule.
    failing_record_ids: dict[str, list[str]] = field(default_factory=dict)
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
