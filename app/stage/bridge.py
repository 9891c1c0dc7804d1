"""The host end of the stage bridge: an authenticated loopback WebSocket server.

The Godot child connects back to this server; nothing else on the machine may. It is
websockets' threaded server rather than an asyncio one: a caller on any thread (Qt's,
the command line's, a test's) writes its frame to the socket itself, and the
connection's reader thread parses each answer and wakes the caller directly. With a
private asyncio loop in between, every request cost a loop wake-up and a second
thread hand-off: half of a bridge round trip (0.45 ms -> 0.23 ms median, measured).
``send`` is for fire-and-forget envelopes and ``request`` for ones answered by ``re``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hmac
import ipaddress
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, Literal, cast

from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import Event, State
from websockets.sync.server import Server, ServerConnection, serve

from app import __version__, log
from app.errors import BridgeError
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
#: How long a closing handshake may take before the socket is just closed.
CLOSE_TIMEOUT_S: Final = 2.0
#: A frame the stage has not taken in this long (its socket buffers full: it stopped
#: reading) fails, and the stage is dropped: no sender (the supervisor stopping it, lip
#: sync) may block on a hung Godot. Godot's poll thread reads every 2 ms, even mid-import.
SEND_TIMEOUT_S: Final = 5.0
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

Verdict = Literal["pending", "accepted"] | tuple[int, str]
"""Where a connection's hello stands: refused ones carry their close code and reason."""


class _StageConnection(ServerConnection):
    """A connection that hands each whole message to the bridge on its reader thread.

    websockets would put messages in a queue for a handler thread to take: one more
    thread wake-up per frame. Here the reader thread assembles fragments itself (the
    protocol has already checked their order and total size) and calls the bridge, so
    the hello and every later frame are handled in the wire's order.
    """

    def __init__(self, *args: Any, bridge: StageBridge, **kwargs: Any) -> None:
        # before super().__init__: it starts the reader thread, which uses these
        self._bridge = bridge
        self._parts: list[bytes] = []
        self._opcode: Opcode | None = None
        # "pending" until the hello is settled, then "accepted" or (close code, reason); set
        # once, in one assignment, so the reader never sees half of a decision
        self.verdict: Verdict = "pending"
        self.woken = threading.Event()  # a verdict was reached, or the connection ended
        super().__init__(*args, **kwargs)
        # bounds every write (reads only follow the reader's select: they never wait)
        self.socket.settimeout(bridge.send_timeout_s)

    def process_event(self, event: Event) -> None:
        if not isinstance(event, Frame) or event.opcode not in _DATA_OPCODES:
            super().process_event(event)
            return
        if event.opcode is not Opcode.CONT:
            self._opcode, self._parts = event.opcode, []
        self._parts.append(bytes(event.data))
        if not event.fin:
            return
        data, opcode = b"".join(self._parts), self._opcode
        self._parts, self._opcode = [], None
        message: str | bytes = data
        if opcode is Opcode.TEXT:
            # undecodable text is handed over raw: the parser refuses it as bad-json
            with contextlib.suppress(UnicodeDecodeError):
                message = data.decode("utf-8")
        self._bridge._on_message(self, message)

    def recv_events(self) -> None:
        try:
            super().recv_events()
        finally:
            self.woken.set()


