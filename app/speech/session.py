"""The TtsSession contract every transport adapter honours.

Text goes in (``append_text`` as it streams, ``append_special``, ``finish_input``),
sentences of audio come out through callbacks in order. The callback guarantees live
here, once, so each adapter only moves data: ``on_done`` fires exactly once (after
``on_error`` too) and never once a cancel has completed; a sentence that arrives
after done or cancel is dropped.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from app import log
from app.errors import CompanionError, SpeechError
from app.speech.audio import Audio

__all__ = ["Sentence", "SessionCallbacks", "SessionState", "TtsSession"]

SessionState = Literal["open", "finishing", "done", "cancelled"]


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    audio: Audio


def _ignore(*_args: object) -> None:
    return None


@dataclass
class SessionCallbacks:
    on_sentence: Callable[[Sentence], None] = field(default=_ignore)
    on_error: Callable[[SpeechError], None] = field(default=_ignore)
    on_done: Callable[[], None] = field(default=_ignore)


class TtsSession(ABC):
    """One utterance (intent): text in, sentences of audio out."""

    #: "segmenter" or "streaming": which adapter this is (for logs and analytics)
    transport: str = ""

    def __init__(self, callbacks: SessionCallbacks | None = None) -> None:
        self.callbacks = callbacks or SessionCallbacks()
        self._lock = threading.RLock()
        self._state: SessionState = "open"
        self._next_index = 0
        self._finished = threading.Event()
        self.error: SpeechError | None = None
        self.cancel_reason: str | None = None

    # -- public API ------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def stand_in(self) -> str | None:
        """Who spoke instead of the chosen voice, and why (None: the chosen voice spoke)."""
        return None

    def append_text(self, text: str) -> None:
        with self._lock:  # never let text slip in behind finish_input or cancel
            if text and self._state == "open":
                self._on_text(text)

    def append_special(self, token: str) -> None:
        """A special token (e.g. an emotion tag) stood here: end the current chunk."""
        with self._lock:
            if self._state == "open":
                self._on_special(token)

    def finish_input(self) -> None:
        with self._lock:
            if self._state != "open":
                return
            self._state = "finishing"
            self._on_finish_input()

    def end(self, timeout: float | None = None) -> bool:
        """Finish the input, wait for the last sentence, release the transport."""
        self.finish_input()
        completed = self.wait(timeout)
        self._release()
        return completed

    def cancel(self, reason: str = "cancelled") -> None:
        with self._lock:
            if self._state in ("done", "cancelled"):
                return
            self._state = "cancelled"
            self.cancel_reason = reason
        log.speech.info("%s session cancelled: %s", self.transport, reason)
        self._on_cancel()
        self._finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the session is done or cancelled."""
        return self._finished.wait(timeout)

    # -- for adapters ----------------------------------------------------------------------

    def _emit_sentence(self, text: str, audio: Audio) -> None:
        with self._lock:
            if self._state in ("done", "cancelled"):
                log.speech.debug("dropping a sentence that came after the end: %r", text[:40])
                return
            sentence = Sentence(self._next_index, text, audio)
            self._next_index += 1
            self._call(self.callbacks.on_sentence, sentence)

    def _emit_error(self, error: CompanionError) -> None:
        """Report a failure and end the session (on_error, then on_done)."""
        exc = (
            error
            if isinstance(error, SpeechError)
            else SpeechError(error.message, reason=error.reason)
        )
        with self._lock:
            if self._state in ("done", "cancelled"):
                return
            self.error = exc
            log.speech.warning(
                "%s session failed: %s [%s]", self.transport, exc.message, exc.reason
            )
            self._call(self.callbacks.on_error, exc)
        self._emit_done()

    def _emit_done(self) -> None:
        with self._lock:
            if self._state in ("done", "cancelled"):
                return
            self._state = "done"
            self._call(self.callbacks.on_done)
        self._finished.set()
        self._release()

    def _call(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # a faulty listener must not kill the transport thread
            log.speech.exception("speech callback %s failed", getattr(fn, "__name__", fn))

    # -- adapter hooks ---------------------------------------------------------------------

    @abstractmethod
    def _on_text(self, text: str) -> None: ...

    @abstractmethod
    def _on_special(self, token: str) -> None: ...

    @abstractmethod
    def _on_finish_input(self) -> None: ...

    @abstractmethod
    def _on_cancel(self) -> None: ...

    def _release(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Free the transport (idempotent)."""
