"""Real local streaming upstreams for the tests: the built-in engine, plus fault variants.

Every variant is the real engine (real WebSocket, real piper audio) with one behaviour
changed, so a test can provoke exactly the failure it is about.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.engine import EngineOptions, EngineThread, StreamingEngine
from app.speech.engine.server import piper_synthesizer
from app.speech.protocol import event
from app.speech.session import Sentence, SessionCallbacks

__all__ = [
    "ClosesBeforeFinished",
    "CountingEngine",
    "DropsLastSentenceEnd",
    "Recorder",
    "SlowHandshake",
    "exploding_synthesizer",
    "running",
]


class CountingEngine(StreamingEngine):
    """Records how many audio bytes each sentence carried."""

    def __init__(self, options: EngineOptions | None = None) -> None:
        super().__init__(options)
        self.sent: list[tuple[str, int]] = []

    async def send_sentence(self, ws: ServerConnection, text: str, audio: Audio) -> None:
        self.sent.append((text, len(audio.pcm)))
        await super().send_sentence(ws, text, audio)


class ClosesBeforeFinished(StreamingEngine):
    async def send_finished(self, ws: ServerConnection, words: int) -> None:
        await ws.close(4000, "upstream gave up")


class DropsLastSentenceEnd(StreamingEngine):
    """Sends the final sentence's audio but no ``sentence.end`` before ``session.finished``."""

    async def send_sentence(self, ws: ServerConnection, text: str, audio: Audio) -> None:
        if "last" not in text:
            await super().send_sentence(ws, text, audio)
            return
        await ws.send(event("sentence.start", text=text))
        for start in range(0, len(audio.pcm), 16384):
            await ws.send(audio.pcm[start : start + 16384])


class SlowHandshake(StreamingEngine):
    """Holds the opening handshake so the client must queue its frames."""

    gate = 0.5

    async def _http(self, connection: ServerConnection, request: Request) -> Response | None:  # type: ignore[override]
        await asyncio.sleep(self.gate)
        return super()._http(connection, request)


def exploding_synthesizer(text: str, voice: str) -> Audio:
    if "boom" in text:
        raise SpeechError("the voice exploded", reason="voice-exploded")
    return piper_synthesizer(text, voice)


@contextmanager
def running(
    engine_cls: type[StreamingEngine] = StreamingEngine, options: EngineOptions | None = None
) -> Iterator[EngineThread]:
    with EngineThread(engine=engine_cls(options)) as thread:
        yield thread


class Recorder:
    """Collects a session's callbacks and checks the contract as they arrive."""

    def __init__(self) -> None:
        self.sentences: list[Sentence] = []
        self.errors: list[SpeechError] = []
        self.done = 0
        self.events: list[str] = []
        self.finished = threading.Event()

    def callbacks(self) -> SessionCallbacks:
        return SessionCallbacks(
            on_sentence=self._sentence, on_error=self._error, on_done=self._done
        )

    def _sentence(self, sentence: Sentence) -> None:
        assert self.done == 0, "sentence after done"
        self.sentences.append(sentence)
        self.events.append("sentence")

    def _error(self, error: SpeechError) -> None:
        self.errors.append(error)
        self.events.append("error")

    def _done(self) -> None:
        self.done += 1
        self.events.append("done")
        self.finished.set()
