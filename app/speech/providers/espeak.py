"""espeak-ng through its command line: robotic but always there, and in ~100 languages.

The Debian package is installed by the set-up scripts; ``--stdout`` gives a WAV on
standard output, and ``--voices`` the voice list.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Final

from app.errors import SpeechError
from app.speech.audio import Audio, read_wav
from app.speech.providers.base import ProviderConfig, ProviderDefinition, VoiceInfo

__all__ = ["DEFINITION", "EspeakProvider", "parse_voice_list"]

DEFINITION: Final = ProviderDefinition(
    id="espeak-ng",
    name="eSpeak NG",
    description="Small formant voice in about a hundred languages; always available offline.",
    capabilities={"speech": {"transport": "rest"}, "offline": True},
)

TIMEOUT_S: Final = 30.0


def _binary() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise SpeechError(
            "espeak-ng is not installed; install the espeak-ng package (./scripts/run.sh does it)",
            reason="espeak-missing",
        )
    return found


def parse_voice_list(output: str) -> list[VoiceInfo]:
    """Rows of ``espeak-ng --voices``: Pty Language Age/Gender VoiceName File Other."""
    voices: list[VoiceInfo] = []
    for line in output.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 4:
            voices.append(VoiceInfo(id=cols[1], name=cols[3].replace("_", " "), language=cols[1]))
    return voices


class EspeakProvider:
    definition = DEFINITION

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def voices(self) -> list[VoiceInfo]:
        out = subprocess.run(
            [_binary(), "--voices"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
        return parse_voice_list(out.stdout)

    def models(self) -> list[str]:
        return ["espeak-ng"]

    def synthesize(self, text: str) -> Audio:
        argv = [_binary(), "--stdout", "-v", self.config.voice or "en-us", "--", text]
        try:
            out = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SpeechError("espeak-ng took too long", reason="synthesis-timeout") from exc
        if out.returncode != 0 or not out.stdout:
            detail = out.stderr.decode(errors="replace").strip() or f"exit status {out.returncode}"
            if "voice does not exist" in detail:
                raise SpeechError(
                    f"espeak-ng has no voice {self.config.voice!r}", reason="unknown-voice"
                )
            raise SpeechError(f"espeak-ng failed: {detail}", reason="synthesis-failed")
        return read_wav(out.stdout)
