"""Global shortcuts through the ``keyboard`` package: Windows, macOS, and Linux with /dev/input.

The package reports its failures in unhelpful ways (a bare ``AssertionError`` when
Linux has no input devices, ``ImportError`` when not root); this module is the
boundary that turns each into a reason the user can act on.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Final

from app.muted_warnings import muted_warnings
from app.shortcuts.accelerator import Accelerator
from app.shortcuts.backends.base import BindError, EventSink
from app.shortcuts.types import Scope

__all__ = ["KEYBOARD_NAMES", "KeyboardBackend", "input_devices_cause"]


def _names() -> dict[str, str]:
    table = {chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
    table.update({str(d): str(d) for d in range(10)})
    table.update({f"F{n}": f"f{n}" for n in range(1, 25)})
    table.update({
        "ArrowUp": "up", "ArrowDown": "down", "ArrowLeft": "left", "ArrowRight": "right",
        "Space": "space", "Enter": "enter", "Escape": "esc", "Tab": "tab",
        "Backspace": "backspace", "Delete": "delete", "Insert": "insert", "Home": "home",
        "End": "end", "PageUp": "page up", "PageDown": "page down", "Minus": "-", "Equal": "=",
        "BracketLeft": "[", "BracketRight": "]", "Backslash": "\\", "Semicolon": ";",
        "Quote": "'", "Backquote": "`", "Comma": ",", "Period": ".", "Slash": "/",
        "CapsLock": "caps lock", "NumLock": "num lock", "ScrollLock": "scroll lock",
        "PrintScreen": "print screen", "Pause": "pause", "AudioVolumeUp": "volume up",
        "AudioVolumeDown": "volume down", "AudioVolumeMute": "volume mute",
        "MediaTrackNext": "next track", "MediaTrackPrevious": "previous track",
        "MediaStop": "stop media", "MediaPlayPause": "play/pause media", "ContextMenu": "menu",
    })
    return table


#: Canonical key name -> the keyboard package's key name (numpad keys have none).
KEYBOARD_NAMES: Final = _names()
#: What the package warns (once, on first use) when Linux has no /dev/uinput to send keys with.
_NO_UINPUT: Final = "Failed to create a device file using `uinput` module"
_MODIFIER_NAMES: Final = {"Ctrl": "ctrl", "Alt": "alt", "Shift": "shift", "Super": "windows"}


def _event_devices(root: Path) -> list[Path] | None:
    """The event device files under ``root``; None when ``root`` cannot be listed."""
    try:
        return sorted(root.glob("event*")) if root.is_dir() else []
    except OSError:
        return None


def input_devices_cause(root: Path = Path("/dev/input")) -> str:
    """Why the keyboard package finds no keyboard on Linux, in words."""
    events = _event_devices(root)
    if events is None:
        return f"no readable /dev/input devices ({root} cannot be listed by this user)"
    if not root.is_dir():
        return f"no readable /dev/input devices ({root} does not exist, e.g. in a container)"
    if not events:
        return f"no readable /dev/input devices ({root} has no event devices)"
    readable = [p for p in events if os.access(p, os.R_OK)]
    if not readable:
        return f"no readable /dev/input devices ({len(events)} found, none readable by this user)"
    return (f"the keyboard package found no keyboard among {len(readable)} readable /dev/input "
            "devices")


class KeyboardBackend:
    name = "keyboard"
    scope: Scope = "global"

    def __init__(self, *, platform: str = sys.platform,
                 input_dir: Path = Path("/dev/input")) -> None:
        self._platform = platform
        self._input_dir = input_dir
        self._module: Any = None
        self._sink: EventSink | None = None
        self._handles: dict[Accelerator, tuple[Any, Any]] = {}

    def open(self, sink: EventSink) -> None:
        self._sink = sink
        self._module = self._guarded(self._import_and_probe)

    def _import_and_probe(self) -> Any:
        import keyboard

        def ignore(_event: object) -> None:
            return None

        keyboard.hook(ignore)
        keyboard.unhook(ignore)
        return keyboard

    def grab(self, accelerator: Accelerator) -> None:
        key = KEYBOARD_NAMES.get(accelerator.key)
        if key is None:
            raise BindError(f"The keyboard package cannot bind {accelerator.key}.",
                            reason="unsupported")
        mods = [_MODIFIER_NAMES[m] for m in ("Ctrl", "Alt", "Shift", "Super")
                if m in accelerator.physical_modifiers(self._platform)]
        if self._platform == "darwin":
            mods = ["command" if m == "windows" else m for m in mods]
        combo = "+".join([*mods, key])
        sink = self._sink
        assert sink is not None

        def add() -> tuple[Any, Any]:
            add_hotkey = self._module.add_hotkey
            down = add_hotkey(combo, lambda: sink(accelerator, "down", time.perf_counter()))
            up = add_hotkey(combo, lambda: sink(accelerator, "up", time.perf_counter()),
                            trigger_on_release=True)
            return down, up

        self._handles[accelerator] = self._guarded(add)

    def ungrab(self, accelerator: Accelerator) -> None:
        handles = self._handles.pop(accelerator, None)
        for handle in handles or ():
            with contextlib.suppress(KeyError, ValueError):
                self._module.remove_hotkey(handle)

    def close(self) -> None:
        for accelerator in list(self._handles):
            self.ungrab(accelerator)

    def _guarded(self, action: Any) -> Any:
        """Run a call into the package, translating its errors into reasons."""
        try:
            with muted_warnings(UserWarning, _NO_UINPUT):  # it still works without uinput
                return action()
        except AssertionError as exc:  # raised bare when Linux has no input devices
            cause = input_devices_cause(self._input_dir)
            raise BindError(f"The keyboard package cannot run: {cause}.",
                            reason="backend-unavailable") from exc
        except ImportError as exc:
            if "root" in str(exc) and _event_devices(self._input_dir) == []:
                raise BindError("The keyboard package cannot run: "
                                f"{input_devices_cause(self._input_dir)}.",
                                reason="backend-unavailable") from exc
            if "root" in str(exc):
                raise BindError("The keyboard package needs root on Linux to read /dev/input "
                                f"({exc}).", reason="denied") from exc
            raise BindError(f"The keyboard package is not available: {exc}.",
                            reason="backend-unavailable") from exc
        except PermissionError as exc:
            raise BindError(f"Permission denied to the keyboard package: {exc}. On macOS allow "
                            "Companion Stage under Privacy > Accessibility.",
                            reason="denied") from exc
        except ValueError as exc:
            raise BindError(f"The keyboard package refused the combination: {exc}.",
                            reason="unsupported") from exc
        except OSError as exc:
            raise BindError(f"The keyboard package failed: {exc}.",
                            reason="backend-unavailable") from exc
