"""Real nightly runs shared between tests, and between the test workers of one session.

A real night (ingest, a dbt build of the whole project, packs, alerts) costs about a minute.
Tests that read the same night share it; tests that change a warehouse copy its home
(`copy_home`). Under pytest-xdist each worker is a process of its own: `shared_once` builds a
night in the session's common temporary folder under a file lock, so the first worker that
needs it builds it and the others wait for it and read the same files.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")

_RESULT = "result.pickle"


def shared_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], T]
) -> T:
    """`build(folder)` once per test session, its files under `folder`; its (picklable)
    result. Under xdist the folder is shared by the workers (the session's base temporary
    folder's parent is common to them); without xdist it is a folder of this session."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp_path_factory.mktemp(name))
    common = tmp_path_factory.getbasetemp().parent
    folder = common / f"shared-{name}"
    with FileLock(str(common / f"shared-{name}.lock")):
        done = folder / _RESULT
        if done.exists():
            return pickle.loads(done.read_bytes())
        if folder.exists():  # a worker that failed half-way: start again
            shutil.rmtree(folder)
        folder.mkdir()
        result = build(folder)
        done.write_bytes(pickle.dumps(result))
        return result


def copy_home(home: Path, to: Path) -> Path:
    """A copy of a night's home to change (a shared night is only ever read)."""
    shutil.copytree(home, to)
    return to
