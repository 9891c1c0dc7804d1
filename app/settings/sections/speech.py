"""Settings of text-to-speech: provider, model, voice, servers and the chat endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["SpeechSettings"]


@dataclass
class SpeechSettings:
    provider: str = setting(
        "piper", doc="Speech provider id (piper, espeak-ng, openai-compatible, streaming)."
    )
    model: str = setting("", doc="Model of the provider; empty means its default.")
    voice: str = setting("", doc="Voice of the provider; empty means its default.")
    rest_base_url: str = setting("", doc="Base URL of the OpenAI-compatible speech API (…/v1).")
    rest_api_key: str = setting("", doc="API key of the OpenAI-compatible speech API.")
    stream_url: str = setting(
        "", doc="WebSocket URL of the streaming voice (ws://…/api/v1/audio/speech/ws)."
    )
    stream_token: str = setting("", doc="Token of the streaming voice server.")
    buffer_session: bool = setting(
        False,
        doc="Keep streamed audio whole until the session ends (for voices whose subtitles lag).",
    )
    chat_base_url: str = setting(
        "",
        doc="OpenAI-compatible chat endpoint (e.g. a local Ollama's …/v1); "
        "empty = speak the typed text.",
    )
    chat_api_key: str = setting("", doc="API key of the chat endpoint.")
    chat_model: str = setting("", doc="Chat model name.")
    lip_sync: bool = setting(
        True, doc="Move the avatar's mouth with the voice (the shell wires Playback.on_mouth)."
    )
