"""Where a session's audio comes from: the configured streaming upstream, or the built-in one.

``url: "builtin"`` means the offline streaming engine of ``app.speech.engine``; the
server starts it on a private loopback port the first time a session needs it, with
a random token so nothing else on the machine can use it, and stops it on shutdown.

Opening an upstream socket (TCP and the WebSocket handshake) is most of what the proxy
adds to a session's time to first audio, so once a session has used an upstream the
server keeps one connection to it open and ready (a *spare*): the next session that
passed its pre-flight takes it instead of opening one, and a new spare is opened in
the background. A session refused at pre-flight never takes or opens one. A spare
unused for :attr:`~app.server.state.Limits.upstream_spare_max_age_s` is closed (an
upstream may drop idle sockets) and not replaced until a session uses the upstream
again, so a quiet server holds nothing open. ``Limits(upstream_spares=False)`` turns
this off.

Whether a configured upstream is reached through a proxy (``HTTPS_PROXY``, ``NO_PROXY``
… in the environment, as websockets decides it) is worked out once per URL, not on
every session: scanning the environment costs about half a millisecond each time. The
built-in upstream is always reached directly.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State
from websockets.proxy import get_proxy
from websockets.uri import parse_uri

from app import log
from app.server.config import Upstream
from app.speech.engine import EngineOptions, StreamingEngine

__all__ = ["Endpoint", "Upstreams", "open_upstream", "proxy_for"]


@dataclass(frozen=True)
class Endpoint:
    ws_url: str
    token: str
    provider: str
    model: str
    #: the proxy to reach it through (None: directly), as ``websockets.connect(proxy=…)``
    proxy: str | None = None

    @property
    def voices_url(self) -> str:
        """The upstream's own voice list: ``GET /api/voices?provider=…`` next to its socket."""
        parts = urlsplit(self.ws_url)
        scheme = {"ws": "http", "wss": "https"}[parts.scheme]
        query = urlencode({"provider": self.provider}) if self.provider else ""
        return urlunsplit((scheme, parts.netloc, "/api/voices", query, ""))


@functools.lru_cache(maxsize=64)
def proxy_for(ws_url: str) -> str | None:
    """The proxy the environment names for ``ws_url`` (None: connect directly)."""
    return get_proxy(parse_uri(ws_url))


@dataclass
class _Spare:
    conn: ClientConnection
    opened: float
    expiry: asyncio.TimerHandle


class Upstreams:
    def __init__(
        self,
        builtin_options: EngineOptions | None = None,
        *,
        spares: bool = True,
        spare_max_age_s: float = 10.0,
    ) -> None:
        self._builtin_options = builtin_options
        self._builtin: StreamingEngine | None = None
        self._builtin_token = ""
        self._lock = asyncio.Lock()
        self._spares_on = spares
        self._spare_max_age_s = spare_max_age_s
        self._spares: dict[Endpoint, _Spare] = {}
        self._refills: dict[Endpoint, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    async def resolve(self, upstream: Upstream) -> Endpoint:
        if not upstream.builtin:
            return Endpoint(
                upstream.url,
                upstream.auth,
                upstream.provider,
                upstream.model,
                proxy_for(upstream.url),
            )
        async with self._lock:
            if self._builtin is None:
                self._builtin_token = secrets.token_urlsafe(24)
                options = self._builtin_options or EngineOptions()
                options.host, options.port, options.token = "127.0.0.1", 0, self._builtin_token
                engine = StreamingEngine(options)
                await engine.start()
                self._builtin = engine
                log.server.info("built-in streaming engine on %s", engine.url)
            return Endpoint(
                self._builtin.url,
                self._builtin_token,
                provider=upstream.provider or "piper",
                model=upstream.model,
            )

    async def connect(self, endpoint: Endpoint, open_timeout: float) -> ClientConnection:
        """A connection to ``endpoint`` for one session: the ready spare, else a new one.

        Raises what ``websockets.connect`` raises (OSError, InvalidHandshake, TimeoutError).
        """
        conn = self._take_spare(endpoint)
        if conn is None:
            conn = await open_upstream(endpoint, open_timeout)
        return conn

    def replenish(self, endpoint: Endpoint, open_timeout: float) -> None:
        """Open a spare to ``endpoint`` in the background, unless one is ready or opening.

        The proxy calls this once a session's first audio is out (or it ended), so the
        spare's handshake never competes with a session's time to first audio.
        """
        if (
            not self._spares_on
            or self._closed
            or endpoint in self._spares
            or endpoint in self._refills
        ):
            return
        self._refills[endpoint] = asyncio.create_task(
            self._open_spare(endpoint, open_timeout), name="upstream-spare"
        )

    def ready_spares(self) -> int:
        """How many spare connections are open and waiting (diagnostics, tests)."""
        return sum(s.conn.state is State.OPEN for s in list(self._spares.values()))

    def _take_spare(self, endpoint: Endpoint) -> ClientConnection | None:
        spare = self._spares.pop(endpoint, None)
        if spare is None:
            return None
        spare.expiry.cancel()
        age = time.monotonic() - spare.opened
        if spare.conn.state is State.OPEN and age < self._spare_max_age_s:
            return spare.conn
        self._close_later(spare.conn)  # the upstream dropped it, or it is too old to trust
        return None

    async def _open_spare(self, endpoint: Endpoint, open_timeout: float) -> None:
        try:
            conn = await open_upstream(endpoint, open_timeout)
        except Exception as exc:  # the next session opens its own and reports the failure
            log.server.debug("no spare connection to %s: %s", endpoint.ws_url, exc)
            return
        finally:
            self._refills.pop(endpoint, None)
        if self._closed or endpoint in self._spares:
            self._close_later(conn)
            return
        expiry = asyncio.get_running_loop().call_later(
            self._spare_max_age_s, self._expire, endpoint, conn
        )
        self._spares[endpoint] = _Spare(conn, time.monotonic(), expiry)

    def _expire(self, endpoint: Endpoint, conn: ClientConnection) -> None:
        spare = self._spares.get(endpoint)
        if spare is not None and spare.conn is conn:
            del self._spares[endpoint]
            self._close_later(conn)

    def _close_later(self, conn: ClientConnection) -> None:
        task = asyncio.create_task(conn.close(), name="upstream-spare-close")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._refills.values()):
            task.cancel()
        await asyncio.gather(*self._refills.values(), return_exceptions=True)
        for endpoint in list(self._spares):
            spare = self._spares.pop(endpoint)
            spare.expiry.cancel()
            self._close_later(spare.conn)
        await asyncio.gather(*self._closing, return_exceptions=True)
        if self._builtin is not None:
            await self._builtin.stop()
            self._builtin = None


async def open_upstream(endpoint: Endpoint, open_timeout: float) -> ClientConnection:
    """One socket to the streaming upstream, the way every caller (proxy, REST) opens it."""
    headers = {"Authorization": f"Bearer {endpoint.token}"} if endpoint.token else None
    return await connect(
        endpoint.ws_url,
        additional_headers=headers,
        compression=None,
        proxy=endpoint.proxy,
        max_size=None,
        open_timeout=open_timeout,
        close_timeout=2,
    )
