"""Who a row's findings go to: its owner rep (``_owner`` of the settle views).

A row of an entity with an owner column (orders: ``rep_id``, accounts: ``owner_rep_id`` ...)
goes to that rep. A row without one goes to the owner of the record it belongs to, followed
through its references in the order the contract lists them, as the current loaded version of
that record says: an order line, an invoice or a payment to the rep of its order (a payment
naming only an invoice through the invoice's order), a stage-history row to the opportunity's
owner, a survey to the account's owner. The rows quarantined or flagged by the ingest reach
the rep who can fix them (docs/data-quality.md), not sales ops, even when the record itself
was never loaded.

Each lookup reads only the versions of the records the rows name (the referenced table
narrowed to the keys found in ``relation``, level by level): the rows asked about are few
(the failing ones), the referenced table may hold millions.
"""

from __future__ import annotations

from pipelines.core.contract import ENTITY_BY_NAME, Entity

#: How many references deep an owner is looked for (payment -> invoice -> order).
MAX_DEPTH = 3


def _current_owner_sql(
    target: Entity, key_sql: str, depth: int, column: str, source: str
) -> str | None:
    """SQL of the owner of the current version of ``target``'s record with key ``key_sql``
    (the value of ``column`` in a row of ``source``)."""
    (key,) = target.key
    t = f"t{depth}"
    # The versions of the records ``source`` names, not the whole table.
    named = f'(select * from raw.{target.name} where "{key}" in (select "{column}" from {source}))'  # noqa: S608
    owner = f'{t}."{target.owner_column}"' if target.owner_column else None
    if owner is None:
        owner = _referenced_owner_sql(target, t, depth + 1, named)
        if owner is None:
            return None
    # The latest version's owner, null included (arg_max_null).
    return f"""(select arg_max_null({owner}, ({t}._load_id, {t}._source_row))
                from {named} {t} where {t}."{key}" = {key_sql})"""  # noqa: S608


def _referenced_owner_sql(entity: Entity, alias: str, depth: int, source: str) -> str | None:
    if depth > MAX_DEPTH:
        return None
    parts = []
    for ref in entity.references:
        target = ENTITY_BY_NAME[ref.entity]
        if len(target.key) != 1 or target.name == "sales_reps":
            continue
        sql = _current_owner_sql(target, f'{alias}."{ref.column}"', depth, ref.column, source)
        if sql is not None:
            parts.append(sql)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def owner_sql(entity: Entity, alias: str, owner_column_sql: str, relation: str) -> str:
    """SQL of the owner rep of a row of ``entity`` read as ``alias`` from ``relation`` (typed
    columns); ``owner_column_sql`` is the row's own owner column as text (used when the entity
    has one)."""
    if entity.owner_column:
        return owner_column_sql
    return _referenced_owner_sql(entity, alias, 0, relation) or "null"
