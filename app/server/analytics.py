"""The server's opt-in PostHog events: session finished, flux exhausted, token created.

Off unless the ``ANALYTICS`` config entry enables it with a project key; then the
``posthog`` client is created, otherwise every call is a no-op and nothing is sent.
Events carry counts only (never text or voice names) and the user's opaque public
id as distinct id, the id a desktop ``identify``s with, so both sides join.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from app import log
from app.analytics.events import Event
from app.server.config import AnalyticsConfig

__all__ = ["FluxExhausted", "ServerAnalytics", "SessionFinished", "TokenCreated"]

FLUSH_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class SessionFinished(Event):
    name: ClassVar[str] = "speech session finished"
    words: int
    flux_charged: int
    unbilled: int
    outcome: str


@dataclass(frozen=True)
class FluxExhausted(Event):
    name: ClassVar[str] = "flux exhausted"
    balance: int


@dataclass(frozen=True)
class TokenCreated(Event):
    name: ClassVar[str] = "token created"
    flux_granted: int


class ServerAnalytics:
    def __init__(self, config: AnalyticsConfig) -> None:
        self._client: Any = None
        if config.active:
            from posthog import Posthog

            self._client = Posthog(
                config.project_key,
                host=config.host,
                disable_geoip=True,
                on_error=lambda error, _items: log.server.debug("analytics send failed: %s", error),
            )
            log.server.info("server analytics on")

    @property
    def active(self) -> bool:
        return self._client is not None

    def capture(self, person_id: str, event: Event) -> None:
        if self._client is not None:
            self._client.capture(event.name, distinct_id=person_id, properties=event.properties())

    def shutdown(self) -> None:
        if self._client is not None:
            self._client.flush(timeout_seconds=FLUSH_TIMEOUT_S)
            self._client.shutdown()
            self._client = None
