"""What every speech provider declares (its definition) and offers (voices, models, synthesis).

Capabilities are data, not code paths: ``capabilities["speech"]["transport"]`` tells
the session factory which adapter to use, so nothing else in the app branches on a
provider's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.speech.audio import Audio

__all__ = [
    "Provider",
    "ProviderConfig",
    "ProviderDefinition",
    "Transport",
    "VoiceInfo",
]

Transport = Literal["rest", "bidirectional-ws"]


@dataclass(frozen=True)
class ProviderDefinition:
    id: str
    name: str
    description: str
    #: e.g. {"speech": {"transport": "bidirectional-ws"}, "offline": True}
    capabilities: dict[str, Any] = field(default_factory=dict)
    #: settings this provider reads (shown by the Speech page), e.g. ("base_url", "api_key")
    needs: tuple[str, ...] = ()

    @property
    def transport(self) -> Transport:
        value = self.capabilities.get("speech", {}).get("transport", "rest")
        return "bidirectional-ws" if value == "bidirectional-ws" else "rest"


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    language: str = ""


@dataclass(frozen=True)
class ProviderConfig:
    """A snapshot of the user's choices for one provider (taken when a session starts)."""

    model: str = ""
    voice: str = ""
    base_url: str = ""
    api_key: str = ""
    response_format: str = "pcm"
    buffer_session: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    definition: ProviderDefinition
    config: ProviderConfig

    def voices(self) -> list[VoiceInfo]: ...

    def models(self) -> list[str]: ...

    def synthesize(self, text: str) -> Audio:
        """Speak one chunk of text with the configured model and voice (blocking)."""
        ...
