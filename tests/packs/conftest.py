"""Fixtures of the pack tests: the hand-made warehouse and the shared demo night's, the packs
rendered from them once per session (read them; render into ``tmp_path`` to change
anything), and a real SMTP server to deliver packs to."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.packs import render_pack, render_quarterly_pack
from tests.packs.support import GENERATED_AT, OPTIONS, QUARTER, PackParser, parse, query
from tests.packs.support.hand_warehouse import build_warehouse, extend_warehouse
from tests.support.smtp import Inbox, serving


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server on a free port and the inbox it delivers to (``inbox.port``)."""
    with serving(Inbox()) as inbox:
        yield inbox


@pytest.fixture(scope="session")
def hand_pack(tmp_path_factory) -> tuple[Path, str, PackParser]:
    """The company pack of 2026Q3 from the hand-made warehouse: (path, HTML, parser)."""
    tmp = tmp_path_factory.mktemp("pack")
    db = build_warehouse(tmp / "warehouse.duckdb")
    out = render_quarterly_pack(db, "2026Q3", tmp / "out", generated_at=GENERATED_AT)
    html, parser = parse(out)
    return out, html, parser


@pytest.fixture(scope="session")
def hand_warehouse(tmp_path_factory) -> Path:
    """The hand-made warehouse with region rows, contact details and a formula-like name."""
    return extend_warehouse(build_warehouse(tmp_path_factory.mktemp("packs") / "warehouse.duckdb"))


@pytest.fixture(scope="session")
def demo_db(demo) -> Path:
    """The shared demo night's warehouse (tests/conftest.py); never written to."""
    return demo["home"] / "warehouse.duckdb"


@pytest.fixture(scope="session")
def demo_team(demo_db) -> str:
    """The team with the most 2026Q3 revenue."""
    return query(
        demo_db,
        """select scope_id from marts.fct_sales_performance
           where period = ? and level = 'team' order by revenue desc, scope_id limit 1""",
        [QUARTER],
    )[0][0]


@pytest.fixture(scope="session")
def demo_packs(demo_db, demo_team, tmp_path_factory):
    """HTML and Excel of the company and the team pack, English and 中文."""
    out = tmp_path_factory.mktemp("sections")
    rendered = {}
    for scope, level, scope_id in (
        ("company", "company", "all"),
        (f"team:{demo_team}", "team", demo_team),
    ):
        for lang in ("en", "zh"):
            pack = render_pack(
                demo_db, QUARTER, out, scope=scope, lang=lang, formats=["html", "xlsx"],
                options=OPTIONS,
            )  # fmt: skip
            rendered[(level, lang)] = (scope_id, pack)
    return rendered


@pytest.fixture(scope="session")
def targets_warehouse(demo, tmp_path_factory) -> Path:
    """A copy of the demo warehouse (the shared demo home is never written to).

    The copy gets visits and quotes targets for the
    quarter's rep rows (attainment = count / target, as the mart defines it), so the target
    and attainment columns and the lowest-attainment sentence have something to show.
    """
    db = tmp_path_factory.mktemp("scorecard") / "warehouse.duckdb"
    shutil.copy(demo["home"] / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute(
        """update marts.fct_sales_performance
           set visits_target = 10, visits_attainment = visits / 10.0,
               quotes_target = 4, quotes_attainment = quotes / 4.0
           where period_type = 'quarter' and period = ? and level = 'rep'""",
        [QUARTER],
    )
    con.close()
    return db


@pytest.fixture(scope="session")
def scored_team(targets_warehouse) -> str:
    """The team (current, dim_sales_reps) with the most scored reps in the quarter."""
    rows = query(
        targets_warehouse,
        """select r.team, count(s.scorecard_score) as scored
           from marts.fct_rep_scorecard s join marts.dim_sales_reps r on r.rep_id = s.rep_id
           where s.period_type = 'quarter' and s.period = ? and r.team is not null
           group by r.team order by scored desc, r.team limit 1""",
        [QUARTER],
    )
    assert rows and rows[0][1] >= 2, "the demo night should score at least two reps of a team"
    return rows[0][0]


@pytest.fixture(scope="session")
def scored_team_pack(targets_warehouse, scored_team, tmp_path_factory):
    """HTML and Excel of the scored team's 2026Q3 pack (with process targets)."""
    return render_pack(
        targets_warehouse, QUARTER, tmp_path_factory.mktemp("scored"),
        scope=f"team:{scored_team}", formats=["html", "xlsx"], options=OPTIONS,
    )  # fmt: skip
