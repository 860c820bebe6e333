"""When an incremental fact must be rebuilt in full, and the fingerprints that tell.

The incremental facts (dbt models tagged ``incremental_fact``: docs/operations.md,
"Incremental facts") recompute only the rows a load changed. Rows they already hold stay as
the SQL and settings of their run computed them, so after a change of the SQL or of a setting
the values depend on, the incremental result would differ from a full build. A fact's
*fingerprint* captures both:

- ``sql_checksum``: sha256 over the checksums (from the dbt manifest) of the model and every
  model upstream of it, and the text of every macro they call (directly or through another
  macro, dbt's own included: an upgrade of dbt can change them; the incremental path's macros
  included, though dbt's parse does not list them);
- ``settings``: the values of the dbt vars that SQL reads (``var('...')``: e.g.
  ``business_timezone``, ``reporting_currency``), the run context (load, date, file) aside.

``meta.fact_fingerprints`` keeps the fingerprint each fact was last built with. Before dbt
runs, a fact that exists in the run's copy with a different fingerprint (or none recorded) is
dropped there, so dbt builds that model, and only that one, as on a first run (what
``--full-refresh`` does for it); the fingerprints are recorded once dbt has succeeded. A failed
run leaves the live warehouse, fingerprints included, as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.warehouse.schema import FINGERPRINTS_DDL

#: dbt tag of the incremental models the pipeline fingerprints.
FACT_TAG = "incremental_fact"

#: Vars that change on every run and never change a computed row.
RUN_VARS = frozenset({"warehouse_path", "as_of_date", "load_id", "history_as_of_date"})

_VAR_CALL = re.compile(r"""\bvar\(\s*['"](\w+)['"]""")
_CALL = re.compile(r"\b(\w+)\s*\(")


@dataclass(frozen=True)
class Fingerprint:
    model: str
    relation: str
    sql_checksum: str
    settings: dict[str, Any]

    def differences(
        self, sql_checksum: str | None, settings: Mapping[str, Any] | None
    ) -> list[str]:
        """Why a fact recorded with ``sql_checksum`` / ``settings`` is stale (empty: it is not)."""
        if sql_checksum is None:
            return ["no fingerprint recorded for it (built before fingerprints were kept)"]
        reasons = []
        if sql_checksum != self.sql_checksum:
            reasons.append("its SQL changed (the model, a model upstream or a macro they use)")
        for name in sorted(set(self.settings) | set(settings or {})):
            old, new = (settings or {}).get(name), self.settings.get(name)
            if old != new:
                reasons.append(f"{name} changed ({_show(old)} -> {_show(new)})")
        return reasons


def _show(value: Any) -> str:
    return "unset" if value is None else json.dumps(value, ensure_ascii=False)


def load_manifest(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _upstream_models(manifest: dict, unique_id: str) -> list[dict]:
    """The node and every model, seed or snapshot it depends on, each once."""
    nodes, seen, todo = manifest["nodes"], set(), [unique_id]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:  # sources: no SQL of their own
            continue
        seen.add(node_id)
        todo.extend(nodes[node_id].get("depends_on", {}).get("nodes", []))
    return [nodes[n] for n in sorted(seen)]


def _macros_of(manifest: dict, nodes: list[dict]) -> list[dict]:
    """The macros the nodes use, and the macros those use. dbt's depends_on lists only the
    calls its parse rendered, which misses those in a branch parsing does not take (the
    incremental path under ``is_incremental()``), so a call by name of a macro of the project
    itself in the code counts too."""
    macros, seen = manifest["macros"], set()
    packages = {node["package_name"] for node in nodes}
    own = {m["name"]: m_id for m_id, m in macros.items() if m["package_name"] in packages}

    def called(code: str) -> list[str]:
        return [own[name] for name in _CALL.findall(code) if name in own]

    todo = [m for node in nodes for m in node.get("depends_on", {}).get("macros", [])]
    todo += [m for node in nodes for m in called(node.get("raw_code", ""))]
    while todo:
        macro_id = todo.pop()
        if macro_id in seen or macro_id not in macros:
            continue
        seen.add(macro_id)
        todo.extend(macros[macro_id].get("depends_on", {}).get("macros", []))
        todo.extend(called(macros[macro_id]["macro_sql"]))
    return [macros[m] for m in sorted(seen)]


def fact_fingerprints(
    manifest: dict, dbt_vars: Mapping[str, Any], models: Iterable[str] | None = None
) -> list[Fingerprint]:
    """The fingerprint of every fact (``models``: only those names) built with the vars
    ``dbt_vars`` (those the run passes over the dbt_project.yml defaults)."""
    wanted = None if models is None else set(models)
    out = []
    for unique_id, node in sorted(manifest["nodes"].items()):
        if node.get("resource_type") != "model" or FACT_TAG not in node.get("tags", []):
            continue
        if wanted is not None and node["name"] not in wanted:
            continue
        upstream = _upstream_models(manifest, unique_id)
        macros = _macros_of(manifest, upstream)
        digest = hashlib.sha256()
        for n in upstream:
            digest.update(f"{n['unique_id']}:{n['checksum']['checksum']}\n".encode())
        for m in macros:
            digest.update(f"{m['unique_id']}:{m['macro_sql']}\n".encode())
        code = [n.get("raw_code", "") for n in upstream] + [m["macro_sql"] for m in macros]
        names = {v for text in code for v in _VAR_CALL.findall(text)} - RUN_VARS
        settings = {v: dbt_vars.get(v) for v in sorted(names)}
        out.append(
            Fingerprint(
                model=node["name"],
                relation=f"{node['schema']}.{node.get('alias') or node['name']}",
                sql_checksum=digest.hexdigest(),
                settings=settings,
            )
        )
    return out


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".", 1)
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return found[0][0] > 0


def stale_facts(
    con: duckdb.DuckDBPyConnection, fingerprints: Iterable[Fingerprint]
) -> dict[str, list[str]]:
    """{model: reasons} of the facts that exist but were built with another fingerprint."""
    con.execute(FINGERPRINTS_DDL)
    recorded = {
        model: (checksum, json.loads(settings))
        for model, checksum, settings in con.execute(
            "select model, sql_checksum, settings from meta.fact_fingerprints"
        ).fetchall()
    }
    stale = {}
    for fp in fingerprints:
        if not _exists(con, fp.relation):
            continue  # dbt builds it in full anyway
        reasons = fp.differences(*recorded.get(fp.model, (None, None)))
        if reasons:
            stale[fp.model] = reasons
    return stale


def drop_for_full_rebuild(
    con: duckdb.DuckDBPyConnection, fingerprints: Iterable[Fingerprint], models: Iterable[str]
) -> None:
    """Drop the tables of ``models`` so the next dbt run builds them as on a first run."""
    names = set(models)
    for fp in fingerprints:
        if fp.model in names:
            con.execute(f"drop table if exists {fp.relation}")


def record_fingerprints(
    con: duckdb.DuckDBPyConnection, fingerprints: Iterable[Fingerprint], load_id: int | None
) -> None:
    """Remember the fingerprints the facts were just built with."""
    con.execute(FINGERPRINTS_DDL)
    for fp in fingerprints:
        con.execute(
            """insert or replace into meta.fact_fingerprints
               values (?, ?, ?, ?, ?, now())""",
            [fp.model, fp.relation, fp.sql_checksum, json.dumps(fp.settings), load_id],
        )
