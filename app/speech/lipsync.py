"""Mouth-open weights from the loudness of the audio being played.

RMS per frame (1/``fps`` s), a noise gate, quick attack and slower release so the
mouth does not flutter, then normalised to the utterance's loud frames (95th
percentile) so quiet and loud voices both open the mouth fully. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from app.speech.audio import Audio

__all__ = ["DEFAULT_FPS", "MOUTH_EXPRESSION", "envelope", "frame_samples", "on_change"]

DEFAULT_FPS: Final = 50
#: the VRM expression the weights drive (``avatar.expression {name, weight}``)
MOUTH_EXPRESSION: Final = "aa"
#: weights closer than this to the last one sent are not worth a bridge message
MIN_STEP: Final = 0.01
NOISE_GATE: Final = 0.02  # of full scale
ATTACK: Final = 0.7  # share of a rise taken at once
RELEASE: Final = 0.35  # share of a fall taken at once


def frame_samples(sample_rate: int, fps: int = DEFAULT_FPS) -> int:
    return max(1, round(sample_rate / fps))


def envelope(audio: Audio, fps: int = DEFAULT_FPS) -> list[float]:
    """One weight in [0, 1] per frame of ``1/fps`` seconds."""
    if not 30 <= fps <= 60:
        raise ValueError("lip sync runs at 30-60 frames per second")
    samples = memoryview(audio.pcm[: audio.frames * 2]).cast("h")
    step = frame_samples(audio.sample_rate, fps)
    rms: list[float] = []
    for start in range(0, len(samples), step):
        block = samples[start : start + step]
        rms.append(math.sqrt(sum(s * s for s in block) / len(block)) / 32768.0)
    if not rms:
        return []
    loud = sorted(rms)[min(len(rms) - 1, int(len(rms) * 0.95))]
    scale = max(loud, NOISE_GATE * 4)
    out: list[float] = []
    level = 0.0
    for value in rms:
        target = 0.0 if value < NOISE_GATE else min(1.0, value / scale)
        level += (target - level) * (ATTACK if target > level else RELEASE)
        out.append(round(level, 4))
    return out


def on_change(send: Callable[[float], None], min_step: float = MIN_STEP) -> Callable[[float], None]:
    """Wrap an ``on_mouth`` listener so it only hears weights that changed.

    Silence would otherwise send a stream of identical 0.0 messages over the bridge;
    a return to 0.0 is always passed on so the mouth never stays open.
    """
    last: list[float | None] = [None]

    def forward(weight: float) -> None:
        previous = last[0]
        if (
            previous is not None
            and abs(weight - previous) < min_step
            and (weight != 0.0 or previous == 0.0)
        ):
            return
        last[0] = weight
        send(weight)

    return forward
