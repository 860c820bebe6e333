"""Errors the pipeline raises for people to act on: what went wrong, and the fix.

Failures are either *transient* (another run holds the warehouse, a file is briefly busy, a
DuckDB lock or I/O hiccup): trying again later may succeed, so the nightly job retries the
step with backoff; or *permanent* (bad data, a wrong setting, a full disk, a bug): someone
must fix something, so the step fails at once. :func:`is_transient` decides;
:func:`retry_only_transient` applies the decision to a Dagster step.
"""

from __future__ import annotations

import errno
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pipelines.core import refusals

F = TypeVar("F", bound=Callable[..., Any])

#: OSError numbers worth another try: the resource is busy or the call was cut short.
TRANSIENT_ERRNOS = frozenset(
    {errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.EDEADLK}
)

#: DuckDB I/O errors that no retry can cure (matched in the lower-cased message).
PERMANENT_DUCKDB_IO = (
    "no space left",
    "disk quota",
    "permission denied",
    "read-only file system",
    "no such file",
    "not a valid duckdb database",
    "created with an older version",
    "created with a newer version",
)


class SalesOpsError(Exception):
    """A failure a user can fix. ``str()`` gives the problem and the fix."""

    #: True when the same run may succeed if simply tried again later.
    transient = False

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}\n  Fix: {self.fix}"


class FileRejected(SalesOpsError):
    """An export file that is not loaded at all; nothing from it is loaded.

    ``reason`` is its code in :data:`pipelines.core.refusals.CATALOGUE`, which also says
    whether the file was *refused* (never read: over a limit) or *rejected* (read, unusable).
    ``rows`` is how many data rows it holds, when they could be counted cheaply and safely;
    ``size`` its size in bytes, for a file refused for its size.
    """

    def __init__(
        self,
        file_name: str,
        problem: str,
        fix: str,
        *,
        reason: str,
        rows: int | None = None,
        size: int | None = None,
    ):
        super().__init__(f"{file_name}: {problem}", fix)
        self.file_name = file_name
        self.reason = reason
        self.rows = rows
        self.size = size

    @property
    def status(self) -> str:
        """``refused`` or ``rejected`` (the file's status in ``meta.load_files``)."""
        return refusals.status_of(self.reason)


class WarehouseBusy(SalesOpsError):
    """Another run holds the warehouse lock (transient: the nightly job retries)."""

    transient = True


class HomeNotUsable(SalesOpsError):
    """The home folder cannot be created or written, or its disk is too full for a run."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may go away by itself, so that retrying the step makes sense.

    Transient: :class:`WarehouseBusy` (and any ``SalesOpsError`` marked ``transient``), an
    ``OSError`` whose errno is in :data:`TRANSIENT_ERRNOS` (EAGAIN, EBUSY, ...), and DuckDB
    I/O errors (a lock held by another process, a flaky file system) except those in
    :data:`PERMANENT_DUCKDB_IO`. Everything else (bad data, settings, a full disk, a bug)
    is permanent.
    """
    if isinstance(exc, SalesOpsError):
        return exc.transient
    duckdb = sys.modules.get("duckdb")  # a DuckDB error implies duckdb is imported
    if duckdb is not None and isinstance(exc, duckdb.IOException):
        message = str(exc).lower()
        return not any(marker in message for marker in PERMANENT_DUCKDB_IO)
    if isinstance(exc, OSError):
        return exc.errno in TRANSIENT_ERRNOS
    return False


def as_step_failure(exc: Exception) -> BaseException:
    """The exception a Dagster step should raise for ``exc``.

    Transient errors are returned unchanged, so the job's ``RetryPolicy`` retries the step.
    Anything else becomes ``dagster.Failure(allow_retries=False)``, which fails the step at
    once; its description is the problem and fix (``str()`` of a :class:`SalesOpsError`).
    """
    import dagster as dg

    if is_transient(exc) or isinstance(exc, dg.RetryRequested):
        return exc
    if isinstance(exc, dg.Failure):  # e.g. dagster-dbt's failed `dbt build`
        exc.allow_retries = False
        return exc
    if isinstance(exc, dg.DagsterError):  # Dagster's own errors are never retried anyway
        return exc
    if isinstance(exc, SalesOpsError):
        description = str(exc)
        metadata = {"problem": exc.problem, "fix": exc.fix}
    else:
        description = f"{type(exc).__name__}: {exc}"
        metadata = {"error": type(exc).__name__}
    failure = dg.Failure(description=description, metadata=metadata, allow_retries=False)
    failure.__cause__ = exc
    return failure


@contextmanager
def step_errors() -> Iterator[None]:
    """Inside a Dagster step: let transient errors through, fail at once on any other."""
    try:
        yield
    except Exception as exc:
        raised = as_step_failure(exc)
        if raised is exc:
            raise
        raise raised from exc


def retry_only_transient(fn: F) -> F:
    """Decorate an asset's function (plain or generator) with :func:`step_errors`.

    Put it *under* ``@dg.asset`` / ``@dbt_assets``; the signature Dagster inspects is kept.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            with step_errors():
                return (yield from fn(*args, **kwargs))

        return gen_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with step_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
