"""The HTTP routes: OpenAI-compatible speech, voice and model lists, health, legacy 404s.

``POST /api/v1/audio/speech`` speaks the whole input through the same streaming
upstream the WebSocket uses (one upstream session), bills it like a streamed
session, and answers WAV or raw PCM. Errors are JSON ``{"error": {code, message}}``.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from app.errors import ServerError, SpeechError
from app.server.analytics import FluxExhausted, SessionFinished
from app.server.proxy import bearer
from app.server.state import ServerState
from app.server.store import User
from app.server.upstream import Endpoint, open_upstream
from app.speech.audio import Audio, wav_bytes
from app.speech.http import get_json
from app.speech.protocol import (
    DEFAULT_SAMPLE_RATE,
    finish_frame,
    parse_server_event,
    start_frame,
    text_frame,
)

__all__ = ["healthz", "legacy", "legacy_ws", "me", "models", "speech", "voices"]

FORMATS: Final = {"wav": "audio/wav", "pcm": "audio/pcm"}
REST_TIMEOUT_S: Final = 120.0


def problem(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


async def _user(request: Request) -> User | JSONResponse:
    token = bearer(request.headers.get("authorization"))
    user = await _state(request).db(_state(request).store.authenticate, token) if token else None
    if user is None:
        return problem(
            401,
            "unauthorized",
            "send Authorization: Bearer <token> "
            "(create one with `companion-stage serve token create`)",
        )
    return user


async def _endpoint(state: ServerState) -> Endpoint | JSONResponse:
    try:
        config = await state.db(state.session_config)
    except ServerError as exc:
        return problem(503, exc.reason, exc.message)
    return await state.upstreams.resolve(config.upstream)


async def healthz(request: Request) -> JSONResponse:
    state = _state(request)
    try:
        await state.db(state.store.ping)
    except Exception as exc:
        return JSONResponse(
            {"ok": False, "database": "unreachable", "detail": str(exc)[:200]}, status_code=503
        )
    return JSONResponse({"ok": True, "database": state.store.dialect})


async def me(request: Request) -> Response:
    """Who the token belongs to: the desktop shows the balance and ``identify``s analytics with
    the opaque ``person_id`` so its events and the server's join on one person."""
    user = await _user(request)
    if isinstance(user, JSONResponse):
        return user
    return JSONResponse({"user": user.name, "person_id": user.public_id, "flux": user.flux})


async def voices(request: Request) -> Response:
    """Both voice routes answer the streaming upstream's own list (``GET /api/voices``)."""
    user = await _user(request)
    if isinstance(user, JSONResponse):
        return user
    state = _state(request)
    endpoint = await _endpoint(state)
    if isinstance(endpoint, JSONResponse):
        return endpoint
    try:
        data = await state.db(lambda: get_json(endpoint.voices_url, api_key=endpoint.token))
    except SpeechError as exc:
        return problem(
            502, "upstream-unavailable", f"the streaming voice's voice list failed: {exc.message}"
        )
    items = data.get("voices", []) if isinstance(data, dict) else data
    return JSONResponse({"voices": items if isinstance(items, list) else []})


async def models(request: Request) -> Response:
    user = await _user(request)
    if isinstance(user, JSONResponse):
        return user
    state = _state(request)
    try:
        config = await state.db(state.session_config)
    except ServerError as exc:
        return problem(503, exc.reason, exc.message)
    model = config.upstream.model or config.upstream.provider or "default"
    return JSONResponse(
        {
            "object": "list",
            "data": [{"id": model, "object": "model", "owned_by": config.upstream.provider}],
        }
    )


def _speech_body(raw: Any, max_chars: int) -> dict[str, Any] | JSONResponse:
    if not isinstance(raw, dict):
        return problem(400, "bad-request", "the body must be a JSON object")
    text = raw.get("input")
    if not isinstance(text, str) or not text.strip():
        return problem(400, "bad-request", "input must be a non-empty string")
    if len(text) > max_chars:
        return problem(400, "input-too-long", f"input may have at most {max_chars} characters")
    for key in ("model", "voice"):
        if not isinstance(raw.get(key, ""), str):
            return problem(400, "bad-request", f"{key} must be a string")
    fmt = raw.get("response_format", "wav")
    if fmt not in FORMATS:
        return problem(
            400,
            "unsupported-format",
            f"response_format {fmt!r} is not offered; use one of {sorted(FORMATS)}",
        )
    speed = raw.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        return problem(400, "bad-request", "speed must be a number from 0.25 to 4.0")
    return {
        "model": raw.get("model", ""),
        "voice": raw.get("voice", ""),
        "input": text,
        "response_format": fmt,
        "speed": float(speed),
    }


