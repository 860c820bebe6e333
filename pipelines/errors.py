"""Errors the pipeline raises for people to act on: what went wrong, and the fix."""

from __future__ import annotations


class SalesOpsError(Exception):
    """A failure a user can fix. ``str()`` gives the problem and the fix."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}\n  Fix: {self.fix}"


class FileRejected(SalesOpsError):
    """An export file that cannot be read at all; nothing from it is loaded."""

    def __init__(self, file_name: str, problem: str, fix: str):
        super().__init__(f"{file_name}: {problem}", fix)
        self.file_name = file_name


class WarehouseBusy(SalesOpsError):
    """Another run holds the warehouse lock."""
