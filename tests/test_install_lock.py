"""The lock file pins every dependency pyproject.toml declares, at a version it allows."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            name, _, version = spec.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    declared = [*project["dependencies"], *(r for reqs in extras for r in reqs)]
    pins = _locked()
    for text in declared:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run bash scripts/lock.sh"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, outside {req.specifier}: "
            "run bash scripts/lock.sh"
        )


def test_the_installed_packages_are_the_locked_ones() -> None:
    from importlib.metadata import PackageNotFoundError, version

    for name, pinned in _locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError as missing:
            raise AssertionError(
                f"{name} is locked but not installed: run scripts/bootstrap.sh"
            ) from missing
        assert installed == pinned, f"{name} {installed} installed, {pinned} locked"


def test_great_expectations_imports_in_a_plain_python_c_process() -> None:
    # With pyspark installed, great_expectations imports pyspark.sql.connect, which ends a
    # process whose __main__ has no file (python -c, a test worker) with exit code 0 unless
    # connect's own dependencies are installed (the spark extra asks for pyspark[connect]).
    done = subprocess.run(
        [sys.executable, "-c", "import great_expectations; print('imported')"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.strip().endswith("imported"), done.stderr[-2000:]
