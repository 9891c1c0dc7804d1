"""Godot's version string, read well enough to refuse a Godot that is too old.

Godot prints ``4.6.3.stable.debian4.6.3+ds-3`` or ``4.3.stable.official.77dcf97d8``
for ``--version``; only the leading numbers matter for compatibility.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["MIN_GODOT_VERSION", "GodotVersion", "parse_godot_version"]

_VERSION_RE: Final = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?=[.\-+\s]|$)")


@dataclass(frozen=True, order=True)
class GodotVersion:
    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


#: The oldest Godot whose runtime glTF import and WebSocketPeer the stage relies on.
MIN_GODOT_VERSION: Final = GodotVersion(4, 3)


def parse_godot_version(text: str) -> GodotVersion | None:
    """The version in the first line of ``godot --version`` that looks like one, else None."""
    for line in text.splitlines():
        match = _VERSION_RE.match(line)
        if match:
            major, minor, patch = match.groups()
            return GodotVersion(int(major), int(minor), int(patch or 0))
    return None
