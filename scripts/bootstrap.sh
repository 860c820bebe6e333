#!/usr/bin/env bash
# Installs everything the project needs into ./.venv (idempotent; fast when nothing changed).
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "error: Python 3.11+ is required (found: $("$PY" --version 2>&1))." >&2
  echo "  Fix: install Python 3.11 or newer, or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment in .venv"
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.salesops-installed"
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing the project and its dependencies (first time takes a few minutes)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]"
  echo "$want" > "$stamp"
fi

export PATH="$VENV/bin:$PATH"
export DAGSTER_DISABLE_TELEMETRY=1
export DO_NOT_TRACK=1
