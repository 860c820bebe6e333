#!/usr/bin/env bash
# Lint and test everything (what CI runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
echo "==> ruff"
ruff check .
ruff format --check .
echo "==> sqlfluff (dbt models)"
sqlfluff lint dbt_project/models --processes 2
echo "==> pytest"
pytest -q "$@"
