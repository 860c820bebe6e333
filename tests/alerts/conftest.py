"""Fixtures of the alert tests: real SMTP servers on free local ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.support.smtp import Inbox, serving


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., int]]:
    """Start SMTP servers for the test: ``start(inbox, **smtp_options) -> port``."""
    with ExitStack() as servers:

        def start(inbox: Inbox, **options: Any) -> int:
            return servers.enter_context(serving(inbox, **options)).port

        yield start


@pytest.fixture
def smtp(smtp_server) -> Inbox:
    """An SMTP server on a free port and the inbox it delivers to (``smtp.port``)."""
    inbox = Inbox()
    smtp_server(inbox)
    return inbox
