"""The bidirectional streaming TTS protocol, sans I/O: frames as data, shared by both ends.

Client -> server (JSON text frames): ``start {model, voice, response_format,
extra_body?}``, ``text {text}`` (raw, unsegmented LLM chunks), ``finish``, ``cancel``.
Server -> client: binary frames are audio (16-bit mono PCM at the rate announced in
``session.started``); JSON events ``session.started``, ``sentence.start {payload:
{text}}``, ``sentence.end {payload: {text}}``, ``subtitle``, ``session.finished
{payload: {usage: {text_words}}}`` and ``error {code, message}``. The desktop client,
the built-in engine and the speech server (``app/server``) all use this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from app.errors import SpeechError

__all__ = [
    "CLIENT_EVENTS",
    "DEFAULT_SAMPLE_RATE",
    "SERVER_EVENTS",
    "ServerEvent",
    "cancel_frame",
    "error_event",
    "event",
    "finish_frame",
    "parse_client_frame",
    "parse_server_event",
    "start_frame",
    "text_frame",
]

DEFAULT_SAMPLE_RATE: Final = 22050
CLIENT_EVENTS: Final = frozenset({"start", "text", "finish", "cancel"})
SERVER_EVENTS: Final = frozenset(
    {
        "session.started",
        "sentence.start",
        "sentence.end",
        "subtitle",
        "session.finished",
        "error",
    }
)


def start_frame(
    *,
    model: str,
    voice: str,
    response_format: str = "pcm",
    extra_body: dict[str, Any] | None = None,
) -> str:
    frame: dict[str, Any] = {
        "event": "start",
        "model": model,
        "voice": voice,
        "response_format": response_format,
    }
    if extra_body:
        frame["extra_body"] = extra_body
    return json.dumps(frame)


def text_frame(text: str) -> str:
    return json.dumps({"event": "text", "text": text}, ensure_ascii=False)


def finish_frame() -> str:
    return json.dumps({"event": "finish"})


def cancel_frame() -> str:
    return json.dumps({"event": "cancel"})


def parse_client_frame(raw: str | bytes) -> dict[str, Any]:
    """Validate one client frame; raises SpeechError(reason="bad-frame")."""
    if isinstance(raw, bytes):
        raise SpeechError("binary frames are not accepted from clients", reason="bad-frame")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise SpeechError("frame is not JSON", reason="bad-frame") from exc
    if not isinstance(data, dict) or data.get("event") not in CLIENT_EVENTS:
        raise SpeechError("frame has no known event", reason="bad-frame")
    if data["event"] == "text" and not isinstance(data.get("text"), str):
        raise SpeechError("text frame without text", reason="bad-frame")
    return data


def event(name: str, **payload: Any) -> str:
    return json.dumps({"event": name, "payload": payload}, ensure_ascii=False)


def error_event(code: str, message: str, **extra: Any) -> str:
    return json.dumps({"event": "error", "code": code, "message": message, **extra})


@dataclass(frozen=True)
class ServerEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def parse_server_event(raw: str) -> ServerEvent:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise SpeechError(
            "the streaming voice sent a frame that is not JSON", reason="bad-frame"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise SpeechError("the streaming voice sent a frame without an event", reason="bad-frame")
    payload = data.get("payload")
    return ServerEvent(data["event"], payload if isinstance(payload, dict) else {}, data)
