"""The built-in default avatar: generated VRM files shipped as package data.

The files are the app's first-run avatar and the project's first test fixtures; they are
rebuilt by :mod:`app.avatar.generate` and never edited by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["AVATAR_FILES", "DATA_DIR", "DEFAULT_AVATAR_VERSIONS", "VrmVersion",
           "default_avatar_path"]

VrmVersion = Literal["0.x", "1.0"]

#: Every variant shipped, oldest VRM version first.
DEFAULT_AVATAR_VERSIONS: tuple[VrmVersion, ...] = ("0.x", "1.0")

AVATAR_FILES: dict[VrmVersion, str] = {"0.x": "default_vrm0.vrm", "1.0": "default_vrm1.vrm"}

DATA_DIR = Path(__file__).resolve().parent / "data"


def default_avatar_path(vrm_version: VrmVersion = "1.0") -> Path:
    """Path of the shipped default avatar in the given VRM version."""
    try:
        name = AVATAR_FILES[vrm_version]
    except KeyError:
        raise ValueError(
            f"no built-in avatar for VRM version {vrm_version!r}; "
            f"choose one of {', '.join(DEFAULT_AVATAR_VERSIONS)}") from None
    return DATA_DIR / name
