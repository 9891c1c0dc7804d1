"""One streaming TTS session per WebSocket: segment raw text, synthesise, stream audio.

Sentences are synthesised as soon as the segmenter completes them, one after the
other, while more text is still arriving; each goes out as ``sentence.start``, its
audio in binary frames, ``sentence.end``. ``finish`` flushes the rest and ends with
``session.finished {usage: {text_words}}``. A client that segments itself sends
``extra_body: {"segment": false}`` and gets its text spoken as one request.
``GET /api/voices`` on the same port lists the voices, also at the speech server's
``/api/v1/audio/voices/streaming`` so a desktop pointed straight at the engine finds
them where it looks on a server. An artificial per-request latency lets the benchmark
imitate a remote synthesis service.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app import log
from app.errors import CompanionError, SpeechError
from app.loop_shutdown import stop_accepting
from app.speech.audio import Audio
from app.speech.protocol import error_event, event, parse_client_frame
from app.speech.providers.base import ProviderConfig
from app.speech.providers.piper import PiperProvider
from app.speech.segmenter import Chunk, Segmenter
from app.speech.words import count_words

__all__ = ["WS_PATH", "EngineOptions", "StreamingEngine", "Synthesizer", "list_voices"]

#: Synthesise ``text`` with ``voice`` ("" = default), blocking.
Synthesizer = Callable[[str, str], Audio]

WS_PATH: Final = "/api/v1/audio/speech/ws"
VOICES_PATH: Final = "/api/voices"
SERVER_VOICES_PATH: Final = "/api/v1/audio/voices/streaming"
AUDIO_FRAME_BYTES: Final = 16384


def piper_synthesizer(text: str, voice: str) -> Audio:
    return PiperProvider(ProviderConfig(voice=voice)).synthesize(text)


def piper_sample_rate(voice: str) -> int:
    return PiperProvider(ProviderConfig(voice=voice)).sample_rate()


def list_voices(provider: str | None = None) -> list[dict[str, str]]:
    """The engine's voices (``GET /api/voices?provider=…``); it serves piper voices only."""
    if provider not in (None, "", "piper"):
        return []
    return [
        {"id": v.id, "name": v.name, "language": v.language, "provider": "piper"}
        for v in PiperProvider(ProviderConfig()).voices()
    ]


@dataclass
class EngineOptions:
    host: str = "127.0.0.1"
    port: int = 0
    #: bearer token clients must present; "" = open (loopback development)
    token: str = ""
    #: artificial delay added to every synthesis request (benchmarks)
    latency_s: float = 0.0
    synthesize: Synthesizer = field(default=piper_synthesizer)
    #: the voice's sample rate (announced in session.started); raises for unknown voices
    sample_rate: Callable[[str], int] = field(default=piper_sample_rate)


class StreamingEngine:
    """The asyncio side; :class:`~app.speech.engine.thread.EngineThread` runs it in a thread."""

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        self._server: Server | None = None
        self.sessions_finished = 0
        self.sessions_cancelled = 0
        #: the raw text frames of each session, in arrival order (tests, diagnostics)
        self.received: list[list[str]] = []

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://{self.options.host}:{self.port}{WS_PATH}"

    async def start(self) -> None:
        self._server = await serve(
            self._session,
            self.options.host,
            self.options.port,
            process_request=self._http,
            max_size=2**20,
        )
        log.speech.info("streaming engine listening on %s", self.url)

    async def stop(self) -> None:
        if self._server is not None:
            await stop_accepting(self._server.server)
            self._server.close()
            await self._server.wait_closed()

    # -- HTTP side -------------------------------------------------------------------------

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path in (VOICES_PATH, SERVER_VOICES_PATH):
            provider = parse_qs(parts.query).get("provider", [None])[0]
            body = json.dumps({"voices": list_voices(provider)}).encode()
            return Response(
                200,
                "OK",
                Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))]),
                body,
            )
        if parts.path != WS_PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if (
            self.options.token
            and request.headers.get("Authorization") != f"Bearer {self.options.token}"
        ):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a valid bearer token is required\n")
        return None

    # -- one session -----------------------------------------------------------------------

    async def _session(self, ws: ServerConnection) -> None:
        try:
            await SessionRunner(self, ws).run()
        except ConnectionClosed:
            log.speech.debug("engine client went away")

    # hooks the tests override to inject faults

    async def send_sentence(self, ws: ServerConnection, text: str, audio: Audio) -> None:
        await ws.send(event("sentence.start", text=text))
        for start in range(0, len(audio.pcm), AUDIO_FRAME_BYTES):
            await ws.send(audio.pcm[start : start + AUDIO_FRAME_BYTES])
        await ws.send(event("sentence.end", text=text))

    async def send_finished(self, ws: ServerConnection, words: int) -> None:
        await ws.send(event("session.finished", usage={"text_words": words}))


