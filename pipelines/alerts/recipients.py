"""Who reads an alert in which language: the ``recipients`` of the alerts file.

::

    recipients:
      - {rep: R07, language: zh}                    # a rep: digest, reminders, roll-ups,
                                                    # escalations
      - {email: ops-cn@example.com, language: zh}   # an address, e.g. in an email `to`:
                                                    # the sales-ops summary in zh

Everyone not listed gets the default (``SALESOPS_ALERT_LANGUAGE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from pipelines.alerts.channels import parse_alerts_file
from pipelines.core.errors import SalesOpsError


@dataclass(frozen=True)
class Languages:
    default: str = "en"
    by_rep: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)

    def for_person(self, rep_id: str | None, email: str | None) -> str:
        """A rep's language: by rep id, else by their address, else the default."""
        if rep_id is not None and rep_id in self.by_rep:
            return self.by_rep[rep_id]
        return self.for_email(email)

    def for_email(self, address: str | None) -> str:
        """An address's language; ``Name <a@b>`` counts as ``a@b``."""
        bare = parseaddr(address or "")[1] or address or ""
        return self.by_email.get(bare.strip().lower(), self.default)

    def group(self, addresses: Iterable[str]) -> dict[str, list[str]]:
        """``addresses`` (each once, in order) by language, the default's first."""
        groups: dict[str, list[str]] = {self.default: []}
        for address in dict.fromkeys(addresses):
            groups.setdefault(self.for_email(address), []).append(address)
        return {lang: items for lang, items in groups.items() if items}


def load_languages(path: Path | None, default: str) -> Languages:
    """The recipients' languages in the alerts file at ``path`` (None: no file)."""
    if path is None:
        return Languages(default)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SalesOpsError(
            f"{path}: the alerts file cannot be read ({exc})",
            "check the path given for the alerts file, and that it is UTF-8 text",
        ) from None
    recipients = parse_alerts_file(text, str(path)).recipients
    return Languages(
        default,
        {r.rep: r.language for r in recipients if r.rep is not None},
        {r.email.strip().lower(): r.language for r in recipients if r.email is not None},
    )
