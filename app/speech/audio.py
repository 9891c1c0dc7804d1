"""Mono 16-bit PCM audio as it flows from a voice to the speakers or a WAV file.

Every provider converts its output to this one shape, so sessions, playback and
lip sync handle a single format; the WAV helpers use the standard ``wave`` module.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

from app.atomic import atomic_write_bytes
from app.errors import SpeechError

__all__ = ["Audio", "read_wav", "wav_bytes"]

SAMPLE_WIDTH = 2


@dataclass(frozen=True)
class Audio:
    """Signed 16-bit little-endian mono samples at ``sample_rate``."""

    pcm: bytes
    sample_rate: int

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def __add__(self, other: Audio) -> Audio:
        if not self.pcm:
            return other
        if not other.pcm:
            return self
        if other.sample_rate != self.sample_rate:
            raise SpeechError(
                f"cannot join audio at {self.sample_rate} Hz and {other.sample_rate} Hz",
                reason="sample-rate-mismatch",
            )
        return Audio(self.pcm + other.pcm, self.sample_rate)

    def peak(self) -> int:
        if len(self.pcm) < SAMPLE_WIDTH:
            return 0
        samples = memoryview(self.pcm[: self.frames * SAMPLE_WIDTH]).cast("h")
        return max(abs(min(samples)), abs(max(samples)))

    def write_wav(self, path: Path) -> None:
        atomic_write_bytes(path, wav_bytes(self))


def wav_bytes(audio: Audio) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(audio.sample_rate)
        out.writeframes(audio.pcm)
    return buf.getvalue()


def read_wav(data: bytes) -> Audio:
    """Parse a PCM WAV, tolerating the unknown-length headers streaming tools write.

    espeak-ng ``--stdout`` and many TTS servers write 0x7fffffff/0xffffffff as the
    RIFF and data sizes because they stream; the samples then run to the end.
    Stereo is mixed down to mono; only 16-bit PCM is accepted.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("the voice did not return a WAV file", reason="bad-audio")
    pos = 12
    channels = rate = width = 0
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if kind == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", data[body : body + 8])
            width = struct.unpack("<H", data[body + 14 : body + 16])[0] // 8
            if fmt not in (1, 0xFFFE) or width != SAMPLE_WIDTH:
                raise SpeechError(
                    f"unsupported WAV encoding (format {fmt}, {width * 8} bit)", reason="bad-audio"
                )
        elif kind == b"data":
            if not rate:
                raise SpeechError("WAV data before its format chunk", reason="bad-audio")
            pcm = data[body : min(len(data), body + size)]
            pcm = pcm[: len(pcm) - len(pcm) % (SAMPLE_WIDTH * channels)]
            if channels > 1:
                pcm = _mix_down(pcm, channels)
            return Audio(pcm, rate)
        pos = body + size + (size & 1)
    raise SpeechError("the WAV file holds no audio data", reason="bad-audio")


def _mix_down(pcm: bytes, channels: int) -> bytes:
    samples = memoryview(pcm).cast("h")
    mono = [sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)]
    return struct.pack(f"<{len(mono)}h", *mono)
