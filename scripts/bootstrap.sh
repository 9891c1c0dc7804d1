#!/usr/bin/env bash
# Idempotent set-up shared by run.sh, test.sh and bench.sh: system packages, .venv, the project.
# Usage: scripts/bootstrap.sh run|test   (test adds the packages the test suite needs)
# A second run only checks: it installs nothing that is already there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PURPOSE=${1:-run}

say() { printf '\033[1m[companion-stage]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- system packages -------------------------------------------------------------------------
RUN_PACKAGES=(
    python3 python3-venv python3-pip
    libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
    libxcb-render-util0 libxcb-image0 libxcb-xkb1 libpulse0
    espeak-ng apt-utils ca-certificates debian-archive-keyring binutils xz-utils zstd
)
TEST_PACKAGES=(xvfb xdotool x11-utils jwm sox dbus-daemon pulseaudio pulseaudio-utils postgresql)

wanted=("${RUN_PACKAGES[@]}")
[ "$PURPOSE" = test ] && wanted+=("${TEST_PACKAGES[@]}")

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python environment ----------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "Python 3.11 or newer is needed; $("$PYTHON" --version 2>&1) was found."
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

extras="test"
stamp="$VENV/.installed-$PURPOSE"
fingerprint=$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
    say "installing Companion Stage and its dependencies into .venv"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]"
    echo "$fingerprint" > "$stamp"
fi

# --- Godot runtime (pinned in vendor/godot/godot.lock; a quick no-op when already fetched) ---
"$VENV/bin/companion-stage-cli" godot fetch --render
