"""Settings of text-to-speech: provider, model and voice."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["SpeechSettings"]


@dataclass
class SpeechSettings:
    provider: str = setting("piper", doc="Speech provider id.")
    model: str = setting("", doc="Model of the provider; empty means its default.")
    voice: str = setting("", doc="Voice of the provider; empty means its default.")