class StageBridge:
    """Loopback WebSocket server for exactly one authenticated stage at a time.

    Listeners run on the connection's reader thread: they must be quick and must not
    block on the bridge (hand the event to your own thread or event loop instead).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        token: str | None = None,
        hello_timeout_s: float = HELLO_TIMEOUT_S,
        send_timeout_s: float = SEND_TIMEOUT_S,
        max_frame_bytes: int = protocol.MAX_FRAME_BYTES,
    ) -> None:
        if not _is_loopback(host):
            raise BridgeError(
                f"the stage bridge only listens on loopback, not {host!r}", reason="not-loopback"
            )
        self.host = host
        self.token = token or secrets.token_urlsafe(32)
        self.hello_timeout_s = hello_timeout_s
        self.send_timeout_s = send_timeout_s
        self.max_frame_bytes = max_frame_bytes
        self._listeners: list[Listener] = []
        self._pending: dict[str, concurrent.futures.Future[Envelope]] = {}
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._peer: _StageConnection | None = None
        self._port = 0

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> StageBridge:
        """Bind a free port and accept connections on a background thread."""
        if self._thread is not None:
            return self
        try:
            server = serve(
                self._handle,
                self.host,
                0,
                process_request=self._check_request,
                max_size=self.max_frame_bytes,
                compression=None,
                ping_interval=None,
                close_timeout=CLOSE_TIMEOUT_S,
                # websockets calls the factory as it would the class
                create_connection=cast(
                    type[ServerConnection], functools.partial(_StageConnection, bridge=self)
                ),
                server_header=f"companion-stage/{__version__}",
            )
        except OSError as exc:
            raise BridgeError(
                f"cannot listen on {self.host}: {exc}", reason="listen-failed"
            ) from exc
        self._server = server
        self._port = server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=server.serve_forever, name="stage-bridge", daemon=True
        )
        self._thread.start()
        log.bridge.info("bridge listening on %s", self.url)
        return self

    def close(self) -> None:
        """Close the peer and the server, fail pending requests, join the thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()  # closes every connection and waits for their handlers
        thread.join(timeout=10)
        self._server = self._thread = None
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
        """Close the current stage connection (the stage quits when its bridge closes).

        Returns at once: the closing handshake runs on a thread of its own.
        """
        peer = self._peer
        if peer is not None:
            threading.Thread(
                target=peer.close, args=(code, reason), name="stage-bridge-close", daemon=True
            ).start()

    def _submit(self, text: str) -> None:
        peer = self._peer
        if peer is None:
            raise BridgeError("no stage is connected to the bridge", reason="not-connected")
        self._send_to(peer, text)

    def _send_to(self, connection: ServerConnection, text: str) -> None:
        """Write one frame from the calling thread (websockets serialises writers).

        A connection that is closing gets nothing, quietly (its pending requests fail when
        the disconnect is handled): websockets' send would wait for such a connection's
        reader thread to end, which that thread itself, replying to a frame, cannot do. A
        close from another thread can still slip between the check and the send; on the
        reader thread that shows as the RuntimeError of joining itself, and means the same.
        A stage that stops reading fails the send after ``send_timeout_s`` and is dropped.
        """
        if connection.protocol.state is not State.OPEN:
            return
        try:
            connection.send(text)
        except ConnectionClosed:
            pass
        except RuntimeError:
            if threading.current_thread() is not connection.recv_events_thread:
                raise

    # --- per connection ----------------------------------------------------------------------

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

    def _handle(self, connection: ServerConnection) -> None:
        """The connection's handler thread: enforce the hello deadline, refuse, clean up."""
        assert isinstance(connection, _StageConnection)  # serve(create_connection=…)
        late = (CLOSE_BAD_HELLO, "hello expected")
        if not connection.woken.wait(self.hello_timeout_s) and self._decide(connection, late):
            log.bridge.warning("refused a peer: no hello within %.1f s", self.hello_timeout_s)
        verdict = connection.verdict
        if isinstance(verdict, tuple):
            connection.close(*verdict)
            return
        if verdict == "pending":
            return  # it went away before saying anything
        connection.recv_events_thread.join()
        with self._lock:
            if self._peer is connection:
                self._peer = None
        code, reason = connection.close_code, connection.close_reason or ""
        log.bridge.info("stage disconnected (%s %s)", code, reason)
        self._fail_pending(
            BridgeError("the stage disconnected before answering", reason="stage-disconnected")
        )
        self._emit(PeerDisconnected(code, reason))

    def _decide(self, connection: _StageConnection, refusal: tuple[int, str] | None) -> bool:
        """Settle a connection's hello once (the reader and the deadline race for it);
        an accepted one becomes the peer unless another stage is connected."""
        with self._lock:
            if connection.verdict != "pending":
                return False
            if refusal is None and self._peer is not None:
                log.bridge.warning("refused a second stage while one is connected")
                refusal = (CLOSE_BUSY, "a stage is already connected")
            if refusal is None:
                self._peer = connection
            connection.verdict = "accepted" if refusal is None else refusal
        connection.woken.set()
        return True

    # --- the reader threads ------------------------------------------------------------------

    def _on_message(self, connection: _StageConnection, frame: str | bytes) -> None:
        """Every whole message from a connection, in order, on its reader thread.

        An exception here would stop the connection reading at all: it is logged instead.
        """
        try:
            verdict = connection.verdict
            if verdict == "accepted":
                self._receive(connection, frame)
            elif verdict == "pending":
                self._hello(connection, frame)
            # refused: it is being closed, nothing more it says counts
        except Exception:
            log.bridge.exception("handling a frame from the stage failed")

    def _hello(self, connection: _StageConnection, frame: str | bytes) -> None:
        checked = self._check_hello(frame)
        if isinstance(checked, tuple):
            self._decide(connection, checked)
            return
        if not self._decide(connection, None) or connection.verdict != "accepted":
            return
        assert isinstance(checked.payload, Hello)
        welcome = Welcome(protocol.PROTOCOL_VERSION, f"companion-stage {__version__}")
        self._send_to(
            connection, protocol.serialise(Envelope(protocol.new_id(), welcome, re=checked.id))
        )
        log.bridge.info("stage connected: %s", checked.payload.engine)
        self._emit(PeerConnected(checked.payload.engine))

    def _check_hello(self, frame: str | bytes) -> Envelope | tuple[int, str]:
        """The hello if it is good, else the close code and reason it earns."""
        try:
            envelope = protocol.parse(frame, accept=frozenset({"hello"}))
        except ProtocolError as exc:
            log.bridge.warning("refused a peer: bad hello (%s: %s)", exc.code, exc.message)
            return CLOSE_BAD_HELLO, "hello expected"
        hello = envelope.payload
        assert isinstance(hello, Hello)
        if not hmac.compare_digest(hello.token.encode(), self.token.encode()):
            log.bridge.warning("refused a peer: wrong token")
            return CLOSE_BAD_HELLO, "bad token"
        if hello.protocol != protocol.PROTOCOL_VERSION:
            log.bridge.warning("refused a peer speaking protocol %s", hello.protocol)
            return CLOSE_BAD_HELLO, f"protocol {protocol.PROTOCOL_VERSION} expected"
        return envelope

    def _receive(self, connection: ServerConnection, frame: str | bytes) -> None:
        try:
            envelope = protocol.parse(
                frame, accept=protocol.STAGE_TO_HOST, max_bytes=self.max_frame_bytes
            )
        except ProtocolError as exc:
            log.bridge.warning("refused a frame from the stage (%s): %s", exc.code, exc.message)
            self._send_to(connection, protocol.serialise(protocol.error_reply(exc)))
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
