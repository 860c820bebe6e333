"""The Dagster code location (workspace.yaml, ``dagster dev``): the project's one Definitions.

Assembled in :mod:`pipelines.ops.definitions` from each area's ``defs`` module.
"""

from pipelines.ops.definitions import defs

__all__ = ["defs"]
