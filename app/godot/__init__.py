"""The Godot 4 runtime: pinned Debian packages, their fetcher, and the locator that picks a Godot.

Godot 4 is not packaged for the Debian release this app targets, so the runtime is a
set of packages from Debian's unstable suite pinned in ``vendor/godot/godot.lock``,
unpacked into a private folder and started through that folder's own loader. No Qt.
"""

from __future__ import annotations

from app.godot.locator import GodotRuntime, locate_godot
from app.godot.version import MIN_GODOT_VERSION, GodotVersion

__all__ = ["MIN_GODOT_VERSION", "GodotRuntime", "GodotVersion", "locate_godot"]
