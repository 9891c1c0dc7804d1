from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.speech.wavcheck import rms, wav_audio

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _say(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "say", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_say_out_writes_real_speech_with_the_offline_voice(tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    done = _say(
        "Hello! I am your companion. I speak with an offline voice.", "--out", str(out), "--json"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["provider"] == "piper" and summary["transport"] == "segmenter"
    assert summary["standIn"] is None
    assert summary["sentences"] == 3
    audio = wav_audio(out)
    assert audio.sample_rate == 22050
    assert 2.0 < audio.duration < 10.0
    assert rms(audio) > 0.03, "the WAV is silent"
    sox = subprocess.run(["soxi", "-D", str(out)], capture_output=True, text=True, check=True)
    assert abs(float(sox.stdout) - audio.duration) < 0.01


def test_say_with_espeak_provider(tmp_path: Path) -> None:
    out = tmp_path / "espeak.wav"
    done = _say(
        "Testing the fallback voice.",
        "--provider",
        "espeak-ng",
        "--voice",
        "en-gb",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    audio = wav_audio(out)
    assert audio.duration > 0.5 and rms(audio) > 0.02


def test_say_reports_bad_input_with_reason_codes(tmp_path: Path) -> None:
    out = tmp_path / "never.wav"
    empty = _say("   ", "--out", str(out), "--json")
    assert empty.returncode == 1 and json.loads(empty.stdout)["reason"] == "empty-text"
    unknown = _say("hi", "--provider", "nope", "--json")
    assert json.loads(unknown.stdout)["reason"] == "unknown-provider"
    voice = _say("hi there", "--voice", "xx_XX-nobody", "--out", str(out), "--json")
    assert json.loads(voice.stdout)["reason"] == "unknown-voice"
    assert not out.exists()


def test_say_without_out_plays_in_real_time_on_a_silent_machine() -> None:
    started = time.monotonic()
    done = _say("Playing through the speakers, or silently at the right pace.", "--json")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["out"] is None and summary["seconds"] > 1.5
    assert elapsed >= summary["seconds"], "playback (null sink here) is paced in real time"
    assert "no audio output device" in done.stderr


def test_speech_providers_and_voices_commands() -> None:
    base = [sys.executable, "-m", "app", "speech"]
    providers = subprocess.run(
        [*base, "providers", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = {row["id"]: row["transport"] for row in json.loads(providers.stdout)}
    assert rows["streaming"] == "bidirectional-ws" and rows["piper"] == "rest"
    voices = subprocess.run(
        [*base, "voices", "--provider", "espeak-ng", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert any(v["id"] == "en-us" for v in json.loads(voices.stdout))


def test_say_in_a_language_the_neural_voice_lacks_falls_back_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "bonjour.wav"
    done = _say("Bonjour tout le monde.", "--voice", "fr", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "note: eSpeak NG spoke instead (unknown-voice)" in done.stderr
    audio = wav_audio(out)
    assert audio.duration > 0.5 and rms(audio) > 0.02
