"""Where played audio goes: the AudioSink protocol and the null sink.

Playback writes one lip-sync frame of PCM at a time and a sink's ``write`` returns
when that audio is (about to be) heard, which is what paces playback in real time.
The null sink is for machines without sound (and tests): it plays nothing but keeps
the same real-time pace, so queue order, stop and lip-sync timing stay real. The
Qt audio output lives in ``app/ui/audio_output.py``.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["AudioSink", "NullSink"]


class AudioSink(Protocol):
    #: False for the null sink: nothing is actually heard
    audible: bool

    def write(self, pcm: bytes, sample_rate: int) -> None:
        """Play 16-bit mono PCM; block until it is due (real-time pacing)."""
        ...

    def abort(self) -> None:
        """Drop audio already handed over but not yet heard (stop)."""
        ...

    def close(self) -> None: ...


class NullSink:
    audible = False

    def __init__(self) -> None:
        self._clock: float | None = None
        self._wake = threading.Event()
        self.written_frames = 0

    def write(self, pcm: bytes, sample_rate: int) -> None:
        now = time.monotonic()
        if self._clock is None or self._clock < now:
            self._clock = now  # idle gap: start a new timeline
        self._clock += len(pcm) / 2 / sample_rate
        self.written_frames += len(pcm) // 2
        delay = self._clock - time.monotonic()
        if delay > 0:
            self._wake.wait(delay)

    def abort(self) -> None:
        self._clock = None

    def close(self) -> None:
        self._wake.set()
