from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.speech.engine import list_voices
from app.speech.protocol import finish_frame, start_frame, text_frame
from tests.unit.speech.engines import running


def test_malformed_frames_get_an_error_event_and_a_policy_close() -> None:
    with running() as engine, connect(engine.url) as ws:
        ws.send(start_frame(model="", voice=""))
        assert json.loads(ws.recv())["event"] == "session.started"
        ws.send("{not json")
        error = json.loads(ws.recv())
        assert error == {"event": "error", "code": "bad-frame", "message": "frame is not JSON"}
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_first_frame_must_be_start() -> None:
    with running() as engine, connect(engine.url) as ws:
        ws.send(text_frame("hello"))
        assert json.loads(ws.recv())["code"] == "bad-frame"


def test_raw_protocol_sequence_and_usage() -> None:
    with running() as engine, connect(engine.url) as ws:
        ws.send(start_frame(model="piper", voice="en_US-joe-medium"))
        for token in ["Hi", " there", ".", " Bye", " now", "."]:
            ws.send(text_frame(token))
        ws.send(finish_frame())
        kinds: list[str] = []
        audio_bytes = 0
        for message in ws:
            if isinstance(message, bytes):
                audio_bytes += len(message)
                kinds.append("audio") if kinds[-1:] != ["audio"] else None
                continue
            frame = json.loads(message)
            kinds.append(frame["event"])
            if frame["event"] == "session.finished":
                assert frame["payload"] == {"usage": {"text_words": 4}}
        assert kinds == [
            "session.started",
            "sentence.start",
            "audio",
            "sentence.end",
            "sentence.start",
            "audio",
            "sentence.end",
            "session.finished",
        ]
        assert audio_bytes > 22050  # more than half a second of 16-bit audio


def test_voice_listing_over_http_and_as_a_function() -> None:
    assert [v["id"] for v in list_voices()] == ["en_US-joe-medium"]
    assert list_voices("espeak-ng") == []
    with running() as engine:
        with urllib.request.urlopen(engine.http_base + "/api/voices?provider=piper") as resp:
            assert json.load(resp)["voices"][0]["provider"] == "piper"
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(engine.http_base + "/elsewhere")
        assert exc.value.code == 404
        exc.value.close()
