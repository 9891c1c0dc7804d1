"""Remembering where the user put the stage window, so it opens there next time.

The stage reports its window geometry with ``stage.window`` once a move or resize has
settled; this writes it into ``settings.stage`` (window_x/y/width/height), which the
next launch passes back to Godot as --position/--size.
"""

from __future__ import annotations

from collections.abc import Callable

from app import log
from app.settings import Settings, SettingsStore
from app.settings.sections.stage import StageSettings
from app.stage.bridge import BridgeEvent, Message, StageBridge
from app.stage.protocol import StageWindow

__all__ = ["WindowMemory"]


class WindowMemory:
    """Bridge listener that saves each reported stage window geometry into the settings."""

    def __init__(
        self, store: SettingsStore, on_saved: Callable[[StageSettings], None] | None = None
    ) -> None:
        self.store = store
        #: Told the saved stage settings, so the next launch (a restart) opens there too.
        self._on_saved = on_saved

    def attach(self, bridge: StageBridge) -> WindowMemory:
        bridge.add_listener(self._on_event)
        return self

    def _on_event(self, event: BridgeEvent) -> None:
        if not isinstance(event, Message) or not isinstance(event.envelope.payload, StageWindow):
            return
        window = event.envelope.payload

        def remember(settings: Settings) -> None:
            settings.stage.window_x = max(window.x, 0)
            settings.stage.window_y = max(window.y, 0)
            settings.stage.window_width = window.width
            settings.stage.window_height = window.height

        try:
            saved = self.store.update(remember)
        except Exception:
            log.stage.exception("could not save the stage window position")
        else:
            if self._on_saved is not None:
                self._on_saved(saved.stage)
            log.stage.info(
                "stage window now at %d,%d size %dx%d",
                window.x,
                window.y,
                window.width,
                window.height,
            )
