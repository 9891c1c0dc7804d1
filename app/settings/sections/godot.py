"""Which Godot runs the stage: its own section, because the runtime is shared by the
stage, the VRM probe and the renderers, not a detail of the stage window."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["GodotSettings"]


@dataclass
class GodotSettings:
    path: str = setting(
        "",
        doc="Godot 4 executable (a path, or a name on PATH); empty means find one "
            "automatically.",
    )
