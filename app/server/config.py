"""The server's settings that live in the database's config store, read per session.

``STREAMING_TTS_UPSTREAM`` names the streaming voice the proxy forwards to (``url``
"builtin" = the offline engine the server hosts itself), ``BILLING_RATE`` the flux
per 100 words, ``ANALYTICS`` the opt-in PostHog project. Keeping them in the
database lets every replica of a team server agree without restarts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from app.errors import ServerError

__all__ = [
    "ANALYTICS",
    "BILLING_RATE",
    "BUILTIN",
    "STREAMING_TTS_UPSTREAM",
    "AnalyticsConfig",
    "BillingRate",
    "Upstream",
]

STREAMING_TTS_UPSTREAM: Final = "STREAMING_TTS_UPSTREAM"
BILLING_RATE: Final = "BILLING_RATE"
ANALYTICS: Final = "ANALYTICS"
BUILTIN: Final = "builtin"


def _bad(key: str, why: str) -> ServerError:
    return ServerError(f"the config entry {key} is invalid: {why}", reason="config-invalid")


@dataclass(frozen=True)
class Upstream:
    url: str
    provider: str = "piper"
    model: str = ""
    #: bearer token the upstream expects ("" = none)
    auth: str = ""

    @property
    def builtin(self) -> bool:
        return self.url == BUILTIN

    @classmethod
    def parse(cls, value: Any) -> Upstream:
        if not isinstance(value, dict) or not isinstance(value.get("url"), str) or not value["url"]:
            raise _bad(STREAMING_TTS_UPSTREAM, "it needs a url")
        url = value["url"]
        if url != BUILTIN and not url.startswith(("ws://", "wss://")):
            raise _bad(STREAMING_TTS_UPSTREAM, f"{url!r} is not a ws:// or wss:// URL")
        fields = {k: str(value.get(k) or "") for k in ("provider", "model", "auth")}
        return cls(url=url, **fields)

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class BillingRate:
    flux_per_100_words: int = 1

    @classmethod
    def parse(cls, value: Any) -> BillingRate:
        rate = value.get("flux_per_100_words") if isinstance(value, dict) else None
        if not isinstance(rate, int) or isinstance(rate, bool) or rate < 0:
            raise _bad(BILLING_RATE, "flux_per_100_words must be a whole number >= 0")
        return cls(rate)

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class AnalyticsConfig:
    """Server analytics are off unless this entry exists with enabled and a project key."""

    enabled: bool = False
    project_key: str = ""
    host: str = ""

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.project_key) and bool(self.host)

    @classmethod
    def parse(cls, value: Any) -> AnalyticsConfig:
        if not isinstance(value, dict):
            return cls()
        return cls(
            bool(value.get("enabled")),
            str(value.get("project_key") or ""),
            str(value.get("host") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
