"""What an alert is, and the form it takes on each channel.

A :class:`Message` carries one alert as a subject, plain text, optional HTML and a
structured payload. The functions here turn it into what each channel sends: Slack Block
Kit JSON, a Teams Adaptive Card, the generic webhook's JSON, a UTF-8 multipart email and
the files channel's HTML page. They only build data; :mod:`pipelines.alerts.delivery`
sends it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

#: A message key becomes a file name: letters, digits, ``_``, ``.`` and ``-`` only.
KEY = re.compile(r"^\w[\w.-]{0,199}$")
#: Slack's limits: a section block's text, a header block's text.
SLACK_SECTION_MAX = 3000
SLACK_HEADER_MAX = 150
#: Teams rejects messages over about 28 KB; card text is cut to this many characters.
TEAMS_TEXT_MAX = 8000


@dataclass(kw_only=True)
class Message:
    """One alert, in every form a channel may need."""

    subject: str
    #: Plain-text body (email text part, Slack, Teams, the generic webhook).
    text: str
    #: HTML body (email HTML part, the files channel); None: the text is used.
    html: str | None = None
    #: The alert as structured data (the files channel's JSON, the generic webhook).
    payload: dict[str, Any] = field(default_factory=dict)
    #: Email addresses; empty: the email channel's ``to`` list.
    recipients: list[str] = field(default_factory=list)
    #: What the alert is, e.g. ``rep_digest``, ``manager_rollup``, ``ops_summary``,
    #: ``run_failure``; channels may accept only some kinds.
    kind: str
    #: File-safe identifier, e.g. ``rep-R001``: the files channel's file name.
    key: str
    #: Channel types that do not carry it, e.g. the sales-ops summary in a recipient's own
    #: language goes to their address (email) and the files, not to the team's Slack
    #: channel, which gets the summary in the default language.
    skip_channel_types: tuple[str, ...] = ()

    def goes_to(self, channel_type: str) -> bool:
        """Whether a channel of ``channel_type`` carries this message at all."""
        return channel_type not in self.skip_channel_types

    def __post_init__(self) -> None:
        if not KEY.match(self.key):
            raise ValueError(
                f"message key {self.key!r} is not file-safe: use letters, digits, '_', '.', '-'"
            )


#: Closes a text cut to fit a channel's limit.
CUT_NOTE = "\n… (truncated: {} more characters; the full alert is in the alert files)"


def _cut(text: str, limit: int) -> str:
    """``text``, or its start plus :data:`CUT_NOTE`, in at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(CUT_NOTE.format(len(text))))  # the note's longest form
    return text[:keep] + CUT_NOTE.format(len(text) - keep)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    """Slack mrkdwn treats ``&``, ``<`` and ``>`` as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(message: Message) -> dict[str, Any]:
    """Incoming-webhook JSON: fallback ``text`` and Block Kit header + section."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _short(message.subject, SLACK_HEADER_MAX) or " ",
                "emoji": True,
            },
        }
    ]
    if message.text.strip():  # Slack rejects an empty section
        section = _cut(_slack_escape(message.text), SLACK_SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section}})
    fallback = _slack_escape(f"{message.subject}\n\n{message.text}".strip())
    return {"text": fallback, "blocks": blocks}


def teams_body(message: Message) -> dict[str, Any]:
    """A Teams message carrying one Adaptive Card (subject, then the text)."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": message.subject,
                            "weight": "Bolder",
                            "size": "Large",
                            "wrap": True,
                        },
                        {
                            "type": "TextBlock",
                            "text": _cut(message.text, TEAMS_TEXT_MAX),
                            "wrap": True,
                        },
                    ],
                },
            }
        ],
    }


def webhook_body(message: Message) -> dict[str, Any]:
    """The generic webhook's JSON."""
    return {
        "kind": message.kind,
        "subject": message.subject,
        "text": message.text,
        "payload": message.payload,
    }


def html_page(message: Message) -> str:
    """``message.html``, or a minimal page showing the text as it is."""
    if message.html is not None:
        return message.html
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(message.subject)}</title></head>\n"
        f"<body><pre>{html.escape(message.text)}</pre></body></html>\n"
    )


def email_message(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """multipart/alternative (text, then HTML if any), UTF-8 throughout."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.splitlines())  # a header is one line
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2]
    mail["Message-ID"] = make_msgid(domain=domain or "salesops.invalid")
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail
