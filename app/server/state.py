"""What every request shares: the store, the tracer, analytics, upstreams and limits.

Database calls are blocking (SQLAlchemy's sync API), so request handlers run them
on the loop's thread pool through :meth:`ServerState.db`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

from opentelemetry.trace import Tracer

from app.errors import ServerError
from app.server.analytics import ServerAnalytics
from app.server.config import BILLING_RATE, STREAMING_TTS_UPSTREAM, BillingRate, Upstream
from app.server.store import Store, User
from app.server.upstream import Upstreams

__all__ = ["Limits", "ServerState", "SessionConfig"]

T = TypeVar("T")

CONFIG_MISSING: Final = "config-missing"
#: config entries are re-read at most this often (a change applies within it)
CONFIG_TTL_S: Final = 1.0


@dataclass(frozen=True)
class Limits:
    #: largest text frame a client may send (a chunk of LLM output is tiny)
    client_frame_bytes: int = 64 * 1024
    #: how long a WebSocket client has to send its auth frame
    auth_timeout_s: float = 10.0
    #: how long to wait for the upstream's usage after the client went away
    drain_timeout_s: float = 5.0
    upstream_open_timeout_s: float = 10.0
    #: POST /audio/speech input limit (characters), as OpenAI's
    rest_input_chars: int = 4096


@dataclass(frozen=True)
class SessionConfig:
    upstream: Upstream
    rate: BillingRate


@dataclass
class ServerState:
    store: Store
    tracer: Tracer
    analytics: ServerAnalytics
    upstreams: Upstreams
    limits: Limits = field(default_factory=Limits)
    _cached: tuple[float, SessionConfig | ServerError] | None = field(default=None, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def db(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.to_thread(fn, *args)

    def session_config(self) -> SessionConfig:
        """The upstream and billing rate; ServerError(config-missing/config-invalid) otherwise.

        Read once per second at most: every session needs it, and it rarely changes.
        """
        with self._cache_lock:
            cached = self._cached
            if cached is None or time.monotonic() >= cached[0]:
                try:
                    value: SessionConfig | ServerError = self._read_config()
                except ServerError as exc:
                    value = exc
                cached = self._cached = (time.monotonic() + CONFIG_TTL_S, value)
        if isinstance(cached[1], ServerError):
            raise cached[1]
        return cached[1]

    def _read_config(self) -> SessionConfig:
        raw_upstream = self.store.get_config(STREAMING_TTS_UPSTREAM)
        raw_rate = self.store.get_config(BILLING_RATE)
        missing = [
            k
            for k, v in ((STREAMING_TTS_UPSTREAM, raw_upstream), (BILLING_RATE, raw_rate))
            if v is None
        ]
        if missing:
            raise ServerError(
                f"the server is not configured: {', '.join(missing)} missing "
                "(run `companion-stage serve seed-streaming-tts`)",
                reason=CONFIG_MISSING,
            )
        return SessionConfig(Upstream.parse(raw_upstream), BillingRate.parse(raw_rate))

    def authorize(self, token: str) -> tuple[User | None, SessionConfig | ServerError]:
        """One thread hop for both: the user behind ``token`` and the session config."""
        user = self.store.authenticate(token)
        if user is None:
            return None, ServerError("a valid token is required", reason="unauthorized")
        try:
            return user, self.session_config()
        except ServerError as exc:
            return user, exc
