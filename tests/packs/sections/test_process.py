"""Process activity: a team's visits, calls, demos, proposals and quotes against targets.

The warehouse is a copy of the shared demo night's with process targets (conftest
``targets_warehouse``). Expected figures are queried from the marts here and, where the pack
derives something (order, attainment, team average, the commentary's picks), worked out a
second way in plain Python; never taken from the pack's own code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from tests.packs.support import QUARTER, D, parse, query, table_body, titled_sheet_rows

ACTIVITIES = ("visits", "calls", "demos", "proposals", "quotes")
TARGETED = ("visits", "proposals", "quotes")


def pct_text(ratio: Decimal | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{(ratio * 100).quantize(D('0.1'), ROUND_HALF_UP):,}%"


def process_rows(db: Path, team: str) -> dict[str, dict]:
    cols = ["name", *ACTIVITIES, *(f"{m}_target" for m in TARGETED)]
    rows = query(
        db,
        f"""select coalesce(r.rep_name, p.scope_id), {", ".join(f"p.{c}" for c in cols[1:])}
            from marts.fct_sales_performance p
            join marts.dim_sales_reps r on r.rep_id = p.scope_id
            where p.period_type = 'quarter' and p.period = ? and p.level = 'rep'
              and r.team = ?""",
        [QUARTER, team],
    )
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


def test_team_pack_process_equals_the_marts(targets_warehouse, scored_team, scored_team_pack):
    pack = scored_team_pack
    _, p = parse(pack.files["html"])
    # process: counts from the mart, attainment worked out here as count / target
    procs = process_rows(targets_warehouse, scored_team)
    html = {r[0]: r for r in p.tables["process-table"][1:]}
    assert set(html) == set(procs)
    ratios: list[tuple[Decimal, str, str]] = []
    for name, e in procs.items():
        cells = html[name][2:]
        i = 0
        for m in ACTIVITIES:
            assert cells[i] == f"{e[m]:,}"
            i += 1
            if m in TARGETED:
                target = e[f"{m}_target"]
                ratio = D(e[m]) / target if target else None
                assert cells[i] == ("n/a" if target is None else f"{target:,.0f}")
                assert cells[i + 1] == pct_text(ratio)
                if ratio is not None:
                    ratios.append((ratio, name, m))
                i += 2
    totals = {m: sum(e[m] for e in procs.values()) for m in ACTIVITIES}
    commentary = p.text_by_id["process-commentary"]
    assert f"{len(procs)} reps logged {totals['visits']:,} visits, {totals['calls']:,} calls" in (
        commentary
    )
    # the lowest ratio (any of the tied (rep, activity) pairs)
    low = min(r for r, _n, _m in ratios)
    assert any(
        f"is {name}'s {m.capitalize()}: {pct_text(low)}" in commentary
        for r, name, m in ratios
        if r == low
    )

    sheet = titled_sheet_rows(pack.files["xlsx"], "Process activity")
    body = {r[0]: r for r in table_body(sheet, "Rep")}
    assert set(body) == set(procs)
    for name, e in procs.items():
        row = body[name]
        # Rep, Team, visits, target, attainment, calls, demos, proposals, target, att., quotes, ...
        assert [row[2], row[5], row[6], row[7], row[10]] == [
            e["visits"], e["calls"], e["demos"], e["proposals"], e["quotes"],
        ]  # fmt: skip
        for col, m in ((3, "visits"), (8, "proposals"), (11, "quotes")):
            target = e[f"{m}_target"]
            assert (D(str(row[col])) if row[col] is not None else None) == target
            if target:
                assert abs(D(str(row[col + 1])) - D(e[m]) / target) < D("1e-9")
