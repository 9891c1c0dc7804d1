"""The app's voice: settings -> provider -> one session per utterance -> playback.

The chat panel, the Speech page preview and ``companion-stage say`` all speak through
a Speaker. It owns hot swap (a change of provider, model, voice or server cancels
the utterance in flight and silences it) and shutdown (cancel, then drain).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable

from app import log
from app.errors import SpeechError
from app.settings.sections.speech import SpeechSettings
from app.speech.config import provider_config
from app.speech.factory import create_session
from app.speech.playback import Playback
from app.speech.registry import ProviderRegistry, default_registry
from app.speech.session import Sentence, SessionCallbacks, TtsSession

__all__ = ["Speaker"]

#: settings whose change makes the running utterance wrong (voice, server, credentials)
_SWAP_FIELDS = (
    "provider",
    "model",
    "voice",
    "rest_base_url",
    "rest_api_key",
    "stream_url",
    "stream_token",
    "buffer_session",
)

_intents = itertools.count(1)


class Speaker:
    def __init__(
        self,
        settings: SpeechSettings,
        playback: Playback | None,
        *,
        registry: ProviderRegistry | None = None,
        on_error: Callable[[SpeechError], None] | None = None,
        on_sentence: Callable[[str, Sentence], None] | None = None,
        on_started: Callable[[str, str], None] | None = None,
    ) -> None:
        """``on_started(transport, provider_id)`` is for analytics (never the text)."""
        self.settings = dataclasses.replace(settings)
        self.playback = playback
        self.registry = registry or default_registry()
        self._on_error = on_error
        self._on_sentence = on_sentence
        self._on_started = on_started
        self._lock = threading.Lock()
        self._current: tuple[str, TtsSession] | None = None
        self._closed = False

    @property
    def current(self) -> TtsSession | None:
        return self._current[1] if self._current else None

    def begin(self, *, interrupt: bool = True) -> TtsSession:
        """Start a new utterance; by default the previous one is cancelled and silenced."""
        with self._lock:
            if self._closed:
                raise SpeechError("speech is shutting down", reason="speaker-closed")
            if interrupt:
                self._cancel_current("interrupted")
            intent = f"intent-{next(_intents)}"
            definition = self.registry.definition(self.settings.provider)
            session = create_session(
                self.registry,
                self.settings.provider,
                provider_config(self.settings, definition),
                callbacks=SessionCallbacks(
                    on_sentence=lambda s: self._sentence(intent, s), on_error=self._error
                ),
                playback_available=self.playback is not None and self.playback.available,
            )
            self._current = (intent, session)
        if self._on_started is not None:
            self._on_started(session.transport, self.settings.provider)
        return session

    def say(self, text: str) -> TtsSession:
        session = self.begin()
        session.append_text(text)
        session.finish_input()
        return session

    def apply_settings(self, settings: SpeechSettings) -> bool:
        """Take new settings; True if the utterance in flight was cancelled (hot swap)."""
        changed = any(getattr(settings, f) != getattr(self.settings, f) for f in _SWAP_FIELDS)
        with self._lock:
            self.settings = dataclasses.replace(settings)
            if changed and self._current is not None:
                log.speech.info("speech settings changed: cancelling the current utterance")
                self._cancel_current("settings-changed")
                return True
        return False

    def stop(self) -> None:
        with self._lock:
            self._cancel_current("stopped")

    def close(self, *, drain: bool = True, timeout: float = 10.0) -> None:
        """Quit: cancel the utterance in flight, then let queued audio finish (or cut it)."""
        with self._lock:
            self._closed = True
            if self._current is not None:
                self._current[1].cancel("quit")
        if self.playback is not None:
            self.playback.close(drain=drain, timeout=timeout)

    def _cancel_current(self, reason: str) -> None:
        if self._current is None:
            return
        intent, session = self._current
        session.cancel(reason)
        if self.playback is not None:
            self.playback.stop(intent)
        self._current = None

    def _sentence(self, intent: str, sentence: Sentence) -> None:
        if self.playback is not None:
            self.playback.enqueue(intent, sentence.audio, sentence.text)
        if self._on_sentence is not None:
            self._on_sentence(intent, sentence)

    def _error(self, error: SpeechError) -> None:
        if self._on_error is not None:
            self._on_error(error)
