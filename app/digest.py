"""The sha256 of a file, hex: the one name under which models, the built-in avatar and the
Godot packages are known, so every part hashes the same way (in pieces, flat memory)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_file"]


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
