#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite, real Godot and Xvfb included.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
