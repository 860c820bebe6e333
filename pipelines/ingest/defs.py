"""Ingest assets: the night's drop, then one ``raw/<entity>`` asset per contract entity.

Both are partitioned by business date (:mod:`pipelines.core.partitions`): a partition is
one night's drop. The dbt marts downstream are not: they are rebuilt from every load.

Each entity asset loads its file and reports its Great Expectations suite as
the asset check ``contract_suite`` (pass/fail counts and failing record ids in
the check's metadata). Dependencies follow the contract's references, so a
referenced entity always loads first.
"""

import json
import time
from datetime import UTC, datetime

import dagster as dg

from pipelines.core import run_log
from pipelines.core.contract import ENTITIES, Entity
from pipelines.core.errors import retry_only_transient
from pipelines.core.progress import say
from pipelines.core.refusals import REFUSED, REJECTED
from pipelines.ingest.drop import current_load_id, register_load, scan_inbox
from pipelines.ingest.load import FileResult, ingest_file, record_released, release_parked
from pipelines.ingest.profiles.loader import load_profile
from pipelines.warehouse.resource import WarehouseResource

DROP_KEY = dg.AssetKey(["raw", "drop"])
CHECK_NAME = "contract_suite"
MAX_IDS_IN_METADATA = 25
#: Statuses of a file nothing of which was loaded.
NOT_LOADED = (REFUSED, REJECTED)


def raw_key(entity_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity_name])


def build_drop_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DROP_KEY,
        group_name="ingest",
        kinds={"duckdb"},
        partitions_def=partitions_def,
        description="The night's export files in the inbox, registered as one load with a "
        "business date (meta.loads); one partition per business date. Running the same drop "
        "again reuses its load.",
    )
    @retry_only_transient
    def drop(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        found = scan_inbox(warehouse.inbox_path, load_profile(warehouse.profile_name))
        with warehouse.connect() as con:
            load_id, is_new = register_load(con, found, context.run_id, warehouse.business_date)
        say(
            "drop",
            f"inbox {found.inbox} (profile {found.profile.profile}): "
            f"{len(found.entity_files)} export file(s), "
            f"{len(found.ignored)} ignored"
            + (f", {len(found.refused)} refused ({_listed(found.refused)})" * bool(found.refused))
            + f"; business date {warehouse.business_date}; "
            + (f"load {load_id}" if is_new else f"nothing new since load {load_id}"),
        )
        return dg.MaterializeResult(
            metadata={
                "load_id": load_id,
                "new_load": is_new,
                "as_of_date": str(warehouse.business_date),
                "files": sorted(p.name for p in found.entity_files.values()),
                "ignored_files": found.ignored,
                "refused_files": found.refused,
                "profile": found.profile.profile,
            }
        )

    return drop


def _listed(refused: dict[str, str]) -> str:
    return "; ".join(f"{name}: {why}" for name, why in refused.items())


def _check_result(entity: Entity, result: FileResult, released: int) -> dg.AssetCheckResult:
    failing = {rule: ids[:MAX_IDS_IN_METADATA] for rule, ids in result.failing_record_ids.items()}
    expectations = [
        {
            "rule": o.rule,
            "expectation": o.expectation,
            "column": o.column,
            "success": o.success,
            "unexpected": o.unexpected_count,
        }
        for o in result.outcomes
    ]
    passed = result.status not in NOT_LOADED and not result.quarantined_by_rule
    passed = passed and not result.flagged_by_rule
    return dg.AssetCheckResult(
        asset_key=raw_key(entity.name),
        check_name=CHECK_NAME,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "file_status": result.status,
            "rows_in": result.rows_in,
            "rows_quarantined": result.rows_quarantined,
            "rows_flagged": result.rows_flagged,
            "rows_released": released,
            "quarantined_by_rule": dg.MetadataValue.json(result.quarantined_by_rule),
            "flagged_by_rule": dg.MetadataValue.json(result.flagged_by_rule),
            "failing_record_ids": dg.MetadataValue.json(failing),
            "expectations": dg.MetadataValue.json(expectations),
            "message": result.message or "",
        },
    )


