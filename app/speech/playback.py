"""The playback queue: sentences keyed by intent, played in order, stoppable, with lip sync.

An intent is one utterance (one TtsSession). Sentences of an intent play in arrival
order, intents one after the other. ``stop(intent)`` drops an intent's queued audio
and cuts it off if it is playing; ``stop_all()`` does that for all; ``close()``
drains (or, with ``drain=False``, stops) and ends the player thread. While audio
plays, ``on_mouth(weight)`` is called once per lip-sync frame (30-60 Hz) and once
with 0.0 when the voice falls silent.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app import log
from app.speech.audio import Audio
from app.speech.lipsync import DEFAULT_FPS, envelope, frame_samples
from app.speech.sinks import AudioSink

__all__ = ["Playback", "PlayedItem"]

_CUT_GRACE_S = 1.0  # a cut takes one lip-sync frame; this only bounds a stuck sink


@dataclass(frozen=True)
class PlayedItem:
    intent: str
    text: str
    started: float
    ended: float
    completed: bool


@dataclass
class _Item:
    intent: str
    audio: Audio
    text: str


class Playback:
    def __init__(
        self,
        sink: AudioSink,
        *,
        on_mouth: Callable[[float], None] | None = None,
        fps: int = DEFAULT_FPS,
        on_played: Callable[[PlayedItem], None] | None = None,
    ) -> None:
        self.sink = sink
        self.fps = fps
        self._on_mouth = on_mouth
        self._on_played = on_played
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._current: _Item | None = None
        self._cut: set[str] = set()  # intents to cut off now
        self._closing = False
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="tts-playback", daemon=True)
        self._thread.start()

    @property
    def available(self) -> bool:
        return not self._closing

    def enqueue(self, intent: str, audio: Audio, text: str = "") -> None:
        with self._cond:
            if self._closing:
                log.speech.debug("playback closed: dropping %r", text[:40])
                return
            self._queue.append(_Item(intent, audio, text))
            self._idle.clear()
            self._cond.notify()

    def stop(self, intent: str) -> None:
        with self._cond:
            self._queue = deque(i for i in self._queue if i.intent != intent)
            if self._current is not None and self._current.intent == intent:
                self._cut.add(intent)
            self._cond.notify()

    def stop_all(self) -> None:
        with self._cond:
            self._queue.clear()
            if self._current is not None:
                self._cut.add(self._current.intent)
            self._cond.notify()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def close(self, *, drain: bool = True, timeout: float | None = 30.0) -> None:
        """Drain for at most ``timeout`` seconds, then cut: quitting never hangs on a long reply."""
        if not drain:
            self.stop_all()
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.speech.info("playback still busy after %s s: cutting it off", timeout)
            self.stop_all()
            self._thread.join(_CUT_GRACE_S)
        self.sink.close()

    # -- player thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                item = self._queue.popleft()
                self._current = item
                self._cut.discard(item.intent)
            started = time.monotonic()
            completed = self._play(item)
            with self._cond:
                self._current = None
                empty = not self._queue
            if self._on_played is not None:
                self._on_played(
                    PlayedItem(item.intent, item.text, started, time.monotonic(), completed)
                )
            if empty:
                self._mouth(0.0)
                with self._cond:
                    if not self._queue:
                        self._idle.set()

    def _play(self, item: _Item) -> bool:
        audio = item.audio
        step = frame_samples(audio.sample_rate, self.fps) * 2
        weights = envelope(audio, self.fps) if self._on_mouth is not None else []
        for n, start in enumerate(range(0, len(audio.pcm), step)):
            if item.intent in self._cut:
                self.sink.abort()
                self._mouth(0.0)
                return False
            if n < len(weights):
                self._mouth(weights[n])
            self.sink.write(audio.pcm[start : start + step], audio.sample_rate)
        return True

    def _mouth(self, weight: float) -> None:
        if self._on_mouth is not None:
            try:
                self._on_mouth(weight)
            except Exception:
                log.speech.exception("lip-sync listener failed")
