"""One streaming TTS session: authenticate, pre-flight, forward both ways, bill, trace.

Frames are forwarded one at a time as they arrive, in order, in both directions (a
task per direction); nothing waits for a whole sentence. The upstream's
``session.finished`` is the bill: its ``usage.text_words`` is charged in one
transaction keyed by the session id, and the client's copy of the event carries
what was charged and what could not be. If the client goes away the upstream is
cancelled and whatever usage it still reports is billed; if the upstream dies
the client is told ``upstream-closed`` and nothing is charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from app import log
from app.errors import ServerError, SpeechError
from app.server.analytics import FluxExhausted, SessionFinished
from app.server.billing import Charge
from app.server.state import ServerState, SessionConfig
from app.server.store import User
from app.server.upstream import Endpoint
from app.speech.protocol import error_event, parse_client_frame, parse_server_event

__all__ = ["CLOSE_INSUFFICIENT_FLUX", "CLOSE_UNAUTHORIZED", "ProxySession", "bearer"]

CLOSE_UNAUTHORIZED: Final = 4401
CLOSE_INSUFFICIENT_FLUX: Final = 4402
CLOSE_NORMAL: Final = 1000
CLOSE_POLICY: Final = 1008
CLOSE_TOO_BIG: Final = 1009
CLOSE_SERVER_ERROR: Final = 1011
URL_TOKEN_PARAMS: Final = ("token", "access_token", "api_key", "key")


def bearer(header: str | None) -> str:
    if not header:
        return ""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class _Stop(Exception):
    """Ends the session with an error event for the client and a close code."""

    def __init__(self, outcome: str, code: str, message: str, close: int, **extra: Any) -> None:
        super().__init__(message)
        self.outcome, self.code, self.message, self.close, self.extra = (
            outcome,
            code,
            message,
            close,
            extra,
        )


@dataclass
class _Record:
    """What the span and analytics report when the session ends."""

    outcome: str = "unknown"
    model: str = ""
    voice: str = ""
    words: int = 0
    charge: Charge | None = None
    user: User | None = None
    started: float = field(default_factory=time.monotonic)


class ProxySession:
    def __init__(self, ws: WebSocket, state: ServerState) -> None:
        self.ws = ws
        self.state = state
        self.session_id = str(uuid.uuid4())
        self.record = _Record()
        self.client_gone = False
        #: we sent the upstream a cancel (client gone or bad frame): a clean close is expected
        self.cancelled = False
        self.upstream: ClientConnection | None = None
        self.config: SessionConfig | None = None
        self.endpoint: Endpoint | None = None
        self._replenished = False
        self._finished = asyncio.Event()

    async def run(self) -> None:
        with self.state.tracer.start_as_current_span("tts.session", kind=SpanKind.SERVER) as span:
            span.set_attribute("session.id", self.session_id)
            try:
                await self._run()
            except _Stop as stop:
                self.record.outcome = stop.outcome
                await self._send_text(error_event(stop.code, stop.message, **stop.extra))
                await self._close(stop.close, stop.code)
            except Exception:
                self.record.outcome = "server-error"
                log.server.exception("session %s failed", self.session_id)
                await self._send_text(error_event("server-error", "the speech server failed"))
                await self._close(CLOSE_SERVER_ERROR, "server-error")
                raise
            finally:
                if self.upstream is not None:
                    self._replenish()
                    await self.upstream.close()
                self._report(span)

    # -- set-up ----------------------------------------------------------------------------

    async def _run(self) -> None:
        in_url = any(p in self.ws.query_params for p in URL_TOKEN_PARAMS)
        header = "" if in_url else bearer(self.ws.headers.get("authorization"))
        # a token in the header is looked up while the handshake completes
        lookup = asyncio.ensure_future(self._authorize(header)) if header else None
        try:
            await self.ws.accept()
        except BaseException:
            if lookup is not None:
                lookup.cancel()
                await asyncio.gather(lookup, return_exceptions=True)
            raise
        if in_url:
            raise _Stop(
                "unauthorized",
                "unauthorized",
                "tokens are never accepted in the URL: send "
                'an Authorization header or a first frame {"event":"auth","token":…}',
                CLOSE_UNAUTHORIZED,
            )
        if lookup is not None:
            user, config = await lookup
        else:
            user, config = await self._authorize(await self._auth_frame())
        if user is None:
            raise _Stop(
                "unauthorized", "unauthorized", "a valid token is required", CLOSE_UNAUTHORIZED
            )
        self.record.user = user
        if isinstance(config, ServerError):
            close = CLOSE_NORMAL if config.reason == "config-missing" else CLOSE_SERVER_ERROR
            raise _Stop(config.reason, config.reason, config.message, close)
        self.config = config
        if user.flux <= 0:
            self.state.analytics.capture(user.public_id, FluxExhausted(balance=user.flux))
            raise _Stop(
                "insufficient-flux",
                "insufficient-flux",
                f"{user.name} has no flux left; ask the server's admin for a grant",
                CLOSE_INSUFFICIENT_FLUX,
                balance=user.flux,
            )
        endpoint = await self.state.upstreams.resolve(config.upstream)
        self.upstream = await self._open(endpoint)
        self.endpoint = endpoint
        await self._pump(endpoint)
        await self._close(CLOSE_NORMAL, self.record.outcome)

    async def _authorize(self, token: str) -> tuple[User | None, SessionConfig | ServerError]:
        return await self.state.db(self.state.authorize, token)

    async def _auth_frame(self) -> str:
        try:
            message = await asyncio.wait_for(self.ws.receive(), self.state.limits.auth_timeout_s)
        except TimeoutError:
            raise _Stop(
                "unauthorized", "unauthorized", "no token arrived in time", CLOSE_UNAUTHORIZED
            ) from None
        if message["type"] == "websocket.disconnect":
            self.client_gone = True
            raise _Stop(
                "client-gone",
                "unauthorized",
                "client left before authenticating",
                CLOSE_UNAUTHORIZED,
            )
        raw = message.get("text")
        try:
            data = json.loads(raw) if isinstance(raw, str) and len(raw) < 4096 else None
        except ValueError:
            data = None
        if (
            not isinstance(data, dict)
            or data.get("event") != "auth"
            or not isinstance(data.get("token"), str)
        ):
            raise _Stop(
                "unauthorized",
                "unauthorized",
                "the first frame must be "
                '{"event":"auth","token":…} when no Authorization header is sent',
                CLOSE_UNAUTHORIZED,
            )
        return str(data["token"])

    async def _open(self, endpoint: Endpoint) -> ClientConnection:
        try:
            return await self.state.upstreams.connect(
                endpoint, self.state.limits.upstream_open_timeout_s
            )
        except InvalidStatus as exc:
            raise _Stop(
                "upstream-unavailable",
                "upstream-unavailable",
                f"the streaming voice refused the connection (HTTP {exc.response.status_code})",
                CLOSE_SERVER_ERROR,
            ) from None
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise _Stop(
                "upstream-unavailable",
                "upstream-unavailable",
                f"cannot reach the streaming voice: {exc}",
                CLOSE_SERVER_ERROR,
            ) from None

    # -- forwarding ------------------------------------------------------------------------

    async def _pump(self, endpoint: Endpoint) -> None:
        up = asyncio.create_task(self._client_to_upstream(endpoint))
        down = asyncio.create_task(self._upstream_to_client())
        try:
            done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            if down in done:
                up.cancel()
                down.result()  # re-raises _Stop
                return
            try:
                up.result()
            except _Stop:
                await self._cancel_upstream()  # bad client frame: stop the voice, bill what it says
                with contextlib.suppress(TimeoutError, _Stop):
                    await asyncio.wait_for(asyncio.shield(down), self.state.limits.drain_timeout_s)
                raise
            # the client went away: cancel the upstream and bill only what it reports
            await self._cancel_upstream()
            with contextlib.suppress(TimeoutError, _Stop):
                await asyncio.wait_for(down, self.state.limits.drain_timeout_s)
            if self.record.charge is None:
                self.record.outcome = "client-gone"
        finally:
            for task in (up, down):
                task.cancel()
            await asyncio.gather(up, down, return_exceptions=True)

    async def _client_to_upstream(self, endpoint: Endpoint) -> None:
        assert self.upstream is not None
        started = False
        limit = self.state.limits.client_frame_bytes
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                self.client_gone = True
                return
            raw = message.get("text")
            if raw is None:
                raise _Stop(
                    "bad-frame",
                    "bad-frame",
                    "binary frames are not accepted from clients",
                    CLOSE_POLICY,
                )
            if len(raw) > limit:
                raise _Stop(
                    "frame-too-large",
                    "frame-too-large",
                    f"a frame may carry at most {limit} bytes",
                    CLOSE_TOO_BIG,
                )
            try:
                frame = parse_client_frame(raw)
            except SpeechError as exc:
                raise _Stop("bad-frame", "bad-frame", exc.message, CLOSE_POLICY) from None
            if not started:
                if frame["event"] != "start":
                    raise _Stop(
                        "bad-frame", "bad-frame", "the first frame must be start", CLOSE_POLICY
                    )
                started = True
                self.record.model = str(frame.get("model") or endpoint.model)
                self.record.voice = str(frame.get("voice") or "")
                if not frame.get("model") and endpoint.model:
                    raw = json.dumps({**frame, "model": endpoint.model})
            elif frame["event"] == "start":
                raise _Stop("bad-frame", "bad-frame", "start may be sent once", CLOSE_POLICY)
            try:
                await self.upstream.send(raw)
            except ConnectionClosed:
                return  # the receiving side reports the upstream's close
            if frame["event"] == "cancel":
                self.cancelled = True
                self.record.outcome = "cancelled"

    async def _upstream_to_client(self) -> None:
        assert self.upstream is not None
        try:
            async for message in self.upstream:
                if isinstance(message, bytes):
                    await self._send_bytes(message)
                    self._replenish()
                    continue
                try:
                    ev = parse_server_event(message)
                except SpeechError:
                    raise _Stop(
                        "upstream-error",
                        "upstream-bad-frame",
                        "the streaming voice sent a frame that is not a protocol event",
                        CLOSE_SERVER_ERROR,
                    ) from None
                if ev.name == "session.finished":
                    await self._finish(ev.raw)
                    return
                await self._send_text(message)
                if ev.name == "error":
                    self.record.outcome = "upstream-error"
                    await self._close(CLOSE_SERVER_ERROR, "upstream error")
                    return
        except ConnectionClosed:
            pass
        if self.cancelled and self.upstream.close_code in (1000, None):
            return  # cancelled at our request and closed without usage: nothing to bill
        code = self.upstream.close_code or 1006
        raise _Stop(
            "upstream-closed",
            "upstream-closed",
            f"the streaming voice closed the connection (close code {code}) before the "
            "session finished; nothing was charged",
            CLOSE_SERVER_ERROR,
            closeCode=code,
        )

    async def _finish(self, raw: dict[str, Any]) -> None:
        found = raw.get("payload")
        payload: dict[str, Any] = found if isinstance(found, dict) else {}
        found = payload.get("usage")
        usage: dict[str, Any] = found if isinstance(found, dict) else {}
        reported = usage.get("text_words")
        words = reported if isinstance(reported, int) and reported > 0 else 0
        charge = await self._bill(words)
        usage = {
            **usage,
            "text_words": words,
            "flux_charged": charge.flux_charged,
            "flux_unbilled": charge.unbilled,
        }
        out = {
            **raw,
            "payload": {
                **payload,
                "usage": usage,
                "balance": charge.balance,
                "session_id": self.session_id,
            },
        }
        self.record.outcome = "finished" if not self.client_gone else "client-gone-billed"
        await self._send_text(json.dumps(out, ensure_ascii=False))
        await self._close(CLOSE_NORMAL, "finished")

    async def _bill(self, words: int) -> Charge:
        assert self.record.user is not None and self.config is not None
        user = self.record.user
        charge = await self.state.bill(self.session_id, user.id, words, self.config.rate)
        self.record.words, self.record.charge = words, charge
        if charge.balance <= 0 and (charge.unbilled or charge.flux_charged):
            self.state.analytics.capture(user.public_id, FluxExhausted(balance=charge.balance))
        return charge

    def _replenish(self) -> None:
        """Once per session, after its first audio: have the next session's socket ready."""
        if self.endpoint is not None and not self._replenished:
            self._replenished = True
            self.state.upstreams.replenish(self.endpoint, self.state.limits.upstream_open_timeout_s)

    async def _cancel_upstream(self) -> None:
        self.cancelled = True
        if self.upstream is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.upstream.send(json.dumps({"event": "cancel"}))

    # -- client I/O that tolerates a client that is gone ----------------------------------

    async def _send_text(self, data: str) -> None:
        if self.client_gone:
            return
        try:
            await self.ws.send_text(data)
        except Exception:  # the ASGI server reports a vanished client in several ways
            self.client_gone = True

    async def _send_bytes(self, data: bytes) -> None:
        if self.client_gone:
            return
        try:
            await self.ws.send_bytes(data)
        except Exception:
            self.client_gone = True

    async def _close(self, code: int, reason: str) -> None:
        if self.client_gone:
            return
        self.client_gone = True  # nothing more goes to this client
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason[:120])

    # -- reporting -------------------------------------------------------------------------

    def _report(self, span: Span) -> None:
        r = self.record
        charge = r.charge
        if r.user is not None:
            span.set_attribute("enduser.id", r.user.public_id)
        span.set_attributes(
            {
                "tts.model": r.model,
                "tts.voice": r.voice,
                "tts.words": r.words,
                "flux.charged": charge.flux_charged if charge else 0,
                "flux.unbilled": charge.unbilled if charge else 0,
                "session.outcome": r.outcome,
                "session.duration_ms": round((time.monotonic() - r.started) * 1000, 1),
            }
        )
        if r.outcome in (
            "server-error",
            "upstream-closed",
            "upstream-error",
            "upstream-unavailable",
        ):
            span.set_status(Status(StatusCode.ERROR, r.outcome))
        if r.user is not None and charge is not None and not charge.duplicate:
            self.state.analytics.capture(
                r.user.public_id,
                SessionFinished(
                    words=r.words,
                    flux_charged=charge.flux_charged,
                    unbilled=charge.unbilled,
                    outcome=r.outcome,
                ),
            )
        log.server.info(
            "session %s %s words=%d charged=%s",
            self.session_id,
            r.outcome,
            r.words,
            charge.flux_charged if charge else 0,
        )
