"""Where a session's audio comes from: the configured streaming upstream, or the built-in one.

``url: "builtin"`` means the offline streaming engine of ``app.speech.engine``; the
server starts it on a private loopback port the first time a session needs it, with
a random token so nothing else on the machine can use it, and stops it on shutdown.

Whether a configured upstream is reached through a proxy (``HTTPS_PROXY``, ``NO_PROXY``
… in the environment, as websockets decides it) is worked out once per URL, not on
every session: scanning the environment costs about half a millisecond each time. The
built-in upstream is always reached directly.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.proxy import get_proxy
from websockets.uri import parse_uri

from app import log
from app.server.config import Upstream
from app.speech.engine import EngineOptions, StreamingEngine

__all__ = ["Endpoint", "Upstreams", "proxy_for"]


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


class Upstreams:
    def __init__(self, builtin_options: EngineOptions | None = None) -> None:
        self._builtin_options = builtin_options
        self._builtin: StreamingEngine | None = None
        self._builtin_token = ""
        self._lock = asyncio.Lock()

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
                self._builtin.url, self._builtin_token, upstream.provider or "piper", upstream.model
            )

    async def close(self) -> None:
        if self._builtin is not None:
            await self._builtin.stop()
            self._builtin = None
