"""A bidirectional streaming voice (the built-in engine or ``companion-stage serve``).

Configured with a WebSocket URL and a token. Sessions normally stream through
:class:`~app.speech.streaming_session.StreamingSession`; ``synthesize`` (used when the
factory falls back to the segmenter adapter) speaks one chunk over its own socket.
Voices come from the server's listing next to the socket.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit, urlunsplit

from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.http import get_json
from app.speech.providers.base import ProviderConfig, ProviderDefinition, VoiceInfo
from app.speech.providers.openai_rest import parse_voices
from app.speech.session import SessionCallbacks

__all__ = ["DEFINITION", "StreamingProvider", "voices_url"]

DEFINITION: Final = ProviderDefinition(
    id="streaming",
    name="Streaming voice server",
    description="A companion-stage speech server or streaming engine (URL + token); "
    "speech starts while the reply is still being written.",
    capabilities={"speech": {"transport": "bidirectional-ws"}, "offline": False},
    needs=("base_url", "api_key"),
)

SYNTH_TIMEOUT_S: Final = 60.0


def voices_url(ws_url: str) -> str:
    """Where the voices are: ``…/audio/speech/ws`` -> ``…/audio/voices/streaming``.

    A bare engine (any other path) lists them at ``/api/voices``.
    """
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path
    if path.endswith("/audio/speech/ws"):
        path = path[: -len("/speech/ws")] + "/voices/streaming"
    else:
        path = "/api/voices"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class StreamingProvider:
    definition = DEFINITION

    def __init__(self, config: ProviderConfig) -> None:
        if not config.base_url:
            raise SpeechError(
                "the streaming provider needs the server's URL (Settings > Speech)",
                reason="provider-not-configured",
            )
        self.config = config

    def voices(self) -> list[VoiceInfo]:
        return parse_voices(get_json(voices_url(self.config.base_url), api_key=self.config.api_key))

    def models(self) -> list[str]:
        return [self.config.model] if self.config.model else []

    def synthesize(self, text: str) -> Audio:
        from app.speech.streaming_session import StreamingSession

        parts: list[Audio] = []
        failure: list[SpeechError] = []
        session = StreamingSession(
            self.config.base_url,
            token=self.config.api_key,
            model=self.config.model,
            voice=self.config.voice,
            buffer_session=True,
            extra_body={"segment": False},
            callbacks=SessionCallbacks(
                on_sentence=lambda s: parts.append(s.audio), on_error=failure.append
            ),
        )
        session.append_text(text)
        if not session.end(SYNTH_TIMEOUT_S):
            session.cancel("timeout")
            raise SpeechError(
                "the streaming voice did not answer in time", reason="synthesis-timeout"
            )
        if failure:
            raise failure[0]
        audio = Audio(b"", 0)
        for part in parts:
            audio = audio + part
        return audio
