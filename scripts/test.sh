#!/usr/bin/env bash
# Lint and test everything (what CI runs).
set -euo pipefail
SCRIPT_START=$(date +%s)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
if ! command -v chromium >/dev/null 2>&1; then
  # The Dagster UI test renders the asset graph in Debian's headless Chromium.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package) for the UI test"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the UI test needs Chromium. Fix: install Debian's 'chromium' package" >&2
    exit 1
  fi
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  # tests/ops/test_postgres_storage.py starts a PostgreSQL server for Dagster's storage.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing postgresql (Debian package) for the Dagster storage test"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "error: the Dagster storage test needs PostgreSQL's server." \
      "Fix: install Debian's 'postgresql' package" >&2
    exit 1
  fi
fi
if ! command -v java >/dev/null 2>&1; then
  # tests/transform/test_spark_*.py build the dbt project on a real Spark session (Java 17).
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing openjdk-17-jre-headless (Debian package) for the Spark tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "error: the Spark tests need Java 17." \
      "Fix: install Debian's 'openjdk-17-jre-headless' package" >&2
    exit 1
  fi
fi
echo "==> ruff"
ruff check .
ruff format --check .
echo "==> import-linter (layer contracts, .importlinter)"
lint-imports --no-cache
echo "==> sqlfluff (dbt models)"
sqlfluff lint dbt_project/models --processes 2
echo "==> dbt parse (once, before the test workers share the project)"
dbt parse --project-dir dbt_project --profiles-dir dbt_project --quiet
echo "==> pytest"
# Two workers (SALESOPS_TEST_WORKERS); each test file runs whole on one worker, so module
# fixtures (a real nightly run, a dbt build) are built once.
# --durations: the slowest tests are printed at the end, to keep the CI time in view.
# The wall times of the test step and of the whole script are printed last, pass or fail.
PYTEST_START=$(date +%s)
status=0
pytest -q -n "${SALESOPS_TEST_WORKERS:-2}" --dist loadfile --durations=25 "$@" || status=$?
now=$(date +%s)
echo "==> pytest took $((now - PYTEST_START))s (exit code $status)"
echo "==> scripts/test.sh took $((now - SCRIPT_START))s"
exit "$status"
