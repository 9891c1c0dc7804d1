from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app.speech.streaming_session import StreamingSession
from tests.unit.speech.engines import Recorder
from tests.unit.speech.wavcheck import rms

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_tts_engine_command_serves_the_streaming_protocol() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "tts-engine", "--port", "0", "--token", "t0k"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(ws://\S+) \(voices: (http://\S+)\)", line)
        assert match, line
        url, voices_url = match.groups()
        with urllib.request.urlopen(voices_url, timeout=10) as resp:
            assert json.load(resp)["voices"][0]["id"] == "en_US-joe-medium"
        rec = Recorder()
        session = StreamingSession(
            url, token="t0k", voice="en_US-joe-medium", callbacks=rec.callbacks()
        )
        session.append_text("Hi. Hello from another process. ")
        session.append_text("It streams sentence by sentence.")
        assert session.end(60)
        assert not rec.errors and rec.done == 1
        assert [s.text for s in rec.sentences] == [
            "Hi.",
            "Hello from another process.",
            "It streams sentence by sentence.",
        ]
        assert all(rms(s.audio) > 0.03 for s in rec.sentences)
        assert session.usage == {"text_words": 10}
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # reaps it and closes both pipes
