"""Work out which packages make up the runtime, for a new or refreshed lock.

apt resolves from an empty dpkg status, so the set holds everything Godot needs down
to the C library (it runs through its own loader, whatever the host has installed).
The simulation is intersected with the Depends closure, as a guard against apt
choosing anything that Godot does not actually depend on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Final

from app.errors import GodotRuntimeError
from app.godot.apt import AptRecord, PrivateApt
from app.godot.lock import GodotLock, LockedPackage

__all__ = ["HEADLESS_ROOTS", "RENDER_ROOTS", "resolve_lock"]

HEADLESS_ROOTS: Final = ("godot",)
#: Mesa's OpenGL/EGL drivers and the glvnd dispatchers Godot's opengl3 renderer opens.
RENDER_ROOTS: Final = ("libgl1-mesa-dri", "libegl-mesa0", "libglx-mesa0", "libgl1", "libegl1")


def _pick(apt: PrivateApt, roots: Sequence[str]) -> dict[str, str]:
    installs = dict(apt.simulate_install(roots))
    closure = apt.depends_closure(roots)
    return {name: version for name, version in installs.items() if name in closure}


def _locked(records: dict[tuple[str, str], AptRecord], name: str, version: str) -> LockedPackage:
    record = records.get((name, version))
    if record is None:
        raise GodotRuntimeError(f"apt chose {name} {version} but the index has no such record",
                                reason="resolve-failed")
    return LockedPackage(name=record.name, version=record.version, arch=record.arch,
                         filename=record.filename, size=record.size, sha256=record.sha256)


def resolve_lock(apt: PrivateApt, *, headless_roots: Sequence[str] = HEADLESS_ROOTS,
                 render_roots: Sequence[str] = RENDER_ROOTS) -> GodotLock:
    """A lock of the suite's current candidates (apt.update() must have run)."""
    headless = _pick(apt, headless_roots)
    everything = _pick(apt, [*headless_roots, *render_roots])
    if "godot" not in headless:
        raise GodotRuntimeError(f"The {apt.suite} suite offers no installable godot package.",
                                reason="resolve-failed")
    render = {n: v for n, v in everything.items() if n not in headless}
    records = {(r.name, r.version): r for r in apt.show(everything)}
    return GodotLock(
        suite=apt.suite,
        arch=apt.arch,
        roots={"headless": list(headless_roots), "render": list(render_roots)},
        packages={
            "headless": [_locked(records, n, v) for n, v in sorted(headless.items())],
            "render": [_locked(records, n, v) for n, v in sorted(render.items())],
        },
        godot_version=headless["godot"],
        generated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
