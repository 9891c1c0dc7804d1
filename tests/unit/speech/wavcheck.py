"""Helpers the speech tests share: read a WAV back and measure that it holds speech."""

from __future__ import annotations

import math
import wave
from pathlib import Path

from app.speech.audio import Audio

__all__ = ["rms", "wav_audio"]


def wav_audio(path: Path) -> Audio:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        return Audio(wav.readframes(wav.getnframes()), wav.getframerate())


def rms(audio: Audio) -> float:
    samples = memoryview(audio.pcm).cast("h")
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768
