#!/usr/bin/env bash
# Set up (first time only) and start Companion Stage in the tray with the built-in avatar.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh" run
exec "$ROOT/.venv/bin/companion-stage" "$@"
