"""Loading an entity's export into ``raw.<entity>``, every row accounted for.

Along the data's path: :mod:`.file` (one file: fingerprint, stream, settle, accounting) →
:mod:`.batch` (each batch typed by :mod:`pipelines.ingest.values`, checked by :mod:`.rows`,
written to the :mod:`.spool`) → :mod:`.settle` (the whole file in SQL, one module per rule
family: :mod:`.identity`, :mod:`.references`; then :mod:`.quarantine`, :mod:`.versions`,
:mod:`.findings`) → on later nights :mod:`.parked` (rows waiting for a reference).
The names below are the package's interface for the Dagster assets and the drop.
"""

from pipelines.ingest.load.file import file_sha256, ingest_file, latest_loaded_file
from pipelines.ingest.load.parked import record_released, release_parked
from pipelines.ingest.load.result import FileResult

__all__ = [
    "FileResult",
    "file_sha256",
    "ingest_file",
    "latest_loaded_file",
    "record_released",
    "release_parked",
]
