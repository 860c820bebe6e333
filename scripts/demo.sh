#!/usr/bin/env bash
# Set up (first time) and run the nightly job on the bundled demo data.
# Result: .salesops/demo/warehouse.duckdb and a quarterly review pack under .salesops/demo/reports/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
INBOX="$ROOT/.salesops/demo-inbox"
HOME_DIR="$ROOT/.salesops/demo"
AS_OF="2026-09-30"
echo "==> writing the demo drop to $INBOX"
salesops demo-data "$INBOX" --end-date "$AS_OF"
echo "==> running the nightly job (business date $AS_OF)"
salesops run --inbox "$INBOX" --home "$HOME_DIR" --as-of "$AS_OF"
