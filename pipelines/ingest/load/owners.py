"""Who a row's findings go to: its owner rep (``_owner`` of the settle views).

A row of an entity with an owner column (orders: ``rep_id``, accounts: ``owner_rep_id`` ...)
goes to that rep. A row without one goes to the owner of the record it belongs to, followed
through its references in the order the contract lists them, as the current loaded version of
that record says: an order line, an invoice or a payment to the rep of its order (a payment
naming only an invoice through the invoice's order), a stage-history row to the opportunity's
owner, a survey to the account's owner. The rows quarantined or flagged by the ingest reach
the rep who can fix them (docs/data-quality.md), not sales ops, even when the record itself
was never loaded.
"""

from __future__ import annotations

from pipelines.core.contract import ENTITY_BY_NAME, Entity

#: How many references deep an owner is looked for (payment -> invoice -> order).
MAX_DEPTH = 3


def _current_owner_sql(target: Entity, key_sql: str, depth: int) -> str | None:
    """SQL of the owner of the current version of ``target``'s record with key ``key_sql``."""
    (key,) = target.key
    owner = f't{depth}."{target.owner_column}"' if target.owner_column else None
    if owner is None:
        owner = _referenced_owner_sql(target, f"t{depth}", depth + 1)
        if owner is None:
            return None
    return f"""(select {owner} from raw.{target.name} t{depth}
                where t{depth}."{key}" = {key_sql}
                order by t{depth}._load_id desc, t{depth}._source_row desc limit 1)"""  # noqa: S608


def _referenced_owner_sql(entity: Entity, alias: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return None
    parts = []
    for ref in entity.references:
        target = ENTITY_BY_NAME[ref.entity]
        if len(target.key) != 1 or target.name == "sales_reps":
            continue
        sql = _current_owner_sql(target, f'{alias}."{ref.column}"', depth)
        if sql is not None:
            parts.append(sql)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def owner_sql(entity: Entity, alias: str, owner_column_sql: str) -> str:
    """SQL of the owner rep of a row of ``entity`` read as ``alias`` (typed columns);
    ``owner_column_sql`` is the row's own owner column as text (used when the entity has one)."""
    if entity.owner_column:
        return owner_column_sql
    return _referenced_owner_sql(entity, alias, 0) or "null"
