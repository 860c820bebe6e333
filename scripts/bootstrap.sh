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

# System packages for the PDF review packs (Debian): Pango (WeasyPrint's layout engine), the
# CJK font embedded in 中文 PDFs, and poppler-utils (pdftoppm / pdffonts / pdftotext, used by
# the tests). Installed with apt-get when missing and running as root; otherwise a clear error.
missing_debs=()
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || missing_debs+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing_debs+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || missing_debs+=(poppler-utils)
if [ "${#missing_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing system packages: ${missing_debs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
  else
    echo "error: missing system packages for the PDF review packs: ${missing_debs[*]}" >&2
    echo "  Fix: sudo apt-get install ${missing_debs[*]}  (Debian/Ubuntu), then re-run this script" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment in .venv"
  "$PY" -m venv "$VENV"
fi

# Every Python package at the exact version requirements.lock pins (scripts/lock.sh writes it
# from pyproject.toml), so a fresh clone installs what CI and every developer ran; then the
# project itself without resolving anything further, and pip check proves the set consistent.
stamp="$VENV/.salesops-installed"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)"
# uv (the resolver scripts/lock.sh writes the lock with) installs the same pinned set several
# times faster than pip, in parallel and from its cache; when uv is not on the PATH it is
# installed into the venv from the package registry (UV_VERSION), and pip is used only if that fails
# (SALESOPS_INSTALLER=pip forces pip).
UV_VERSION=0.13.8
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing the project and its locked dependencies (first time takes a few minutes)"
  uv_bin=""
  if [ "${SALESOPS_INSTALLER:-uv}" = "uv" ]; then
    if command -v uv >/dev/null 2>&1; then
      uv_bin="$(command -v uv)"
    elif "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "uv==$UV_VERSION" >/dev/null 2>&1; then
      # not on the machine: uv itself from the package registry, at a fixed version
      uv_bin="$VENV/bin/uv"
    fi
  fi
  if [ -n "$uv_bin" ]; then
    "$uv_bin" pip install --quiet --python "$VENV/bin/python" -r "$ROOT/requirements.lock"
    "$uv_bin" pip install --quiet --python "$VENV/bin/python" --no-deps -e "$ROOT"
  else
    "$VENV/bin/python" -m pip install --quiet --no-warn-script-location \
      -r "$ROOT/requirements.lock" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    "$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  fi
  "$VENV/bin/python" -m pip check
  echo "$want" > "$stamp"
fi

export PATH="$VENV/bin:$PATH"
export DAGSTER_DISABLE_TELEMETRY=1
export DO_NOT_TRACK=1
