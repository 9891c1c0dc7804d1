"""Sends analytics events to PostHog, and nothing at all without the user's consent.

The PostHog client is created only when consent is granted and a project key is
configured; before that every call is a no-op, so "consent off" means zero network
requests, not "requests that are dropped later".
"""

from __future__ import annotations

import platform
import uuid
from dataclasses import dataclass
from typing import Any, Final

from app import __version__, log
from app.analytics.events import AppStarted, Event
from app.settings import SettingsStore

__all__ = ["Analytics", "AnalyticsConfig", "grant_consent"]

FLUSH_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class AnalyticsConfig:
    consent: str
    install_id: str
    project_key: str
    host: str

    @property
    def active(self) -> bool:
        return self.consent == "granted" and bool(self.project_key) and bool(self.install_id)


class Analytics:
    """One per process; safe to call from any thread (PostHog queues and sends in its own)."""

    def __init__(self, config: AnalyticsConfig) -> None:
        self._config = config
        self._distinct_id = config.install_id
        self._client: Any = None
        if config.active:
            from posthog import Posthog

            self._client = Posthog(
                config.project_key, host=config.host, disable_geoip=True,
                on_error=lambda error, _items: log.app.debug("analytics send failed: %s", error),
            )
            log.app.info("analytics on (anonymous install id)")

    @classmethod
    def from_settings(cls, store: SettingsStore) -> Analytics:
        privacy = store.load().settings.privacy
        return cls(AnalyticsConfig(privacy.analytics_consent, privacy.install_id,
                                   privacy.posthog_project_key, privacy.posthog_host))

    @property
    def active(self) -> bool:
        return self._client is not None

    @property
    def distinct_id(self) -> str:
        """Who events are sent as: the install id, or the person after :meth:`identify`."""
        return self._distinct_id

    def capture(self, event: Event) -> None:
        if self._client is None:
            return
        self._client.capture(
            event.name, distinct_id=self._distinct_id, properties=event.properties()
        )

    def identify(self, person_id: str) -> None:
        """Join this install's events with the person a speech server knows (by its opaque id)."""
        if self._client is None or not person_id or person_id == self._distinct_id:
            return
        self._client.alias(previous_id=self._config.install_id, distinct_id=person_id)
        self._distinct_id = person_id

    def app_started(self) -> None:
        self.capture(AppStarted(version=__version__, platform=platform.system().lower()))

    def shutdown(self) -> None:
        if self._client is not None:
            self._client.flush(timeout_seconds=FLUSH_TIMEOUT_S)
            self._client.shutdown()
            self._client = None


def grant_consent(store: SettingsStore, granted: bool) -> None:
    """Record the user's one answer; an install id is made only when they say yes."""

    def change(settings: Any) -> None:
        privacy = settings.privacy
        privacy.analytics_consent = "granted" if granted else "denied"
        if granted and not privacy.install_id:
            privacy.install_id = str(uuid.uuid4())
        if not granted:
            privacy.install_id = ""

    store.update(change)
