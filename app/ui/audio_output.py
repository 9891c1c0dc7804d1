"""The real audio output: a QtMultimedia QAudioSink behind the core's AudioSink protocol.

QtMultimedia ships inside PySide6, which the app already depends on, so real sound
needs no extra library (sounddevice would add PortAudio, a system library, for the
same job). ``best_sink()`` falls back to the core's real-time NullSink when the
machine has no output device, so playback and lip sync keep their timing.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from PySide6.QtCore import QCoreApplication, QIODevice
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices, QtAudio

from app import log
from app.speech.sinks import AudioSink, NullSink

__all__ = ["QtAudioSink", "best_sink"]

#: audio handed to Qt ahead of what is heard; small so lip sync stays in step
AHEAD_S: Final = 0.08

_cli_app: QCoreApplication | None = None


class QtAudioSink:
    audible = True

    def __init__(self) -> None:
        self._sink: QAudioSink | None = None
        self._device: QIODevice | None = None
        self._rate = 0
        self._lock = threading.Lock()

    def _open(self, sample_rate: int) -> None:
        if self._sink is not None and self._rate == sample_rate:
            return
        self._stop()
        fmt = QAudioFormat()
        fmt.setSampleRate(sample_rate)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self._sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
        self._sink.setBufferSize(int(sample_rate * 2 * AHEAD_S * 2))
        self._device = self._sink.start()
        self._rate = sample_rate

    def write(self, pcm: bytes, sample_rate: int) -> None:
        with self._lock:
            self._open(sample_rate)
            sink, device = self._sink, self._device
        assert sink is not None and device is not None
        view = memoryview(pcm)
        while view:
            if sink.state() == QtAudio.State.StoppedState and sink.error() != QtAudio.Error.NoError:
                log.speech.warning("audio output failed: %s", sink.error())
                return
            free = sink.bytesFree()
            if free <= 0:
                time.sleep(0.005)
                continue
            written = device.write(bytes(view[:free]))
            view = view[max(0, written) :]
        # pace: return when what is queued in Qt is no more than AHEAD_S
        ahead = (sink.bufferSize() - sink.bytesFree()) / (2 * sample_rate)
        if ahead > AHEAD_S:
            time.sleep(ahead - AHEAD_S)

    def abort(self) -> None:
        with self._lock:
            if self._sink is not None:
                self._sink.reset()
                self._device = self._sink.start()

    def _stop(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._sink = None
            self._device = None

    def close(self) -> None:
        with self._lock:
            self._stop()


def best_sink() -> AudioSink:
    """Qt's default output when there is one, else the real-time null sink."""
    if QCoreApplication.instance() is None:
        # QtMultimedia needs an application object; the CLI (`say`) has none of its own
        global _cli_app
        _cli_app = QCoreApplication([])
    if QMediaDevices.defaultAudioOutput().isNull():
        log.speech.info("no audio output device: speech plays silently (lip sync still runs)")
        return NullSink()
    return QtAudioSink()
