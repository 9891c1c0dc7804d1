"""Global shortcuts on X11: passive key grabs on the root window (XGrabKey), no root needed.

One thread owns its own Display connection: it reads key events and also performs
every grab and release (other threads post them and wait), because an Xlib
connection is not shared safely between threads. X reports a combination another
client holds as ``BadAccess``, which becomes ``conflict``. Each combination is also
grabbed with NumLock and CapsLock masks so the lock keys do not break it. Auto-repeat
shows up as a KeyRelease and KeyPress with the same time stamp; such pairs are dropped.
Keys are bound by key symbol, like Electron: when the keyboard layout changes
(MappingNotify) every grab moves to the key that now carries its symbol.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Final

from app import log
from app.shortcuts.accelerator import Accelerator
from app.shortcuts.backends.base import BindError, EventSink
from app.shortcuts.types import Scope

__all__ = ["X11_KEYSYMS", "X11Backend"]


def _keysyms() -> dict[str, str]:
    table = {chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
    table.update({str(d): str(d) for d in range(10)})
    table.update({f"F{n}": f"F{n}" for n in range(1, 25)})
    table.update({f"Numpad{n}": f"KP_{n}" for n in range(10)})
    table.update({
        "ArrowUp": "Up", "ArrowDown": "Down", "ArrowLeft": "Left", "ArrowRight": "Right",
        "Space": "space", "Enter": "Return", "Escape": "Escape", "Tab": "Tab",
        "Backspace": "BackSpace", "Delete": "Delete", "Insert": "Insert", "Home": "Home",
        "End": "End", "PageUp": "Prior", "PageDown": "Next", "Minus": "minus", "Equal": "equal",
        "BracketLeft": "bracketleft", "BracketRight": "bracketright", "Backslash": "backslash",
        "Semicolon": "semicolon", "Quote": "apostrophe", "Backquote": "grave", "Comma": "comma",
        "Period": "period", "Slash": "slash", "CapsLock": "Caps_Lock", "NumLock": "Num_Lock",
        "ScrollLock": "Scroll_Lock", "PrintScreen": "Print", "Pause": "Pause",
        "NumpadAdd": "KP_Add", "NumpadSubtract": "KP_Subtract", "NumpadMultiply": "KP_Multiply",
        "NumpadDivide": "KP_Divide", "NumpadDecimal": "KP_Decimal", "NumpadEnter": "KP_Enter",
        "AudioVolumeUp": "XF86AudioRaiseVolume", "AudioVolumeDown": "XF86AudioLowerVolume",
        "AudioVolumeMute": "XF86AudioMute", "MediaTrackNext": "XF86AudioNext",
        "MediaTrackPrevious": "XF86AudioPrev", "MediaStop": "XF86AudioStop",
        "MediaPlayPause": "XF86AudioPlay", "ContextMenu": "Menu",
    })
    return table


#: Canonical key name -> X keysym name.
X11_KEYSYMS: Final = _keysyms()

_Command = tuple[Callable[[], None], Future[None]]
_MODIFIER_BITS: Final = 0xFF  # Shift, Lock, Control, Mod1..Mod5


class X11Backend:
    name = "x11"
    scope: Scope = "global"

    def __init__(self, display_name: str | None = None, *, platform: str = "linux") -> None:
        self._display_name = display_name
        self._platform = platform
        self._display: Any = None
        self._sink: EventSink | None = None
        self._commands: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._dead: str | None = None
        self._grabs: dict[tuple[int, int], Accelerator] = {}
        self._down: dict[int, Accelerator] = {}
        self._masks: dict[str, int] = {}
        self._lock_masks: tuple[int, ...] = (0,)
        self._ignored = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def open(self, sink: EventSink) -> None:
        from Xlib import XK, display, error

        name = self._display_name or os.environ.get("DISPLAY", "")
        if not name:
            raise BindError("No X display: DISPLAY is not set.", reason="backend-unavailable")
        try:
            self._display = display.Display(name)
        except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
            raise BindError(f"Cannot open X display {name!r}: {exc}",
                            reason="backend-unavailable") from exc
        XK.load_keysym_group("xf86")
        self._sink = sink
        self._read_modifier_map()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="x11-shortcuts", daemon=True)
        self._thread.start()
        log.shortcuts.info("X11 backend on display %s", name)

    def close(self) -> None:
        if self._thread is None:
            return
        if self._thread.is_alive():
            with contextlib.suppress(BindError):
                self._call(self._ungrab_all)
            self._stopping = True
            os.write(self._wake_w, b"x")
            self._thread.join(timeout=5)
        self._thread = None
        with contextlib.suppress(Exception):  # the server may be gone; nothing left to release
            self._display.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # --- grabs (run on the X thread) ---------------------------------------------------------
    def grab(self, accelerator: Accelerator) -> None:
        self._call(lambda: self._grab(accelerator))

    def ungrab(self, accelerator: Accelerator) -> None:
        try:
            self._call(lambda: self._ungrab(accelerator))
        except BindError as exc:
            log.shortcuts.warning("could not release %s: %s", accelerator, exc.message)

    def _grab(self, accelerator: Accelerator) -> None:
        from Xlib import X, error

        keycode, mods = self._resolve(accelerator)
        catcher = error.CatchError(error.BadAccess)
        root = self._display.screen().root
        for extra in self._lock_masks:
            root.grab_key(keycode, mods | extra, True, X.GrabModeAsync, X.GrabModeAsync,
                          onerror=catcher)
        self._display.sync()
        if catcher.get_error() is not None:
            for extra in self._lock_masks:
                root.ungrab_key(keycode, mods | extra)
            self._display.sync()
            raise BindError(f"{accelerator} is already grabbed by another X client "
                            "(X11 does not say which application).", reason="conflict")
        self._grabs[(keycode, mods)] = accelerator

    def _ungrab(self, accelerator: Accelerator) -> None:
        keycode, mods = self._resolve(accelerator)
        root = self._display.screen().root
        for extra in self._lock_masks:
            root.ungrab_key(keycode, mods | extra)
        self._display.sync()
        self._grabs.pop((keycode, mods), None)

    def _remap(self, event: Any) -> None:
        """The layout changed: refresh the caches and move every grab to its symbol's new key."""
        from Xlib import X

        if event.request == X.MappingPointer:
            return
        self._display.refresh_keyboard_mapping(event)
        if event.request == X.MappingModifier:
            self._read_modifier_map()
        old = dict(self._grabs)
        if not old:
            return
        root = self._display.screen().root
        for keycode, mods in old:
            for extra in self._lock_masks:
                root.ungrab_key(keycode, mods | extra)
        self._grabs.clear()
        self._down.clear()
        for accelerator in old.values():
            try:
                self._grab(accelerator)
            except BindError as exc:
                log.shortcuts.error("after a keyboard layout change %s is no longer bound: %s",
                                    accelerator, exc.message)
        log.shortcuts.info("keyboard mapping changed; %d grab(s) renewed", len(self._grabs))

    def _ungrab_all(self) -> None:
        for accelerator in list(self._grabs.values()):
            self._ungrab(accelerator)

    def _resolve(self, accelerator: Accelerator) -> tuple[int, int]:
        from Xlib import XK

        keysym = XK.string_to_keysym(X11_KEYSYMS[accelerator.key])
        keycode = self._display.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            raise BindError(f"The key {accelerator.key} has no key code in this X keyboard map.",
                            reason="unsupported")
        mods = 0
        for modifier in accelerator.physical_modifiers(self._platform):
            mask = self._masks.get(modifier, 0)
            if not mask:
                raise BindError(f"No X modifier is mapped to {modifier} on this display.",
                                reason="unsupported")
            mods |= mask
        return keycode, mods

    def _read_modifier_map(self) -> None:
        from Xlib import XK, X

        wanted = {"Alt_L": "Alt", "Alt_R": "Alt", "Super_L": "Super", "Super_R": "Super",
                  "Num_Lock": "NumLock"}
        found: dict[str, int] = {}
        for index, keycodes in enumerate(self._display.get_modifier_mapping()):
            for keycode in keycodes:
                if not keycode:
                    continue
                for column in range(4):
                    label = wanted.get(XK.keysym_to_string(
                        self._display.keycode_to_keysym(keycode, column)) or "")
                    if label and label not in found:
                        found[label] = 1 << index
        self._masks = {"Ctrl": X.ControlMask, "Shift": X.ShiftMask,
                       "Alt": found.get("Alt", X.Mod1Mask), "Super": found.get("Super", X.Mod4Mask)}
        numlock = found.get("NumLock", X.Mod2Mask)
        self._lock_masks = (0, X.LockMask, numlock, X.LockMask | numlock)
        self._ignored = X.LockMask | numlock

    # --- the X thread ------------------------------------------------------------------------
    def _call(self, command: Callable[[], None]) -> None:
        if self._thread is None or self._dead is not None:
            raise BindError(f"The X11 backend is not running: {self._dead or 'not opened'}.",
                            reason="backend-unavailable")
        if threading.get_ident() == self._thread.ident:
            command()
            return
        done: Future[None] = Future()
        self._commands.put((command, done))
        os.write(self._wake_w, b".")
        try:
            done.result(timeout=10)
        except TimeoutError as exc:  # concurrent.futures.TimeoutError is TimeoutError (3.11)
            raise BindError("The X11 backend's thread did not answer within 10 s.",
                            reason="backend-unavailable") from exc

    def _run(self) -> None:
        from Xlib import error

        try:
            while not self._stopping:
                self._handle_events()
                readable, _, _ = select.select([self._display.fileno(), self._wake_r], [], [])
                if self._wake_r in readable:
                    os.read(self._wake_r, 4096)
                    self._run_commands()
        except (error.ConnectionClosedError, OSError) as exc:
            self._dead = f"the X connection closed ({exc})"
            log.shortcuts.error("X11 backend stopped: %s", self._dead)
            self._run_commands()

    def _run_commands(self) -> None:
        while True:
            try:
                command, done = self._commands.get_nowait()
            except queue.Empty:
                return
            if self._dead is not None:
                done.set_exception(BindError(f"The X11 backend stopped: {self._dead}.",
                                             reason="backend-unavailable"))
                continue
            try:
                command()
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

    def _handle_events(self) -> None:
        from Xlib import X

        batch = []
        while self._display.pending_events():
            batch.append(self._display.next_event())
        now = time.perf_counter()
        skip = False
        for index, event in enumerate(batch):
            if skip:
                skip = False
                continue
            if event.type == X.MappingNotify:
                self._remap(event)
            elif event.type == X.KeyRelease:
                after = batch[index + 1] if index + 1 < len(batch) else None
                if (after is not None and after.type == X.KeyPress
                        and after.detail == event.detail and after.time == event.time):
                    skip = True  # auto-repeat: a release and press at the same instant
                    continue
                accelerator = self._down.pop(event.detail, None)
                if accelerator is not None and self._sink is not None:
                    self._sink(accelerator, "up", now)
            elif event.type == X.KeyPress:
                state = event.state & _MODIFIER_BITS & ~self._ignored
                accelerator = self._grabs.get((event.detail, state))
                if accelerator is not None and self._sink is not None:
                    self._down[event.detail] = accelerator
                    self._sink(accelerator, "down", now)
