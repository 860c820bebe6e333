"""Hypothesis settings of the property suites.

Locally each run draws new examples (and replays those that failed before, kept in
.hypothesis/). Under CI (the environment variable CI set, as .ci/run does) the examples are
derived from the test's name, so a clean clone's run is repeatable; raise their number with
SALESOPS_PROPERTY_EXAMPLES to search harder.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
