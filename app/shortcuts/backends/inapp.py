"""The fallback: shortcuts that work only while a window of the app has focus.

Used when no global backend works; the UI feeds it key events from its own windows.
Its scope is ``in-app`` so nobody mistakes it for a global hotkey.
"""

from __future__ import annotations

import threading
import time

from app.shortcuts.accelerator import Accelerator
from app.shortcuts.backends.base import EventSink
from app.shortcuts.types import Phase, Scope

__all__ = ["InAppBackend"]


class InAppBackend:
    name = "in-app"
    scope: Scope = "in-app"

    def __init__(self) -> None:
        self._sink: EventSink | None = None
        self._grabbed: set[Accelerator] = set()
        self._lock = threading.Lock()

    def open(self, sink: EventSink) -> None:
        self._sink = sink

    def grab(self, accelerator: Accelerator) -> None:
        with self._lock:
            self._grabbed.add(accelerator)

    def ungrab(self, accelerator: Accelerator) -> None:
        with self._lock:
            self._grabbed.discard(accelerator)

    def close(self) -> None:
        with self._lock:
            self._grabbed.clear()

    def feed(self, accelerator: Accelerator, phase: Phase) -> bool:
        """A key event from an app window; True when it matched a binding (so the UI eats it)."""
        with self._lock:
            hit = accelerator in self._grabbed
        if hit and self._sink is not None:
            self._sink(accelerator, phase, time.perf_counter())
        return hit
