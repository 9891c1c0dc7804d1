#!/usr/bin/env bash
# Set up (first time only) and run every benchmark; each prints its figures and targets.
# Benchmarks are not tests: run them on a quiet machine. Pass names to run a subset:
#   ./scripts/bench.sh stage speech
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(models_import stage vrm shortcuts speech)
for name in "${names[@]}"; do
    file="bench/${name}.py"
    [ -f "$file" ] || file="bench/${name}_bench.py"
    if [ ! -f "$file" ]; then
        echo "no benchmark called $name" >&2
        exit 2
    fi
    echo "=== $file"
    "$ROOT/.venv/bin/python" "$file"
done
