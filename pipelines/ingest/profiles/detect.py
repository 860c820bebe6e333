"""Which known export a folder looks like, by the shipped profiles' file patterns.

Used by ``salesops profile check`` to say "this looks like a Salesforce Data Export:
use --profile salesforce" instead of only "matches no entity". Only file names are
looked at (nothing is opened).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.errors import SalesOpsError


@dataclass(frozen=True)
class LooksLike:
    profile: str
    export_format: str
    files: int

    def describe(self) -> str:
        return (
            f"{self.export_format} ({self.files:,} file(s) match the shipped profile "
            f"{self.profile})"
        )


def detect_format(folder: Path) -> LooksLike | None:
    """The shipped profile whose own mappings match the most files of ``folder``."""
    from pipelines.ingest.profiles.loader import load_profile, shipped_profiles

    names = [p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    best: LooksLike | None = None
    for shipped in shipped_profiles():
        profile = load_profile(shipped)
        formats: Counter = Counter()
        matched = 0
        for name in names:
            for entity in profile.own_entities:
                try:
                    reading = profile.reading_for(entity, name)
                except SalesOpsError:
                    reading = None
                if reading is not None:
                    matched += 1
                    formats[reading.export_format or profile.description] += 1
                    break
        if matched and (best is None or matched > best.files):
            best = LooksLike(shipped, formats.most_common(1)[0][0], matched)
    return best
