"""Run the real server (uvicorn on loopback, in a thread) and talk to it with real clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.speech.audio import Audio
from app.speech.engine import StreamingEngine
from app.speech.protocol import event, finish_frame, start_frame, text_frame
from app.speech.words import count_words

__all__ = ["ReportsOnCancel", "RunningServer", "Transcript", "session", "tone"]


class RunningServer:
    def __init__(self, app: Starlette) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws_max_size=2**20,
            lifespan="on",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-server", daemon=True)

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/audio/speech/ws"


@dataclass
class Transcript:
    """Everything one client saw, in order."""

    frames: list[str | bytes] = field(default_factory=list)
    close_code: int | None = None
    first_audio_s: float | None = None

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.frames if isinstance(f, str)]

    @property
    def names(self) -> list[str]:
        return [e["event"] for e in self.events]

    def last(self, name: str) -> dict[str, Any]:
        return [e for e in self.events if e["event"] == name][-1]

    @property
    def audio_bytes(self) -> int:
        return sum(len(f) for f in self.frames if isinstance(f, bytes))


def session(
    url: str,
    token: str | None,
    texts: list[str],
    *,
    via: str = "header",
    finish: bool = True,
    voice: str = "",
    first: str | None = None,
    timeout: float = 60.0,
) -> Transcript:
    """One client session: auth, start, the texts, finish; read until the server closes."""
    headers = (
        {"Authorization": f"Bearer {token}"} if token is not None and via == "header" else None
    )
    out = Transcript()
    started = time.monotonic()
    with connect(
        url, additional_headers=headers, max_size=None, open_timeout=10, close_timeout=5
    ) as ws:
        if first is not None:
            ws.send(first)
        if token is not None and via == "frame":
            ws.send(json.dumps({"event": "auth", "token": token}))
        # the server may refuse early: frames it sent before closing are still read below
        with contextlib.suppress(ConnectionClosed):
            ws.send(start_frame(model="", voice=voice))
            for text in texts:
                ws.send(text_frame(text))
            if finish:
                ws.send(finish_frame())
        try:
            while True:
                message = ws.recv(timeout)
                if isinstance(message, bytes) and out.first_audio_s is None:
                    out.first_audio_s = time.monotonic() - started
                out.frames.append(message)
        except ConnectionClosed as exc:
            out.close_code = exc.rcvd.code if exc.rcvd is not None else 1006
    return out


def tone(text: str, voice: str) -> Audio:
    """A real (if plain) voice for load tests: 0.1 s of a 220 Hz tone per sentence."""
    rate = 22050
    samples = (int(8000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(rate // 10))
    return Audio(b"".join(struct.pack("<h", s) for s in samples), rate)


class ReportsOnCancel(StreamingEngine):
    """On cancel, reports the words of the sentences it already sent (a metering upstream)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spoken: dict[int, int] = {}
        self.finished_ids: set[int] = set()
        self.first_sentence = asyncio.Event()

    async def _session(self, ws: ServerConnection) -> None:
        await super()._session(ws)
        if id(ws) not in self.finished_ids:
            words = self.spoken.get(id(ws), 0)
            with contextlib.suppress(ConnectionClosed):
                await ws.send(event("session.finished", usage={"text_words": words}))

    async def send_sentence(self, ws: ServerConnection, text: str, audio: Audio) -> None:
        # metered as its audio starts going out; only connections that spoke are listed
        # (the server's spare connection to the upstream never does)
        self.spoken[id(ws)] = self.spoken.get(id(ws), 0) + count_words(text)
        await super().send_sentence(ws, text, audio)
        await asyncio.sleep(0.3)  # a slow voice: the client has time to leave mid-stream

    async def send_finished(self, ws: ServerConnection, words: int) -> None:
        self.finished_ids.add(id(ws))
        await super().send_finished(ws, words)
