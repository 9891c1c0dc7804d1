from __future__ import annotations

import itertools
import math
import struct
import threading
import time

import pytest

from app.speech.audio import Audio
from app.speech.lipsync import envelope, on_change
from app.speech.playback import Playback, PlayedItem
from app.speech.providers.base import ProviderConfig
from app.speech.providers.piper import PiperProvider
from app.speech.sinks import NullSink

RATE = 16000


def tone(seconds: float, amplitude: float = 0.5, hz: float = 220.0) -> Audio:
    n = int(RATE * seconds)
    samples = [int(amplitude * 32767 * math.sin(2 * math.pi * hz * i / RATE)) for i in range(n)]
    return Audio(struct.pack(f"<{n}h", *samples), RATE)


def silence(seconds: float) -> Audio:
    return Audio(b"\x00\x00" * int(RATE * seconds), RATE)


class Log:
    def __init__(self) -> None:
        self.played: list[PlayedItem] = []
        self.mouth: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def on_played(self, item: PlayedItem) -> None:
        self.played.append(item)

    def on_mouth(self, weight: float) -> None:
        with self.lock:
            self.mouth.append((time.monotonic(), weight))


def test_sentences_play_in_order_in_real_time() -> None:
    log = Log()
    player = Playback(NullSink(), on_played=log.on_played)
    start = time.monotonic()
    player.enqueue("a", tone(0.3), "a1")
    player.enqueue("a", tone(0.2), "a2")
    player.enqueue("b", tone(0.2), "b1")
    assert player.wait_idle(5)
    elapsed = time.monotonic() - start
    player.close()
    assert [p.text for p in log.played] == ["a1", "a2", "b1"]
    assert all(p.completed for p in log.played)
    assert 0.68 <= elapsed < 1.5, "the null sink paces playback in real time"
    assert log.played[0].ended - log.played[0].started == pytest.approx(0.3, abs=0.08)


def test_stop_intent_cuts_it_off_and_drops_its_queue() -> None:
    log = Log()
    player = Playback(NullSink(), on_played=log.on_played)
    player.enqueue("a", tone(1.0), "a1")
    player.enqueue("a", tone(1.0), "a2")
    player.enqueue("b", tone(0.2), "b1")
    time.sleep(0.15)
    start = time.monotonic()
    player.stop("a")
    assert player.wait_idle(5)
    player.close()
    assert [(p.text, p.completed) for p in log.played] == [("a1", False), ("b1", True)]
    assert time.monotonic() - start < 0.6


def test_stop_all_and_close_without_drain() -> None:
    log = Log()
    player = Playback(NullSink(), on_played=log.on_played)
    for i in range(3):
        player.enqueue(f"i{i}", tone(0.5), f"t{i}")
    time.sleep(0.1)
    player.stop_all()
    assert player.wait_idle(2)
    assert [(p.text, p.completed) for p in log.played] == [("t0", False)]
    player.enqueue("x", tone(2.0), "long")
    time.sleep(0.05)
    start = time.monotonic()
    player.close(drain=False)
    assert time.monotonic() - start < 0.5
    assert log.played[-1].text == "long" and not log.played[-1].completed
    player.enqueue("y", tone(0.1), "after close")  # dropped, no error
    assert log.played[-1].text == "long"


def test_close_drains_the_queue() -> None:
    log = Log()
    player = Playback(NullSink(), on_played=log.on_played)
    player.enqueue("a", tone(0.2), "a1")
    player.enqueue("a", tone(0.2), "a2")
    player.close(drain=True)
    assert [(p.text, p.completed) for p in log.played] == [("a1", True), ("a2", True)]


def test_a_drain_stops_at_its_deadline_and_cuts_the_rest() -> None:
    log = Log()
    player = Playback(NullSink(), on_played=log.on_played, on_mouth=log.on_mouth)
    player.enqueue("a", tone(0.2), "short")
    player.enqueue("a", tone(5.0), "long")
    player.enqueue("a", tone(1.0), "never")
    start = time.monotonic()
    player.close(drain=True, timeout=0.5)
    assert time.monotonic() - start < 1.0
    assert [(p.text, p.completed) for p in log.played] == [("short", True), ("long", False)]
    assert log.mouth[-1][1] == 0.0, "the mouth closes when the voice is cut"


def test_lip_sync_follows_loudness_at_the_frame_rate() -> None:
    log = Log()
    player = Playback(NullSink(), on_mouth=log.on_mouth, fps=50)
    speech = silence(0.2) + tone(0.4, 0.6) + silence(0.4)
    start = time.monotonic()
    player.enqueue("a", speech)
    assert player.wait_idle(5)
    player.close()
    times = [t - start for t, _ in log.mouth]
    weights = [w for _, w in log.mouth]
    assert len(weights) == 50 + 1  # one per 20 ms frame, then a closing 0.0
    assert weights[-1] == 0.0
    assert max(weights[:10]) == 0.0, "silence keeps the mouth shut"
    assert max(weights[10:30]) > 0.9, "a loud voice opens it fully"
    assert weights[45] < 0.05, "release closes it again"
    rate = (len(times) - 2) / (times[-2] - times[0])
    assert 40 <= rate <= 60, f"mouth updates at {rate:.1f} Hz"


def test_lip_sync_of_real_speech_moves() -> None:
    audio = PiperProvider(ProviderConfig()).synthesize("Open and close, open and close.")
    weights = envelope(audio, 30)
    assert len(weights) == pytest.approx(audio.duration * 30, abs=1)
    assert all(0.0 <= w <= 1.0 for w in weights)
    assert max(weights) > 0.8
    moves = sum(1 for a, b in itertools.pairwise(weights) if abs(a - b) > 0.1)
    assert moves > 10, "the mouth moves with the syllables"


def test_envelope_checks_its_rate() -> None:
    with pytest.raises(ValueError):
        envelope(tone(0.1), 100)
    assert envelope(Audio(b"", RATE)) == []


def test_on_change_skips_repeats_but_always_closes_the_mouth() -> None:
    sent: list[float] = []
    forward = on_change(sent.append)
    for weight in [0.0, 0.0, 0.0, 0.5, 0.505, 0.8, 0.005, 0.0, 0.0]:
        forward(weight)
    assert sent == [0.0, 0.5, 0.8, 0.005, 0.0]
