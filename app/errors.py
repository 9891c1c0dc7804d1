"""The one exception tree of Companion Stage.

Every error the app raises on purpose derives from :class:`CompanionError`, so the
CLI and the UI can show any failure with its reason code and a human message
instead of a traceback. Library errors are wrapped at the boundary that calls
the library.

    CompanionError
    ├── SettingsError          settings file unreadable or invalid
    ├── ModelError             a VRM file failed validation or import (has .reason)
    ├── LibraryError           the model library cannot do what was asked
    ├── GodotRuntimeError      the Godot runtime cannot be fetched or located
    ├── StageError             the sidecar or its bridge failed
    │   └── BridgeError        a frame or envelope was refused
    ├── ShortcutError          a global shortcut could not be parsed or bound
    ├── SpeechError            text-to-speech failed
    └── ServerError            the speech server refused or failed a request
"""

from __future__ import annotations

__all__ = [
    "BridgeError",
    "CompanionError",
    "GodotRuntimeError",
    "LibraryError",
    "ModelError",
    "ServerError",
    "SettingsError",
    "ShortcutError",
    "SpeechError",
    "StageError",
]


class CompanionError(Exception):
    """Root of every deliberate error: carries a stable ``reason`` code and a message.

    ``reason`` is machine-readable (tests, JSON output, analytics); ``message`` is
    what a person reads and should say what to do next.
    """

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class SettingsError(CompanionError):
    reason = "settings"


class ModelError(CompanionError):
    reason = "invalid-model"


class LibraryError(CompanionError):
    reason = "library"


class GodotRuntimeError(CompanionError):
    reason = "godot-runtime"


class StageError(CompanionError):
    reason = "stage"


class BridgeError(StageError):
    reason = "bridge"


class ShortcutError(CompanionError):
    reason = "shortcut"


class SpeechError(CompanionError):
    reason = "speech"


class ServerError(CompanionError):
    reason = "server"