class SessionRunner:
    """Reads client frames while a synthesis task works through the completed chunks."""

    def __init__(self, engine: StreamingEngine, ws: ServerConnection) -> None:
        self.engine = engine
        self.ws = ws
        self.segmenter = Segmenter()
        self.chunks: asyncio.Queue[Chunk | None] = asyncio.Queue()
        self.voice = ""
        self.words = 0

    async def run(self) -> None:
        first = await self.ws.recv()
        try:
            start = parse_client_frame(first)
        except SpeechError as exc:
            await self._fail("bad-frame", exc.message)
            return
        if start["event"] != "start":
            await self._fail("bad-frame", "the first frame must be start")
            return
        self.voice = str(start.get("voice") or "")
        extra = start.get("extra_body")
        # {"segment": false}: the client already segmented; speak the text as one request
        whole = isinstance(extra, dict) and extra.get("segment") is False
        held: list[str] = []
        texts: list[str] = []
        self.engine.received.append(texts)
        try:
            rate = await self._rate()
        except CompanionError as exc:
            await self._fail(exc.reason, exc.message)
            return
        await self.ws.send(
            event("session.started", sample_rate=rate, format="pcm_s16le", channels=1)
        )
        worker = asyncio.create_task(self._synthesise_all())
        try:
            async for raw in self.ws:
                try:
                    frame = parse_client_frame(raw)
                except SpeechError as exc:
                    await self._fail("bad-frame", exc.message)
                    return
                if frame["event"] == "text":
                    texts.append(frame["text"])
                    self.words += count_words(frame["text"])
                    if whole:
                        held.append(frame["text"])
                        continue
                    for chunk in self.segmenter.feed(frame["text"]):
                        self.chunks.put_nowait(chunk)
                elif frame["event"] == "finish":
                    if whole and "".join(held).strip():
                        text = "".join(held).strip()
                        self.chunks.put_nowait(Chunk(text, count_words(text), "final"))
                    for chunk in self.segmenter.finish():
                        self.chunks.put_nowait(chunk)
                    self.chunks.put_nowait(None)
                    await worker
                    return
                elif frame["event"] == "cancel":
                    self.engine.sessions_cancelled += 1
                    return
        finally:
            worker.cancel()

    async def _rate(self) -> int:
        return await asyncio.to_thread(self.engine.options.sample_rate, self.voice)

    async def _synthesise_all(self) -> None:
        while (chunk := await self.chunks.get()) is not None:
            if not chunk.words:
                continue  # punctuation or emoji alone
            try:
                audio = await self._synthesise(chunk.text)
            except CompanionError as exc:
                await self._fail(exc.reason, exc.message)
                return
            await self.engine.send_sentence(self.ws, chunk.text, audio)
        await self.engine.send_finished(self.ws, self.words)
        self.engine.sessions_finished += 1
        await self.ws.close()

    async def _synthesise(self, text: str) -> Audio:
        if self.engine.options.latency_s:
            await asyncio.sleep(self.engine.options.latency_s)
        return await asyncio.to_thread(self.engine.options.synthesize, text, self.voice)

    async def _fail(self, code: str, message: str) -> None:
        await self.ws.send(error_event(code, message))
        await self.ws.close(1011 if code not in ("bad-frame",) else 1008)
