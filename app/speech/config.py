"""Turn the user's speech settings into a provider snapshot, reading capabilities only."""

from __future__ import annotations

from app.settings.sections.speech import SpeechSettings
from app.speech.providers.base import ProviderConfig, ProviderDefinition

__all__ = ["provider_config"]


def provider_config(settings: SpeechSettings, definition: ProviderDefinition) -> ProviderConfig:
    """The snapshot a session uses; later settings changes never touch a running session."""
    if definition.transport == "bidirectional-ws":
        base_url, api_key = settings.stream_url, settings.stream_token
    elif "base_url" in definition.needs:
        base_url, api_key = settings.rest_base_url, settings.rest_api_key
    else:
        base_url, api_key = "", ""
    return ProviderConfig(
        model=settings.model,
        voice=settings.voice,
        base_url=base_url,
        api_key=api_key,
        buffer_session=settings.buffer_session,
    )
