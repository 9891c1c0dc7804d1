"""The provider registry: definitions as data, and one place that turns an id into a provider.

Adding a provider means adding its definition and constructor here; everything else
reads capabilities from the definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.errors import SpeechError
from app.speech.providers import espeak, openai_rest, piper, streaming
from app.speech.providers.base import Provider, ProviderConfig, ProviderDefinition

__all__ = ["DEFAULT_PROVIDER", "ProviderRegistry", "default_registry"]

DEFAULT_PROVIDER: Final = "piper"

Constructor = Callable[[ProviderConfig], Provider]


@dataclass(frozen=True)
class _Entry:
    definition: ProviderDefinition
    create: Constructor


class ProviderRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def register(self, definition: ProviderDefinition, create: Constructor) -> None:
        self._entries[definition.id] = _Entry(definition, create)

    def definitions(self) -> list[ProviderDefinition]:
        return [e.definition for e in self._entries.values()]

    def definition(self, provider_id: str) -> ProviderDefinition:
        return self._entry(provider_id).definition

    def create(self, provider_id: str, config: ProviderConfig) -> Provider:
        return self._entry(provider_id).create(config)

    def _entry(self, provider_id: str) -> _Entry:
        try:
            return self._entries[provider_id]
        except KeyError:
            known = ", ".join(self._entries)
            raise SpeechError(
                f"unknown speech provider {provider_id!r} (known: {known})",
                reason="unknown-provider",
            ) from None


def default_registry(voice_dirs: tuple[Path, ...] = ()) -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.register(piper.DEFINITION, lambda c: piper.PiperProvider(c, voice_dirs=voice_dirs))
    registry.register(espeak.DEFINITION, espeak.EspeakProvider)
    registry.register(openai_rest.DEFINITION, openai_rest.OpenAIRestProvider)
    registry.register(streaming.DEFINITION, streaming.StreamingProvider)
    return registry