async def speech(request: Request) -> Response:
    user = await _user(request)
    if isinstance(user, JSONResponse):
        return user
    state = _state(request)
    try:
        raw = await request.json()
    except ValueError:
        return problem(400, "bad-json", "the body is not JSON")
    body = _speech_body(raw, state.limits.rest_input_chars)
    if isinstance(body, JSONResponse):
        return body
    try:
        config = await state.db(state.session_config)
    except ServerError as exc:
        return problem(503, exc.reason, exc.message)
    if user.flux <= 0:
        state.analytics.capture(user.public_id, FluxExhausted(balance=user.flux))
        return problem(402, "insufficient-flux", f"{user.name} has no flux left", balance=user.flux)
    endpoint = await state.upstreams.resolve(config.upstream)
    session_id = str(uuid.uuid4())
    with state.tracer.start_as_current_span("tts.speech", kind=SpanKind.SERVER) as span:
        span.set_attributes(
            {
                "session.id": session_id,
                "enduser.id": user.public_id,
                "tts.model": body["model"] or endpoint.model,
                "tts.voice": body["voice"],
            }
        )
        try:
            audio, words = await _synthesize(endpoint, body)
        except ServerError as exc:
            span.set_attribute("session.outcome", exc.reason)
            span.set_status(Status(StatusCode.ERROR, exc.reason))
            return problem(502, exc.reason, exc.message)
        charge = await state.bill(session_id, user.id, words, config.rate)
        span.set_attributes(
            {
                "tts.words": words,
                "flux.charged": charge.flux_charged,
                "flux.unbilled": charge.unbilled,
                "session.outcome": "finished",
            }
        )
    state.analytics.capture(
        user.public_id,
        SessionFinished(
            words=words,
            flux_charged=charge.flux_charged,
            unbilled=charge.unbilled,
            outcome="finished",
        ),
    )
    data = wav_bytes(audio) if body["response_format"] == "wav" else audio.pcm
    headers = {
        "X-Flux-Charged": str(charge.flux_charged),
        "X-Flux-Unbilled": str(charge.unbilled),
        "X-Flux-Balance": str(charge.balance),
        "X-Session-Id": session_id,
        "X-Sample-Rate": str(audio.sample_rate),
    }
    return Response(data, media_type=FORMATS[body["response_format"]], headers=headers)


async def _synthesize(endpoint: Endpoint, body: dict[str, Any]) -> tuple[Audio, int]:
    pcm = bytearray()
    rate = DEFAULT_SAMPLE_RATE
    extra = {"speed": body["speed"]} if body["speed"] != 1.0 else None
    try:
        async with await open_upstream(endpoint, open_timeout=10) as ws:
            await ws.send(
                start_frame(
                    model=body["model"] or endpoint.model, voice=body["voice"], extra_body=extra
                )
            )
            await ws.send(text_frame(body["input"]))
            await ws.send(finish_frame())
            async for message in ws:
                if isinstance(message, bytes):
                    pcm += message
                    continue
                ev = parse_server_event(message)
                if ev.name == "session.started" and isinstance(ev.payload.get("sample_rate"), int):
                    rate = ev.payload["sample_rate"]
                elif ev.name == "error":
                    raise ServerError(
                        f"the streaming voice failed: {ev.raw.get('message', '')}",
                        reason=str(ev.raw.get("code") or "upstream-error"),
                    )
                elif ev.name == "session.finished":
                    usage = ev.payload.get("usage")
                    words = usage.get("text_words") if isinstance(usage, dict) else 0
                    return Audio(bytes(pcm), rate), words if isinstance(
                        words, int
                    ) and words > 0 else 0
    except InvalidStatus as exc:
        raise ServerError(
            f"the streaming voice refused the connection (HTTP {exc.response.status_code})",
            reason="upstream-unavailable",
        ) from None
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise ServerError(
            f"cannot reach the streaming voice: {exc}", reason="upstream-unavailable"
        ) from None
    except ConnectionClosed:
        pass
    except SpeechError as exc:
        raise ServerError(exc.message, reason="upstream-bad-frame") from None
    raise ServerError(
        "the streaming voice closed the connection before the speech was finished; "
        "nothing was charged",
        reason="upstream-closed",
    )


async def legacy(request: Request) -> JSONResponse:
    rest = request.path_params.get("rest", "")
    return problem(
        404, "moved", f"/api/v1/openai/audio/{rest} was retired: use /api/v1/audio/{rest}"
    )


async def legacy_ws(ws: WebSocket) -> None:
    await ws.send_denial_response(
        problem(
            404, "moved", "/api/v1/openai/audio/speech/ws was retired: use /api/v1/audio/speech/ws"
        )
    )