def build_entity_asset(
    entity: Entity, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    key = raw_key(entity.name)
    deps = [DROP_KEY] + sorted(
        {raw_key(r.entity) for r in entity.references if r.entity != entity.name},
        key=lambda k: k.to_user_string(),
    )

    @dg.asset(
        key=key,
        deps=deps,
        group_name="ingest",
        partitions_def=partitions_def,
        kinds={"duckdb", "polars"},
        description=f"raw.{entity.name}: {entity.description} Append-only versions; "
        "rejected rows go to meta.quarantine with their reasons.",
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                description=f"Great Expectations suite expectations/{entity.name}.json "
                "plus reference checks; fails (warn) when rows were quarantined or flagged.",
            )
        ],
    )
    @retry_only_transient
    def _entity_asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        started = time.perf_counter()
        timezone = warehouse.settings.business_timezone
        now = datetime.now(UTC)
        profile = load_profile(warehouse.profile_name)
        path = scan_inbox(warehouse.inbox_path, profile).entity_files.get(entity.name)
        with warehouse.connect() as con:
            load_id = current_load_id(con, context.run_id)
            if path is None:
                result = FileResult(entity=entity.name, file_name=None, status="absent")
            else:
                result = ingest_file(
                    con,
                    entity,
                    path,
                    load_id=load_id,
                    run_id=context.run_id,
                    timezone=timezone,
                    now=now,
                    profile=profile,
                    batch_rows=warehouse.settings.ingest_batch_rows,
                )
            released = release_parked(con, entity, load_id=load_id, timezone=timezone, now=now)
            record_released(con, context.run_id, entity.name, released)
        seconds = time.perf_counter() - started
        if result.status == "loaded":
            line = (
                f"{result.file_name}: {result.rows_in:,} rows in, {result.rows_loaded:,} loaded "
                f"({result.rows_unchanged:,} unchanged), {result.rows_quarantined:,} quarantined, "
                f"{result.rows_flagged:,} flagged"
            )
        elif result.status == "absent":
            line = "no file in this drop"
        else:
            line = f"{path.name}: {result.status}: {result.message}"
            if result.status in NOT_LOADED and result.rows_in:
                line += f" ({result.rows_in:,} row(s) refused)"
        if released:
            line += f"; {released} parked row(s) released"
        say(f"ingest {entity.name}", f"{line} ({seconds:.1f}s)")
        run_log.emit(
            "warning" if result.status in NOT_LOADED else "info",
            f"ingest {entity.name}",
            "entity_loaded",
            entity=entity.name,
            file=result.file_name,
            status=result.status,
            rows_in=result.rows_in,
            rows_loaded=result.rows_loaded,
            rows_quarantined=result.rows_quarantined,
            rows_flagged=result.rows_flagged,
            rows_released=released,
            seconds=round(seconds, 2),
        )
        if result.new_extra_columns:
            # Reported the first night a column appears, not every night (meta.schema_drift).
            context.log.warning(
                f"{result.file_name}: new column(s) the profile does not map, kept in "
                f"raw.{entity.name}._extra: " + ", ".join(result.new_extra_columns)
            )
            say(
                f"ingest {entity.name}",
                "new unmapped column(s) kept in _extra: " + ", ".join(result.new_extra_columns),
            )
        if result.rows_deleted:
            say(
                f"ingest {entity.name}",
                f"full export: {result.rows_deleted:,} record(s) no longer exported, "
                "marked deleted",
            )
        return dg.MaterializeResult(
            metadata={
                "file": result.file_name or "",
                "status": result.status,
                "rows_in": result.rows_in,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "rows_unchanged": result.rows_unchanged,
                "rows_released": released,
                "rows_deleted": result.rows_deleted,
                "profile": result.profile or "",
                "extra_columns": json.dumps(result.extra_columns),
                "new_extra_columns": json.dumps(result.new_extra_columns),
                "read_notes": dg.MetadataValue.json(result.read_notes),
            },
            check_results=[_check_result(entity, result, released)],
        )

    return _entity_asset


def build_ingest_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The drop asset and one asset per contract entity, partitioned by business date."""
    return [build_drop_asset(partitions_def)] + [
        build_entity_asset(e, partitions_def) for e in ENTITIES
    ]
