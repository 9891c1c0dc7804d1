"""What every request shares: the store, the tracer, analytics, upstreams and limits.

Database calls are blocking (SQLAlchemy's sync API), so request handlers run them
on the loop's thread pool through :meth:`ServerState.db`. The config entries a
session needs (upstream, billing rate) are re-read in the background by
:meth:`ServerState.keep_config_fresh` while the server runs, so a session finds them
in memory instead of querying the database for them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

from opentelemetry.trace import Tracer

from app import log
from app.errors import ServerError
from app.server.analytics import ServerAnalytics
from app.server.billing import Charge
from app.server.config import BILLING_RATE, STREAMING_TTS_UPSTREAM, BillingRate, Upstream
from app.server.store import Store, User
from app.server.upstream import Upstreams

__all__ = ["Limits", "ServerState", "SessionConfig"]

T = TypeVar("T")

CONFIG_MISSING: Final = "config-missing"
#: a config entry read longer ago than this is read again before a session uses it
CONFIG_TTL_S: Final = 1.0
#: how often the server re-reads the config entries in the background (< the TTL, so a
#: running server's sessions always find them fresh and a change applies within a second)
CONFIG_REFRESH_S: Final = 0.5


@dataclass(frozen=True)
class Limits:
    #: largest text frame a client may send (a chunk of LLM output is tiny)
    client_frame_bytes: int = 64 * 1024
    #: how long a WebSocket client has to send its auth frame
    auth_timeout_s: float = 10.0
    #: how long to wait for the upstream's usage after the client went away
    drain_timeout_s: float = 5.0
    upstream_open_timeout_s: float = 10.0
    #: keep one connection to a used upstream open and ready for the next session
    upstream_spares: bool = True
    #: a ready connection unused this long is closed (upstreams may drop idle sockets)
    upstream_spare_max_age_s: float = 10.0
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

    async def bill(self, session_id: str, user_id: int, words: int, rate: BillingRate) -> Charge:
        """Bill a finished session (one transaction, idempotent per session id)."""
        return await self.db(self.store.bill, session_id, user_id, words, rate.flux_per_100_words)

    def session_config(self) -> SessionConfig:
        """The upstream and billing rate; ServerError(config-missing/config-invalid) otherwise.

        Served from memory while it is younger than :data:`CONFIG_TTL_S` (the background
        refresh keeps it so); read from the database otherwise.
        """
        with self._cache_lock:
            cached = self._cached
            if cached is None or time.monotonic() >= cached[0]:
                cached = self._cached = self._load_config()
        if isinstance(cached[1], ServerError):
            raise cached[1]
        return cached[1]

    def refresh_config(self) -> None:
        """Read the config entries now (what the background refresh runs)."""
        loaded = self._load_config()
        with self._cache_lock:
            self._cached = loaded

    async def keep_config_fresh(self) -> None:
        """Re-read the config entries every :data:`CONFIG_REFRESH_S` until cancelled.

        A failed read (database unreachable) drops the cached entry, so sessions read it
        themselves and report the failure, rather than run on a stale config forever.
        """
        while True:
            try:
                await self.db(self.refresh_config)
            except Exception as exc:
                with self._cache_lock:
                    self._cached = None
                log.server.debug("config refresh failed: %s", exc)
            await asyncio.sleep(CONFIG_REFRESH_S)

    def _load_config(self) -> tuple[float, SessionConfig | ServerError]:
        try:
            value: SessionConfig | ServerError = self._read_config()
        except ServerError as exc:
            value = exc
        return time.monotonic() + CONFIG_TTL_S, value

    def _read_config(self) -> SessionConfig:
        entries = self.store.get_configs(STREAMING_TTS_UPSTREAM, BILLING_RATE)
        raw_upstream = entries.get(STREAMING_TTS_UPSTREAM)
        raw_rate = entries.get(BILLING_RATE)
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
