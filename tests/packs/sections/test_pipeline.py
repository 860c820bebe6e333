"""Pipeline coverage entering next quarter.

The shared demo night (tests/conftest.py: a real nightly run, dbt included, business date
2026-09-30): expected figures are queried here straight from the marts, never through the packs'
own code.
"""

from __future__ import annotations

import pytest

from tests.packs.support import (
    PACK_CASES,
    WORDS,
    D,
    half_up,
    money0,
    money2,
    one,
    parse,
    query,
    sheet_rows,
)


def times(x, lang: str) -> str:
    return WORDS[lang]["times"].format(half_up(x, "0.01"))


@pytest.mark.parametrize("level,lang", PACK_CASES)
def test_pipeline_coverage_entering_next_quarter(demo_db, demo_packs, level, lang):
    scope_id, pack = demo_packs[(level, lang)]
    html, p = parse(pack.files["html"])
    assert WORDS[lang]["pipeline"] in html
    # coverage entering 2026Q4 = the snapshot of the day before it starts
    snap = one(
        demo_db,
        """select * from marts.fct_pipeline_snapshots
           where snapshot_date = date '2026-09-30' and level = ? and scope_id = ?""",
        [level, scope_id],
    )
    assert snap["next_quarter"] == "2026Q4"
    row = p.tables["coverage-table"][1]
    assert row[:5] == [
        "2026-09-30",
        "2026Q4",
        money2(snap["next_quarter_open_pipeline"]),
        money2(snap["next_quarter_weighted_pipeline"]),
        money2(snap["next_quarter_revenue_target"]),
    ]
    if snap["next_quarter_coverage"] is not None:
        assert row[5] == times(snap["next_quarter_coverage"], lang)
        # the coverage is the open pipeline over the target (a second way to the same number)
        assert half_up(
            snap["next_quarter_open_pipeline"] / snap["next_quarter_revenue_target"], "0.01"
        ) == half_up(snap["next_quarter_coverage"], "0.01")
    # the commentary names the same amounts (headline: whole currency units)
    said = p.text_by_id["pipeline-commentary"]
    assert money0(snap["next_quarter_open_pipeline"]) in said and "2026Q4" in said
    for key in ("pipeline", "forecast", "customers", "channels", "receivables"):
        assert "{" not in p.text_by_id[key], key  # every placeholder filled
    # open pipeline by expected-close quarter, from 2026Q3 on
    periods = query(
        demo_db,
        """select period, open_pipeline, remaining_target from marts.fct_pipeline
           where period_type = 'quarter' and level = ? and scope_id = ?
             and period_start >= date '2026-07-01' order by period_start limit 4""",
        [level, scope_id],
    )
    assert p.tables["pipeline-table"][0][6] == {"en": "Remaining target", "zh": "剩余目标"}[lang]
    table = p.tables["pipeline-table"][1:]
    assert [(r[0], r[2], r[6]) for r in table] == [
        (q, money2(o), money2(rem)) for q, o, rem in periods
    ]
    # Excel: the same coverage as a number
    cov_row = next(r for r in sheet_rows(pack.files["xlsx"], html, "pipeline") if r[1] == "2026Q4")
    assert D(str(cov_row[2])) == snap["next_quarter_open_pipeline"]
