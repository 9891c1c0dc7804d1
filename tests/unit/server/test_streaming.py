"""The proxy forwards each frame as it comes: audio reaches the client before the sentence ends."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.sync.client import connect

from app.speech.audio import Audio
from app.speech.engine import EngineOptions, StreamingEngine
from app.speech.engine.server import AUDIO_FRAME_BYTES
from app.speech.protocol import event, finish_frame, start_frame, text_frame
from tests.unit.server.conftest import StackFactory
from tests.unit.server.harness import tone

FRAMES_BEFORE_END = 3
GATE_TIMEOUT_S = 20.0


class HoldsSentenceEnd(StreamingEngine):
    """Sends the first sentence's start and first audio frames, then holds the rest of that
    sentence (and its sentence.end) until the test says it saw that audio at the client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()
        self.held_audio_bytes = 0
        self.released_in_time: bool | None = None

    async def send_sentence(self, ws: ServerConnection, text: str, audio: Audio) -> None:
        if self.released_in_time is not None:  # only the first sentence is held
            await super().send_sentence(ws, text, audio)
            return
        frames = [
            audio.pcm[i : i + AUDIO_FRAME_BYTES]
            for i in range(0, len(audio.pcm), AUDIO_FRAME_BYTES)
        ]
        assert len(frames) > FRAMES_BEFORE_END, "the test voice must give more frames"
        await ws.send(event("sentence.start", text=text))
        for frame in frames[:FRAMES_BEFORE_END]:
            await ws.send(frame)
        self.held_audio_bytes = sum(len(f) for f in frames[:FRAMES_BEFORE_END])
        # nothing more leaves the upstream until the client has seen the audio so far
        self.released_in_time = await asyncio.to_thread(self.release.wait, GATE_TIMEOUT_S)
        for frame in frames[FRAMES_BEFORE_END:]:
            await ws.send(frame)
        await ws.send(event("sentence.end", text=text))


def long_tone(text: str, voice: str) -> Audio:
    """Two seconds of tone: six audio frames (16 KiB each but the last) for one sentence."""
    one = tone(text, voice)
    return Audio(one.pcm * 20, one.sample_rate)


def test_audio_reaches_the_client_before_the_upstream_ends_the_sentence(
    make_stack: StackFactory,
) -> None:
    with make_stack(
        flux=100,
        rate=10,
        engine_cls=HoldsSentenceEnd,
        engine_options=EngineOptions(synthesize=long_tone),
    ) as s:
        assert s.upstream is not None
        upstream = s.upstream.engine
        assert isinstance(upstream, HoldsSentenceEnd)
        with connect(
            s.server.ws_url,
            additional_headers={"Authorization": f"Bearer {s.token}"},
            max_size=None,
        ) as ws:
            ws.send(start_frame(model="", voice=""))
            ws.send(text_frame("Only one sentence is spoken here."))
            ws.send(finish_frame())
            before: list[str | bytes] = []
            audio = 0
            # the upstream is holding sentence.end: if the proxy buffered the sentence, no
            # audio would come and recv would time out
            while audio < FRAMES_BEFORE_END * AUDIO_FRAME_BYTES:
                message = ws.recv(GATE_TIMEOUT_S / 2)
                before.append(message)
                if isinstance(message, bytes):
                    audio += len(message)
            assert not upstream.release.is_set()
            names = [json.loads(m)["event"] for m in before if isinstance(m, str)]
            assert names == ["session.started", "sentence.start"]
            assert audio == upstream.held_audio_bytes
            upstream.release.set()
            after: list[str | bytes] = []
            while True:
                message = ws.recv(GATE_TIMEOUT_S)
                after.append(message)
                if isinstance(message, str) and json.loads(message)["event"] == "session.finished":
                    break
        assert upstream.released_in_time is True
        later = [json.loads(m)["event"] for m in after if isinstance(m, str)]
        assert later[0] == "sentence.end" and later[-1] == "session.finished"
        sentences = 1 + later.count("sentence.start")
        assert later.count("sentence.end") == sentences
        total = audio + sum(len(m) for m in after if isinstance(m, bytes))
        assert total == sentences * len(long_tone("", "").pcm)
