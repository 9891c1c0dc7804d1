"""Where the shell's shipped files (the app icon) are, whether installed or run from a clone."""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["ICON_NAME", "icon_path"]

ICON_NAME: Final = "companion-stage"
_ASSETS: Final = Path(__file__).resolve().parent / "assets"


def icon_path() -> Path:
    """The scalable app icon (package data under app/ui/assets)."""
    return _ASSETS / f"{ICON_NAME}.svg"
