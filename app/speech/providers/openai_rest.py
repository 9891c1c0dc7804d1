"""Any OpenAI-compatible ``POST {base}/audio/speech`` endpoint (REST transport).

Voices and models are listed from ``GET {base}/audio/voices`` and
``GET {base}/audio/models`` where the server offers them (OpenAI itself does not:
then the lists are empty and the user types a name).
"""

from __future__ import annotations

from typing import Any, Final

from app.errors import SpeechError
from app.speech.audio import Audio, read_wav
from app.speech.http import get_json, post_bytes
from app.speech.providers.base import ProviderConfig, ProviderDefinition, VoiceInfo

__all__ = ["DEFINITION", "OpenAIRestProvider", "parse_models", "parse_voices"]

DEFINITION: Final = ProviderDefinition(
    id="openai-compatible",
    name="OpenAI-compatible speech API",
    description="Any server with an OpenAI-style /audio/speech endpoint "
    "(base URL, key, model, voice).",
    capabilities={"speech": {"transport": "rest"}, "offline": False},
    needs=("base_url", "api_key"),
)


def _names(items: Any, key: str) -> list[Any]:
    if isinstance(items, dict):
        items = items.get(key, items.get("data", []))
    return items if isinstance(items, list) else []


def parse_voices(data: Any) -> list[VoiceInfo]:
    voices: list[VoiceInfo] = []
    for item in _names(data, "voices"):
        if isinstance(item, str):
            voices.append(VoiceInfo(item, item))
        elif isinstance(item, dict) and item.get("id"):
            voices.append(
                VoiceInfo(
                    str(item["id"]),
                    str(item.get("name") or item["id"]),
                    str(item.get("language", "")),
                )
            )
    return voices


def parse_models(data: Any) -> list[str]:
    out: list[str] = []
    for item in _names(data, "models"):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and item.get("id"):
            out.append(str(item["id"]))
    return out


class OpenAIRestProvider:
    definition = DEFINITION

    def __init__(self, config: ProviderConfig) -> None:
        if not config.base_url:
            raise SpeechError(
                "the OpenAI-compatible provider needs a base URL (Settings > Speech)",
                reason="provider-not-configured",
            )
        self.config = config
        self._base = config.base_url.rstrip("/")

    def _list(self, what: str) -> Any:
        try:
            return get_json(f"{self._base}/audio/{what}", api_key=self.config.api_key)
        except SpeechError as exc:
            if exc.reason == "not-found":
                return []
            raise

    def voices(self) -> list[VoiceInfo]:
        return parse_voices(self._list("voices"))

    def models(self) -> list[str]:
        return parse_models(self._list("models"))

    def synthesize(self, text: str) -> Audio:
        body = {
            "model": self.config.model or "tts-1",
            "input": text,
            "voice": self.config.voice or "alloy",
            "response_format": "wav",
        }
        return read_wav(post_bytes(f"{self._base}/audio/speech", body, api_key=self.config.api_key))
