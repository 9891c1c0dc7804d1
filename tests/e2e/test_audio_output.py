"""Speech reaches a real sound server: QtAudioSink plays into PulseAudio, and we record it.

The test machine has no sound card, so it starts a private PulseAudio daemon with a
null sink and records that sink's monitor with parec: the same path audio takes to a
speaker, minus the speaker. The playing runs in a child process so QtMultimedia sees
this daemon from its first use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

RATE = 22050
PLAYER = r"""
import sys, threading, time
from PySide6.QtCore import QCoreApplication
app = QCoreApplication([])
from app.speech.playback import Playback
from app.speech.providers.base import ProviderConfig
from app.speech.registry import default_registry
from app.ui.audio_output import QtAudioSink, best_sink
sink = best_sink()
assert isinstance(sink, QtAudioSink), type(sink).__name__
weights = []
playback = Playback(sink, on_mouth=weights.append)
provider = default_registry().create("piper", ProviderConfig())
audio = provider.synthesize("Hello there, I am your companion.")
started = time.perf_counter()
playback.enqueue("intent-1", audio, "hello")
assert playback.wait_idle(30)
elapsed = time.perf_counter() - started
playback.close(drain=True)
print(f"{audio.duration:.3f} {elapsed:.3f} {max(weights):.3f}", flush=True)
"""


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "HOME": str(tmp_path / "home")}
    for folder in ("run", "home"):
        (tmp_path / folder).mkdir()
    subprocess.run(
        ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--use-pid-file=yes",
         "-L", f"module-null-sink sink_name=companion rate={RATE}",
         "-L", "module-native-protocol-unix", f"--log-target=file:{tmp_path / 'pulse.log'}"],
        env=env, check=True, timeout=30)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, (tmp_path / "pulse.log").read_text()
        time.sleep(0.1)
    yield env
    subprocess.run(["pulseaudio", "--kill"], env=env, timeout=30)


def test_speech_is_heard_by_a_real_sound_server(pulse: dict[str, str], tmp_path: Path) -> None:
    recording = tmp_path / "heard.raw"
    with recording.open("wb") as out:
        recorder = subprocess.Popen(
            ["parec", "-d", "companion.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
             "--channels=1"], stdout=out, env=pulse)
        try:
            played = subprocess.run([sys.executable, "-c", PLAYER], env=pulse, capture_output=True,
                                    text=True, timeout=120)
        finally:
            time.sleep(0.3)
            recorder.terminate()
            recorder.wait(timeout=10)
    assert played.returncode == 0, played.stderr[-2000:]
    duration, elapsed, loudest_mouth = map(float, played.stdout.split())
    samples = memoryview(recording.read_bytes()).cast("h")
    loud = sum(1 for s in samples if abs(s) > 500)
    assert duration > 1.0
    assert loud / RATE > duration * 0.3, f"only {loud / RATE:.2f} s of sound recorded"
    assert elapsed >= duration * 0.9  # played in real time, not dumped at once
    assert loudest_mouth > 0.3  # lip sync followed the same audio
