"""Settings of the VRM model library."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["ModelsSettings"]

GIB = 1024 * 1024 * 1024


@dataclass
class ModelsSettings:
    selected: str = setting(
        "", doc="Id (sha256) of the selected avatar; empty means the built-in default."
    )
    max_import_bytes: int = setting(GIB, doc="Largest .vrm file the library accepts, in bytes.")
