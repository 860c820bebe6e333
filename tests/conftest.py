"""Fixtures shared by several test modules."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.demo import generate_drop
from pipelines.runner import run_nightly
from tests import oracle

#: Business date of the shared demo night: the last day of 2026Q3.
DEMO_AS_OF = date(2026, 9, 30)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """One real nightly run on a demo drop (read it or copy its home; never write to it)."""
    root = tmp_path_factory.mktemp("e2e")
    inbox = root / "inbox"
    generate_drop(inbox, seed=11, scale=0.5, end_date=DEMO_AS_OF)
    home = root / "home"
    summary = run_nightly(inbox=inbox, home=home, as_of=DEMO_AS_OF, echo=False)
    return {"inbox": inbox, "home": home, "summary": summary, "drop": oracle.load_drop(inbox)}
