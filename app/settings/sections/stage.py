"""Settings of the Godot stage sidecar and its companion window."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["StageSettings"]


@dataclass
class StageSettings:
    remote_debug: str = setting(
        "", doc="Godot remote debugger address (tcp://host:port); empty is off."
    )
    ready_timeout_s: float = setting(
        20.0,
        doc="Seconds Godot may take to say stage.ready before it is stopped with an error.",
    )
    borderless: bool = setting(True, doc="Stage window without frame.")
    transparent: bool = setting(True, doc="Stage window with a transparent background.")
    always_on_top: bool = setting(True, doc="Keep the stage window above other windows.")
    window_x: int = setting(-1, doc="Stage window left edge in pixels; -1 lets Godot place it.")
    window_y: int = setting(-1, doc="Stage window top edge in pixels; -1 lets Godot place it.")
    window_width: int = setting(480, doc="Stage window width in pixels.")
    window_height: int = setting(720, doc="Stage window height in pixels.")
