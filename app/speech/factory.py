"""Choose the session adapter from the provider's declared capabilities — and only here.

``capabilities.speech.transport`` "bidirectional-ws" streams through one WebSocket per
utterance; "rest" (the default) uses the segmenter adapter. A streaming provider
still falls back to the segmenter adapter when its snapshot names no voice (then the
offline default voice speaks, so the user still hears something) or when playback
is unavailable (then each chunk is synthesised over its own socket). A provider whose
definition names a ``fallback`` (the offline voice names espeak-ng) is wrapped so the
backup speaks when its voice cannot load.
"""

from __future__ import annotations

from dataclasses import dataclass

from app import log
from app.errors import SpeechError
from app.speech.providers.base import Provider, ProviderConfig
from app.speech.providers.fallback import FallbackProvider, voice_for_language
from app.speech.registry import DEFAULT_PROVIDER, ProviderRegistry
from app.speech.segmenter import SegmenterOptions
from app.speech.segmenter_session import SegmenterSession
from app.speech.session import SessionCallbacks, TtsSession
from app.speech.streaming_session import StreamingSession

__all__ = ["SessionChoice", "choose_adapter", "create_session"]


@dataclass(frozen=True)
class SessionChoice:
    adapter: str  # "streaming" | "segmenter"
    provider_id: str
    reason: str


def choose_adapter(
    registry: ProviderRegistry,
    provider_id: str,
    config: ProviderConfig,
    *,
    playback_available: bool,
) -> SessionChoice:
    definition = registry.definition(provider_id)
    if definition.transport == "bidirectional-ws":
        if not config.voice:
            return SessionChoice(
                "segmenter",
                DEFAULT_PROVIDER,
                "the streaming snapshot has no voice: the offline voice speaks",
            )
        if not playback_available:
            return SessionChoice(
                "segmenter",
                provider_id,
                "playback is unavailable: chunks are synthesised one by one",
            )
        return SessionChoice("streaming", provider_id, "the provider streams")
    return SessionChoice("segmenter", provider_id, "the provider synthesises chunk by chunk")


def create_session(
    registry: ProviderRegistry,
    provider_id: str,
    config: ProviderConfig,
    *,
    callbacks: SessionCallbacks | None = None,
    playback_available: bool = True,
    segmenter_options: SegmenterOptions | None = None,
) -> TtsSession:
    choice = choose_adapter(registry, provider_id, config, playback_available=playback_available)
    log.speech.info(
        "speech session: %s adapter via %s (%s)", choice.adapter, choice.provider_id, choice.reason
    )
    if choice.adapter == "streaming":
        return StreamingSession(
            config.base_url,
            token=config.api_key,
            model=config.model,
            voice=config.voice,
            response_format=config.response_format,
            buffer_session=config.buffer_session,
            callbacks=callbacks,
        )
    provider_config = config if choice.provider_id == provider_id else ProviderConfig()
    provider: Provider = registry.create(choice.provider_id, provider_config)
    backup_id = registry.definition(choice.provider_id).capabilities.get("fallback")
    if backup_id:
        provider = FallbackProvider(
            provider, lambda reason: _backup(registry, backup_id, provider_config, reason))
    return SegmenterSession(provider, callbacks, segmenter_options)


def _backup(
    registry: ProviderRegistry, backup_id: str, config: ProviderConfig, reason: str
) -> Provider | None:
    """The backup provider in the wanted voice's language; None for a voice name it cannot
    place (an unknown name is then reported as such, not spoken in some other voice)."""
    listing = registry.create(backup_id, ProviderConfig())
    try:
        voices = listing.voices()
    except SpeechError as exc:  # its default voice still speaks
        log.speech.info("cannot list %s voices: %s", backup_id, exc.message)
        voices = []
    voice = voice_for_language(config.voice, voices)
    if reason == "unknown-voice" and config.voice and not voice:
        return None
    return registry.create(backup_id, ProviderConfig(voice=voice))
