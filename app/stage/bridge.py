"""The host end of the stage bridge: an authenticated loopback WebSocket server.

The Godot child connects back to this server; nothing else on the machine may. The
server lives on its own thread with its own asyncio loop so that Qt's event loop,
the command line and tests can all use it through the same thread-safe calls:
``send`` for fire-and-forget envelopes and ``request`` for ones answered by ``re``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import ipaddress
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import Event

from app import __version__, log
from app.errors import BridgeError
from app.loop_shutdown import close_loop, stop_accepting
from app.stage import protocol
from app.stage.protocol import Envelope, Hello, Log, Payload, ProtocolError, Welcome

__all__ = [
    "CLOSE_BAD_HELLO",
    "CLOSE_BUSY",
    "HELLO_TIMEOUT_S",
    "PATH",
    "TOKEN_ENV",
    "BridgeEvent",
    "Message",
    "PeerConnected",
    "PeerDisconnected",
    "StageBridge",
]

PATH: Final = "/stage"
TOKEN_ENV: Final = "COMPANION_STAGE_BRIDGE_TOKEN"
HELLO_TIMEOUT_S: Final = 3.0
CLOSE_BAD_HELLO: Final = 4401
CLOSE_BUSY: Final = 4409


@dataclass(frozen=True)
class PeerConnected:
    """A stage said a good hello; ``engine`` is what it called itself."""

    engine: str


@dataclass(frozen=True)
class PeerDisconnected:
    code: int | None
    reason: str


@dataclass(frozen=True)
class Message:
    """An envelope from the authenticated stage (replies to requests included)."""

    envelope: Envelope


BridgeEvent = PeerConnected | PeerDisconnected | Message
Listener = Callable[[BridgeEvent], None]


_DATA_OPCODES: Final = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT})


class _StageConnection(ServerConnection):
    """A connection that hands each whole message to ``on_message`` as soon as it is read.

    Once the stage is authenticated, going through the connection's message queue and
    waking the handler task for every frame cost each round trip ~50 µs of a ~450 µs ping.
    The queue still takes what cannot come this way: the hello, and messages split into
    fragments (the stage never sends them). While the queue holds a message not yet
    taken, whole frames queue behind it too, so the order is always the wire's.
    """

    on_message: Callable[[str | bytes], None] | None = None
    _queued = 0  # whole messages put in the queue and not yet taken by the handler

    def taken(self) -> None:
        """The handler took one message from the queue (``recv`` or ``async for``)."""
        self._queued -= 1

    def process_event(self, event: Event) -> None:
        if not isinstance(event, Frame) or event.opcode not in _DATA_OPCODES:
            super().process_event(event)
            return
        handler = self.on_message
        if handler is None or not event.fin or event.opcode is Opcode.CONT or self._queued:
            if event.fin:
                self._queued += 1
            super().process_event(event)
            return
        data = bytes(event.data)
        if event.opcode is Opcode.TEXT:
            try:
                handler(data.decode("utf-8"))
                return
            except UnicodeDecodeError:
                pass  # handed over raw: the parser refuses it as bad-json with a reply
        handler(data)


class StageBridge:
    """Loopback WebSocket server for exactly one authenticated stage at a time.

    Listeners run on the bridge thread: they must be quick and must not block on
    the bridge (hand the event to your own thread or event loop instead).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        token: str | None = None,
        hello_timeout_s: float = HELLO_TIMEOUT_S,
        max_frame_bytes: int = protocol.MAX_FRAME_BYTES,
    ) -> None:
        if not _is_loopback(host):
            raise BridgeError(
                f"the stage bridge only listens on loopback, not {host!r}", reason="not-loopback"
            )
        self.host = host
        self.token = token or secrets.token_urlsafe(32)
        self.hello_timeout_s = hello_timeout_s
        self.max_frame_bytes = max_frame_bytes
        self._listeners: list[Listener] = []
        self._pending: dict[str, concurrent.futures.Future[Envelope]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._loop_thread_id: int | None = None
        self._server: Server | None = None
        self._peer: ServerConnection | None = None
        self._port = 0

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> StageBridge:
        """Bind a free port and serve on a background thread; returns once listening."""
        if self._thread is not None:
            return self
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="stage-bridge", daemon=True
        )
        self._thread.start()
        started.result(timeout=10)
        return self

    def close(self) -> None:
        """Close the peer and the server, fail pending requests, join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._fail_pending(BridgeError("the stage bridge was closed", reason="bridge-closed"))

    def __enter__(self) -> StageBridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self._port}{PATH}"

    @property
    def connected(self) -> bool:
        return self._peer is not None

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # --- sending (any thread) ----------------------------------------------------------------

    def send(self, payload: Payload, *, re: str | None = None) -> str:
        """Send one envelope to the stage; returns its id. Raises if no stage is connected."""
        envelope = Envelope(protocol.new_id(), payload, re=re)
        self._submit(protocol.serialise(envelope))
        return envelope.id

    def send_text(self, text: str) -> None:
        """Send a raw text frame, valid or not: for diagnostics and protocol tests."""
        self._submit(text)

    def request(self, payload: Payload) -> tuple[str, concurrent.futures.Future[Envelope]]:
        """Send an envelope whose answer carries ``re`` = its id; the future gets that answer.

        The future fails with BridgeError when the stage disconnects first. Callers
        that no longer care (a newer request superseded this one) just drop it.
        """
        envelope = Envelope(protocol.new_id(), payload)
        future: concurrent.futures.Future[Envelope] = concurrent.futures.Future()
        with self._lock:
            self._pending[envelope.id] = future
        try:
            self._submit(protocol.serialise(envelope))
        except BridgeError as exc:
            with self._lock:
                self._pending.pop(envelope.id, None)
            future.set_exception(exc)
        return envelope.id, future

    def forget(self, request_id: str) -> None:
        """Stop waiting for an answer to ``request_id`` (a late answer is then ignored)."""
        with self._lock:
            future = self._pending.pop(request_id, None)
        if future is not None:
            future.cancel()

    def disconnect_peer(self, code: int = 1000, reason: str = "") -> None:
        """Close the current stage connection (the stage quits when its bridge closes)."""
        loop, peer = self._loop, self._peer
        if loop is not None and peer is not None:
            asyncio.run_coroutine_threadsafe(peer.close(code, reason), loop)

    def _submit(self, text: str) -> None:
        loop, peer = self._loop, self._peer
        if loop is None or peer is None or loop.is_closed():
            raise BridgeError("no stage is connected to the bridge", reason="not-connected")
        if threading.get_ident() == self._loop_thread_id:
            self._send_now(peer, text)
        else:
            loop.call_soon_threadsafe(self._send_now, peer, text)

    def _send_now(self, peer: ServerConnection, text: str) -> None:
        """Write the frame at once (bridge thread only).

        ``broadcast`` is websockets' synchronous send: no task and no extra loop turn per
        frame (``send()`` cost a ping ~60 µs). It skips a closing peer, as the old send's
        ConnectionClosed was ignored; it has no backpressure, which frames of at most
        1 MiB to a local peer do not need.
        """
        try:
            broadcast([peer], text, raise_exceptions=True)
        except ExceptionGroup as failed:
            log.bridge.warning("sending to the stage failed: %s", failed.exceptions[0].__cause__)

    # --- the bridge thread -------------------------------------------------------------------

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._loop_thread_id = threading.get_ident()
        try:
            try:
                server = loop.run_until_complete(self._listen())
            except OSError as exc:
                started.set_exception(
                    BridgeError(f"cannot listen on {self.host}: {exc}", reason="listen-failed")
                )
                return
            self._server = server
            started.set_result(None)
            loop.run_forever()
            loop.run_until_complete(stop_accepting(server.server))
            server.close()
            loop.run_until_complete(asyncio.wait_for(server.wait_closed(), 5))
        except (TimeoutError, RuntimeError) as exc:
            log.bridge.warning("bridge shut down uncleanly: %s", exc)
        finally:
            self._peer = None
            close_loop(loop)

    async def _listen(self) -> Server:
        server = await serve(
            self._handle,
            self.host,
            0,
            process_request=self._check_request,
            max_size=self.max_frame_bytes,
            compression=None,
            ping_interval=None,
            create_connection=_StageConnection,
            server_header=f"companion-stage/{__version__}",
        )
        self._port = server.sockets[0].getsockname()[1]
        log.bridge.info("bridge listening on %s", self.url)
        return server

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        remote = connection.remote_address[0] if connection.remote_address else ""
        if not _is_loopback(remote):
            log.bridge.warning("refused a connection from %s", remote)
            return connection.respond(HTTPStatus.FORBIDDEN, "loopback only\n")
        if request.path != PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"the stage bridge is at {PATH}\n")
        # Browsers always send Origin and may be pointed at loopback by any web page (or by
        # DNS rebinding, which shows in Host): only a local non-browser client may talk here.
        if "Origin" in request.headers:
            log.bridge.warning(
                "refused a browser connection (Origin %s)", request.headers["Origin"]
            )
            return connection.respond(HTTPStatus.FORBIDDEN, "browsers may not connect\n")
        hosts = request.headers.get_all("Host")
        if len(hosts) != 1 or hosts[0] not in self._hosts():
            log.bridge.warning("refused a connection for host %r", hosts)
            return connection.respond(HTTPStatus.FORBIDDEN, "wrong host\n")
        return None

    def _hosts(self) -> set[str]:
        return {f"{host}:{self._port}" for host in (self.host, "127.0.0.1", "localhost")}

    async def _handle(self, connection: ServerConnection) -> None:
        assert isinstance(connection, _StageConnection)  # serve(create_connection=…)
        hello = await self._authenticate(connection)
        if hello is None:
            return
        if self._peer is not None:
            log.bridge.warning("refused a second stage while one is connected")
            await connection.close(CLOSE_BUSY, "a stage is already connected")
            return
        self._peer = connection
        connection.on_message = lambda frame: self._receive_safely(connection, frame)
        await connection.send(
            protocol.serialise(
                Envelope(
                    protocol.new_id(),
                    Welcome(protocol.PROTOCOL_VERSION, f"companion-stage {__version__}"),
                    re=hello.id,
                )
            )
        )
        assert isinstance(hello.payload, Hello)
        log.bridge.info("stage connected: %s", hello.payload.engine)
        self._emit(PeerConnected(hello.payload.engine))
        try:
            async for frame in connection:
                connection.taken()
                self._receive(connection, frame)
        except ConnectionClosed:
            pass
        finally:
            self._peer = None
            code, reason = connection.close_code, connection.close_reason or ""
            log.bridge.info("stage disconnected (%s %s)", code, reason)
            self._fail_pending(
                BridgeError("the stage disconnected before answering", reason="stage-disconnected")
            )
            self._emit(PeerDisconnected(code, reason))

    async def _authenticate(self, connection: _StageConnection) -> Envelope | None:
        try:
            frame = await asyncio.wait_for(connection.recv(), self.hello_timeout_s)
            connection.taken()
        except TimeoutError:
            log.bridge.warning("refused a peer: no hello within %.1f s", self.hello_timeout_s)
            await connection.close(CLOSE_BAD_HELLO, "hello expected")
            return None
        except ConnectionClosed:
            return None
        try:
            envelope = protocol.parse(frame, accept=frozenset({"hello"}))
        except ProtocolError as exc:
            log.bridge.warning("refused a peer: bad hello (%s: %s)", exc.code, exc.message)
            await connection.close(CLOSE_BAD_HELLO, "hello expected")
            return None
        hello = envelope.payload
        assert isinstance(hello, Hello)
        if not hmac.compare_digest(hello.token.encode(), self.token.encode()):
            log.bridge.warning("refused a peer: wrong token")
            await connection.close(CLOSE_BAD_HELLO, "bad token")
            return None
        if hello.protocol != protocol.PROTOCOL_VERSION:
            log.bridge.warning("refused a peer speaking protocol %s", hello.protocol)
            await connection.close(
                CLOSE_BAD_HELLO, f"protocol {protocol.PROTOCOL_VERSION} expected"
            )
            return None
        return envelope

    def _receive_safely(self, connection: ServerConnection, frame: str | bytes) -> None:
        """``_receive`` for frames read in the connection's own data callback, where an
        exception would stop the connection reading at all."""
        try:
            self._receive(connection, frame)
        except Exception:
            log.bridge.exception("handling a frame from the stage failed")

    def _receive(self, connection: ServerConnection, frame: str | bytes) -> None:
        try:
            envelope = protocol.parse(
                frame, accept=protocol.STAGE_TO_HOST, max_bytes=self.max_frame_bytes
            )
        except ProtocolError as exc:
            log.bridge.warning("refused a frame from the stage (%s): %s", exc.code, exc.message)
            self._send_now(connection, protocol.serialise(protocol.error_reply(exc)))
            return
        if envelope.type == "error":
            log.bridge.warning("the stage refused our frame %s: %s", envelope.re, envelope.payload)
        elif isinstance(envelope.payload, Log):
            level = logging.getLevelNamesMapping()[envelope.payload.level.upper()]
            log.stage.log(level, "stage: %s", envelope.payload.message)
        if envelope.re is not None:
            with self._lock:
                future = self._pending.pop(envelope.re, None)
            if future is not None and not future.done():
                future.set_result(envelope)
        self._emit(Message(envelope))

    def _emit(self, event: BridgeEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.bridge.exception("a bridge listener failed on %s", type(event).__name__)

    def _fail_pending(self, error: BridgeError) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

