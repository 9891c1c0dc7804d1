"""Pick the shortcut backends to try for this platform and session, and say why.

The reason is shown to the user (devtools page, ``shortcuts check``), so it names
the evidence: the platform, DISPLAY / WAYLAND_DISPLAY, or an explicit preference.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Final

from app.shortcuts.backends.base import Backend
from app.shortcuts.backends.inapp import InAppBackend
from app.shortcuts.backends.keyboard_backend import KeyboardBackend
from app.shortcuts.backends.portal import PortalBackend
from app.shortcuts.backends.x11 import X11Backend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Reason

__all__ = ["BACKEND_ENV", "PREFERENCES", "candidates", "open_service"]

#: Environment variable that overrides the settings' backend preference.
BACKEND_ENV: Final = "COMPANION_STAGE_SHORTCUTS_BACKEND"
PREFERENCES: Final = ("auto", "x11", "keyboard", "portal", "in-app")


def candidates(preference: str = "auto", *, environ: Mapping[str, str] | None = None,
               platform: str = sys.platform
               ) -> tuple[list[Backend], str, list[tuple[str, Reason, str]]]:
    """Backends to try in order, why they were picked, and notes on backends ruled out."""
    env = os.environ if environ is None else environ
    override = env.get(BACKEND_ENV, "").strip()
    if override:
        preference, source = override, f"{BACKEND_ENV}={override}"
    else:
        source = f"settings shortcuts.backend={preference}"
    bus = env.get("DBUS_SESSION_BUS_ADDRESS") or "SESSION"
    if preference != "auto":
        chosen: dict[str, Backend] = {
            "x11": X11Backend(env.get("DISPLAY") or None, platform=platform),
            "keyboard": KeyboardBackend(platform=platform),
            "portal": PortalBackend(bus=bus),
            "in-app": InAppBackend(),
        }
        if preference not in chosen:
            return [], f"unknown backend {preference!r} ({source})", [(
                preference, "unsupported",
                f"Unknown backend {preference!r}; choose one of {', '.join(PREFERENCES)}.")]
        return [chosen[preference]], f"chosen explicitly ({source})", []
    if platform == "win32":
        return [KeyboardBackend(platform=platform)], "Windows: the keyboard package", []
    if platform == "darwin":
        return [KeyboardBackend(platform=platform)], "macOS: the keyboard package", []
    wayland = env.get("WAYLAND_DISPLAY") or (env.get("XDG_SESSION_TYPE") == "wayland")
    if wayland:
        return ([PortalBackend(bus=bus), KeyboardBackend(platform=platform)],
                f"Wayland session (WAYLAND_DISPLAY={env.get('WAYLAND_DISPLAY', '')}): apps cannot "
                "grab keys, so the desktop portal's GlobalShortcuts is asked", [])
    if env.get("DISPLAY"):
        return ([X11Backend(env["DISPLAY"], platform=platform)],
                f"X11 session (DISPLAY={env['DISPLAY']}): native key grabs on the root window", [])
    return ([KeyboardBackend(platform=platform)],
            "no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)",
            [("x11", "unsupported", "DISPLAY is not set.")])


def open_service(preference: str = "auto", *, allow_in_app: bool = True,
                 environ: Mapping[str, str] | None = None,
                 platform: str = sys.platform) -> ShortcutService:
    """A service on the first backend that works; in-app as the last resort when allowed."""
    backends, why, notes = candidates(preference, environ=environ, platform=platform)
    if allow_in_app and not any(b.scope == "in-app" for b in backends):
        backends.append(InAppBackend())
    return ShortcutService(backends, why=why, notes=notes)
