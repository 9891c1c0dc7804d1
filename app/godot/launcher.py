"""The shell script that starts the unpacked Godot through the runtime's own loader.

The runtime's libraries need a newer C library than the host's, so the host loader
cannot start it; the runtime's ``ld-linux`` can, given the runtime's library folders.
The script finds its folder at run time, so the runtime can be moved as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from app.atomic import atomic_write_text

__all__ = ["LAUNCHER_NAME", "launcher_script", "write_launcher"]

LAUNCHER_NAME: Final = "godot"


def launcher_script(multiarch: str = "x86_64-linux-gnu",
                    loader: str = "ld-linux-x86-64.so.2") -> str:
    return f"""#!/bin/sh
# Starts the Godot 4 runtime unpacked beside this script through the runtime's own
# loader (its libraries need a newer libc than the host's). Written by
# `companion-stage godot fetch`; see docs/godot-runtime.md.
SELF=$(readlink -f -- "$0" 2>/dev/null || echo "$0")  # also when started through a symlink
ROOT=$(CDPATH= cd -- "$(dirname -- "$SELF")" && pwd)
LIB="$ROOT/usr/lib/{multiarch}"
if [ -d "$LIB/dri" ]; then
    # the runtime's own Mesa: its GL drivers and its EGL vendor file
    LIBGL_DRIVERS_PATH="$LIB/dri"; export LIBGL_DRIVERS_PATH
    __EGL_VENDOR_LIBRARY_DIRS="$ROOT/usr/share/glvnd/egl_vendor.d"; export __EGL_VENDOR_LIBRARY_DIRS
fi
# Godot, Mesa and PulseAudio write below these; keep them out of $HOME unless told.
: "${{XDG_DATA_HOME:=$ROOT/home/data}}"
: "${{XDG_CACHE_HOME:=$ROOT/home/cache}}"
: "${{XDG_CONFIG_HOME:=$ROOT/home/config}}"
export XDG_DATA_HOME XDG_CACHE_HOME XDG_CONFIG_HOME
exec "$LIB/{loader}" --library-path "$LIB:$LIB/pulseaudio" "$ROOT/usr/bin/godot" "$@"
"""


def write_launcher(root: Path) -> Path:
    path = root / LAUNCHER_NAME
    atomic_write_text(path, launcher_script())
    os.chmod(path, 0o755)
    return path
