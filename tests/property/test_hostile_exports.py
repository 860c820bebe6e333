"""Hostile export files, generated: every row is accounted for and nothing is half-loaded.

Hypothesis writes accounts and orders exports the way careless exporters and hostile users
do: ids with invisible, control, full-width and NUL characters, numbers and dates at and past
the edges, text with quotes, delimiters, line breaks, escape sequences and scripts, rows with
cells missing or too many, in several encodings and line endings. Each file is loaded after a
clean first load, and the invariants hold whatever the content:

* loading never crashes: the file is loaded, or rejected with a message naming it;
* a loaded file's rows_in is the number of rows written (counted here, as the file was
  built), and every one of them is in raw (one version per source row) or in meta.quarantine
  with a reason, never both, never neither;
* a rejected file leaves every raw table as it was, and its rows are counted as refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.core import refusals
from tests.ingest.support import load_file, new_warehouse, register_load, write_export

#: Characters exporters and attackers put into cells.
NASTY = [
    "\ufeff", "\u200b", "\u200d", "\u00a0", "\u3000", "\x00", "\x1b[31m", "\x07", "\r", "\n",
    "\r\n", '"', "'", ",", ";", "\t", "|", "=", "+", "-", "@", "<script>", "ＡＣＣ", "１２３",
    "é", "中文", "🙂", "\u202e", "\\", "NULL", "N/A", "-0", "1e400", "NaN", "Infinity",
]  # fmt: skip
EDGES = [
    "", " ", "0", "-1", "999999999999.999999", "9" * 40, "0.0000001", "1,234.56", "1.234,56",
    "9999-12-31", "1900-01-01", "0001-01-01", "2025-02-30", "2025-13-01", "2025-03-30 02:30",
    "2025-11-02T01:30:00-04:00", "31/12/2025", "12/31/2025", "2025-06-01T00:00:00Z",
    "x" * 5000,
]  # fmt: skip

nasty_text = st.lists(
    st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from(EDGES),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    ),
    max_size=4,
).map("".join)

ids = st.builds(
    lambda prefix, n, junk, where: (
        f"{junk}{prefix}-{n:05d}" if where == 0 else f"{prefix}-{n:05d}{junk}"
    ),
    st.sampled_from(["ACC", "ORD"]),
    st.integers(0, 30),
    st.sampled_from(["", "", "", "\ufeff", "\u200b", " ", "\x00", "\x1b[0m"]),
    st.integers(0, 1),
)
timestamps = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.dates().map(str),
    st.sampled_from(EDGES),
    nasty_text,
)
amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(EDGES),
    nasty_text,
)
texts = st.one_of(st.sampled_from(["EMEA", "APAC", "direct", "web", "open"]), nasty_text)

COLUMNS = {
    "accounts": {
        "account_id": ids,
        "account_name": texts,
        "region": texts,
        "channel": texts,
        "created_at": timestamps,
        "phone": texts,
        "email": texts,
    },
    "orders": {
        "order_id": ids,
        "account_id": ids,
        "rep_id": ids,
        "ordered_at": timestamps,
        "status": st.one_of(st.just("paid"), texts),
        "currency": st.one_of(st.just("CNY"), texts),
        "total_amount": amounts,
        "payment_terms_days": st.one_of(st.integers(-5, 400).map(str), nasty_text),
    },
}

CLEAN = {
    "accounts": "account_id,account_name,region,channel,created_at\n"
    "ACC-00001,Acme,EMEA,direct,2025-01-02 10:00:00\n"
    "ACC-00002,Beta,APAC,web,2025-02-03 11:00:00\n",
    "orders": "order_id,account_id,rep_id,ordered_at,status,currency,total_amount\n"
    "ORD-00001,ACC-00001,REP-00001,2025-03-01 09:00:00,paid,CNY,100.00\n",
}


@st.composite
def exports(draw):
    """(entity, the file's bytes, rows written)."""
    name = draw(st.sampled_from(sorted(COLUMNS)))
    columns = COLUMNS[name]
    header = list(columns)
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        row = [draw(strategy) for strategy in columns.values()]
        shape = draw(st.sampled_from(["whole"] * 8 + ["short", "long"]))
        if shape == "short":
            row = row[: draw(st.integers(1, len(row) - 1))]
        elif shape == "long":
            row = row + [draw(texts)]
        rows.append(row)
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if ending != "\r\n":
        # A line break inside a cell must be quoted to be a cell's; QUOTE_ALL does that for
        # both kinds whatever the line ending (QUOTE_MINIMAL only for the ending's own).
        quoting = csv.QUOTE_ALL
    else:
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return name, data, len(rows)


def raw_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of every raw table's rows."""
    h = hashlib.sha256()
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "order by table_name"
    ).fetchall():
        for row in con.execute(f"select * from raw.{table} order by all").fetchall():
            h.update(repr(row).encode())
    return h.hexdigest()


@settings(
    max_examples=int(os.environ.get("SALESOPS_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(exports())
def test_every_row_of_a_hostile_file_is_accounted_for(export):
    name, data, written = export
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        con = new_warehouse(folder / "w.duckdb")
        try:
            register_load(con, 1, date(2025, 6, 30))
            load_file(con, name, write_export(folder / "first", f"{name}.csv", CLEAN[name]), 1)
            before = raw_digest(con)
            register_load(con, 2, date(2025, 7, 1))
            path = write_export(folder / "second", f"{name}.csv", data)
            result = load_file(con, name, path, 2)

            if result.status == "rejected":
                assert result.message and path.name in result.message
                # Its rows are counted as refused where they can be (not in a file whose
                # text cannot be read): none loaded, none quarantined.
                counted = written if result.read_notes.get("rows_counted") else 0
                assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (
                    counted,
                    0,
                    0,
                )
                assert result.read_notes["reason"] in refusals.CATALOGUE
                assert raw_digest(con) == before, "a rejected file changed raw"
                (held,) = con.execute(
                    "select count(*) from meta.quarantine where load_id = 2"
                ).fetchone()
                assert held == 0, "a rejected file left rows in quarantine"
                return
            assert result.status == "loaded", result
            assert result.rows_in == written
            assert result.rows_loaded + result.rows_quarantined == written
            raw_rows = {
                r
                for (r,) in con.execute(
                    f"select _source_row from raw.{name} where _load_id = 2"
                ).fetchall()
            }
            held_rows = {
                r
                for (r,) in con.execute(
                    "select distinct source_row from meta.quarantine "
                    "where load_id = 2 and source_file = ?",
                    [path.name],
                ).fetchall()
            }
            assert not raw_rows & held_rows, "a row both loaded and quarantined"
            assert len(held_rows) == result.rows_quarantined
            reasons = con.execute(
                "select count(*) from meta.quarantine where load_id = 2 and "
                "(reason is null or trim(reason) = '')"
            ).fetchone()[0]
            assert reasons == 0, "a quarantined row without a reason"
            # A loaded row is a new version (in raw) or identical to the record's current
            # version (unchanged): the same content twice in one file is stored once.
            assert len(raw_rows) + result.rows_unchanged == result.rows_loaded
        finally:
            con.close()
