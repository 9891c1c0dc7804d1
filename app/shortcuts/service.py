"""The shortcut service: registrations by id, listeners, and one chosen backend.

Everything a caller can get wrong or the system can refuse comes back as a
:class:`Result` with a reason code, never as an exception: bad accelerators,
duplicate ids, combinations already held (by this app or another), and backends
that cannot run. Auto-repeat is filtered here (a second "down" without an "up" is
dropped) so every backend behaves the same.

Two locks: ``_lock`` guards the tables and is all the event path takes; ``_calls``
serialises grabs and releases, which wait on the backend's thread, so a key event
arriving during a registration never waits behind it. Listeners run on the
backend's thread and must return quickly (hand work to another thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from app import log
from app.shortcuts.accelerator import Accelerator, AcceleratorError, parse_accelerator
from app.shortcuts.backends.base import Backend, BindError
from app.shortcuts.types import (
    ActiveBinding,
    BackendInfo,
    Binding,
    Phase,
    Reason,
    Result,
    TriggerEvent,
)

__all__ = ["Listener", "ShortcutService"]

Listener = Callable[[TriggerEvent], None]


class ShortcutService:
    """Opens the first backend of ``candidates`` that works and registers bindings on it."""

    def __init__(self, candidates: Sequence[Backend], *, why: str = "",
                 notes: Sequence[tuple[str, Reason, str]] = ()) -> None:
        self._lock = threading.RLock()
        self._calls = threading.Lock()
        self._active: dict[str, tuple[Binding, Accelerator]] = {}
        self._by_accelerator: dict[Accelerator, str] = {}
        self._pressed: set[str] = set()
        self._listeners: list[Listener] = []
        self._backend: Backend | None = None
        self._failure: tuple[Reason, str] | None = None
        tried = list(notes)
        for backend in candidates:
            try:
                backend.open(self._on_backend_event)
            except BindError as exc:
                tried.append((backend.name, exc.reason, exc.message))
                log.shortcuts.info("backend %s not usable: %s", backend.name, exc.message)
                continue
            self._backend = backend
            break
        if self._backend is None:
            name, reason, message = tried[0] if tried else ("none", "unsupported", "no backend")
            self._failure = (reason, f"No shortcut backend works here. {name}: {message}"
                             + "".join(f" {n}: {m}" for n, _, m in tried[1:]))
            self.info = BackendInfo("none", None, why, tuple(tried))
        else:
            passed = "".join(f" Passed over {n} ({r}): {m}" for n, r, m in tried)
            scope_note = "" if self._backend.scope == "global" else (
                " In-app only: shortcuts work only while a Companion Stage window has focus.")
            self.info = BackendInfo(self._backend.name, self._backend.scope,
                                    f"{why}.{passed}{scope_note}".lstrip("."), tuple(tried))
        log.shortcuts.info("shortcut backend: %s (%s)", self.info.name, self.info.why)

    @property
    def backend(self) -> Backend | None:
        return self._backend

    # --- registrations -----------------------------------------------------------------------
    def register(self, binding: Binding) -> Result:
        def fail(reason: Reason, message: str, accelerator: str | None = None) -> Result:
            log.shortcuts.info("register %s (%s) failed: %s", binding.id, binding.accelerator,
                               reason)
            return Result(False, binding.id, accelerator, reason, message, self.info.name,
                          self.info.scope)

        if not binding.id.strip():
            return fail("invalid", "A binding needs a non-empty id.")
        try:
            accelerator = parse_accelerator(binding.accelerator)
        except AcceleratorError as exc:
            return fail("invalid", exc.message)
        canonical = str(accelerator)
        with self._calls:
            with self._lock:
                if binding.id in self._active:
                    held = self._active[binding.id][1]
                    return fail("duplicate-id", f"The id {binding.id!r} is already registered "
                                f"(for {held}); unregister it first or pick another id.", canonical)
                owner = self._by_accelerator.get(accelerator)
                if owner is not None:
                    return fail("conflict", f"{canonical} is already bound by this app under "
                                f"the id {owner!r}.", canonical)
                backend = self._backend
                if backend is None:
                    assert self._failure is not None
                    return fail(self._failure[0], self._failure[1], canonical)
            try:
                backend.grab(accelerator)  # outside _lock: it waits on the backend's thread
            except BindError as exc:
                return fail(exc.reason, exc.message, canonical)
            except Exception as exc:  # a library's bare error must not reach callers
                log.shortcuts.exception("backend %s failed to grab %s", self.info.name, canonical)
                return fail("backend-unavailable",
                            f"The {self.info.name} backend failed: {type(exc).__name__}: {exc}",
                            canonical)
            with self._lock:
                self._active[binding.id] = (binding, accelerator)
                self._by_accelerator[accelerator] = binding.id
        scope = backend.scope
        message = f"{canonical} is bound" + (
            " system-wide." if scope == "global" else
            " in-app only: it works only while a Companion Stage window has focus.")
        log.shortcuts.info("registered %s as %s (%s)", binding.id, canonical, self.info.name)
        return Result(True, binding.id, canonical, None, message, self.info.name, scope)

    def unregister(self, binding_id: str) -> bool:
        """Release one binding; False when the id was not registered."""
        with self._calls:
            with self._lock:
                entry = self._active.pop(binding_id, None)
                if entry is None:
                    return False
                self._by_accelerator.pop(entry[1], None)
                self._pressed.discard(binding_id)
            if self._backend is not None:
                self._backend.ungrab(entry[1])  # outside _lock, like grab
        log.shortcuts.info("unregistered %s", binding_id)
        return True

    def unregister_all(self) -> None:
        with self._lock:
            ids = list(self._active)
        for binding_id in ids:
            self.unregister(binding_id)

    def list(self) -> list[ActiveBinding]:
        with self._lock:
            scope = self._backend.scope if self._backend is not None else "in-app"
            return [ActiveBinding(b, str(a), scope) for b, a in self._active.values()]

    def close(self) -> None:
        self.unregister_all()
        if self._backend is not None:
            self._backend.close()

    # --- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (on the backend's thread) for each trigger; returns an unsubscriber."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _on_backend_event(self, accelerator: Accelerator, phase: Phase, t: float) -> None:
        with self._lock:
            binding_id = self._by_accelerator.get(accelerator)
            if binding_id is None:
                return
            binding = self._active[binding_id][0]
            if phase == "down":
                if binding_id in self._pressed:
                    return  # auto-repeat
                self._pressed.add(binding_id)
            else:
                if binding_id not in self._pressed:
                    return
                self._pressed.discard(binding_id)
                if not binding.receive_key_ups:
                    return
            listeners = list(self._listeners)
        event = TriggerEvent(binding_id, phase, t)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.shortcuts.exception("shortcut listener failed on %s", event)
