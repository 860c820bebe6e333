"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 at a free port, delivering to an
``Inbox`` that keeps every mail it accepts, parsed. Nothing is mocked: the code under test
speaks SMTP to it over a socket."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every accepted mail in ``received``, as a dict of
    ``mail_from``, ``rcpt_tos``, ``message`` (parsed), ``tls`` and ``login``.

    ``replies`` answer DATA first, one each, in turn: one that does not start with 250
    refuses that mail (a temporary or permanent failure). ``on_mail`` is called with the
    inbox after each accepted mail. ``port`` is set by ``serving``.
    """

    def __init__(
        self,
        replies: list[str] | None = None,
        on_mail: Callable[[Inbox], None] | None = None,
    ) -> None:
        self.replies = list(replies or [])
        self.on_mail = on_mail
        self.received: list[dict[str, Any]] = []
        self.data_commands = 0
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        self.data_commands += 1
        if self.replies:
            reply = self.replies.pop(0)
            if not reply.startswith("250"):
                return reply
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
                "tls": bool(session.ssl),
                "login": session.login_data,
            }
        )
        if self.on_mail:
            self.on_mail(self)
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[tuple[list[str], EmailMessage]]:
        """(recipients, message) of each accepted mail, in the order they came."""
        return [(mail["rcpt_tos"], mail["message"]) for mail in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        """The mails sent to ``address`` (alone or with others)."""
        return [m for rcpts, m in self.mails if address in rcpts]

    def text(self, address: str) -> str:
        """The plain-text bodies of the mails sent to ``address``, one after the other."""
        return "\n".join(m.get_body(("plain",)).get_content() for m in self.to(address))


@contextmanager
def serving(inbox: Inbox, **options: Any) -> Iterator[Inbox]:
    """Run an SMTP server delivering to ``inbox`` while the block runs; ``options`` go to
    aiosmtpd's SMTP (``authenticator``, ``tls_context``, ``require_starttls``...) or, for
    ``ssl_context``, make the server speak implicit TLS."""
    inbox.port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, server_hostname="localhost", **options
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def content(part: EmailMessage) -> str:
    """A text part as the sender wrote it (SMTP sends CRLF line ends)."""
    return part.get_content().replace("\r\n", "\n")
