"""What every backend offers the service, and the one error a backend may raise.

Backends only grab and release key combinations and report presses; ids,
duplicates, auto-repeat and listeners are the service's job, so each backend
stays small and every backend behaves the same to callers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from app.errors import ShortcutError
from app.shortcuts.accelerator import Accelerator
from app.shortcuts.types import Phase, Reason, Scope

__all__ = ["Backend", "BindError", "EventSink"]

#: Called from the backend's own thread: (accelerator, phase, time.perf_counter()).
EventSink = Callable[[Accelerator, Phase, float], None]


class BindError(ShortcutError):
    """A backend could not start or grab; ``reason`` is one of the service's reasons."""

    reason: Reason

    def __init__(self, message: str, *, reason: Reason) -> None:
        super().__init__(message, reason=reason)


class Backend(Protocol):
    name: str
    scope: Scope

    def open(self, sink: EventSink) -> None:
        """Connect and start delivering events to ``sink``; raise :class:`BindError`."""

    def grab(self, accelerator: Accelerator) -> None:
        """Bind the combination; raise :class:`BindError` (conflict, unsupported, ...)."""

    def ungrab(self, accelerator: Accelerator) -> None:
        """Release a combination this backend grabbed; never raises."""

    def close(self) -> None:
        """Release everything and stop the backend's thread; never raises."""
