"""The desktop's streaming TTS session against a real ``companion-stage serve`` process."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from app.cli import main
from app.errors import SpeechError
from app.paths import DataPaths
from app.speech.account import fetch_account
from app.speech.providers.base import ProviderConfig
from app.speech.providers.streaming import StreamingProvider
from app.speech.session import Sentence, SessionCallbacks
from app.speech.streaming_session import StreamingSession
from tests.unit.server.procs import free_port, start, stop, wait_port
from tests.unit.speech.engines import Recorder

pytestmark = pytest.mark.e2e

REPLY = [
    "Good morning! ",
    "I checked the weather ",
    "for you. It will be sunny ",
    "all day long. ",
    "Enjoy your walk in the park.",
]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_streaming_session_through_serve_speaks_sentence_by_sentence_and_bills(
    db_url: str, data_dir: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    created = _cli(
        capsys,
        "serve",
        "--db",
        db_url,
        "token",
        "create",
        "--user",
        "desk",
        "--flux",
        "50",
        "--json",
    )
    _cli(
        capsys, "serve", "--db", db_url, "seed-streaming-tts", "--rate", "10", "--json"
    )  # built-in voice
    port = free_port()
    server = start("serve", "--port", str(port), "--db", db_url, data_dir=data_dir.root)
    try:
        wait_port(server, port)
        url = f"ws://127.0.0.1:{port}/api/v1/audio/speech/ws"
        voices = StreamingProvider(ProviderConfig(base_url=url, api_key=created["token"])).voices()
        assert any(v.id for v in voices)  # the engine's own list, through the server

        # the desktop "signs in": who is this token, for analytics to join on one person
        account = fetch_account(url, created["token"])
        assert (account.user, account.flux) == ("desk", 50) and account.person_id
        assert account.person_id != created["token"]
        with pytest.raises(SpeechError) as refused:
            fetch_account(url, "not-a-token")
        assert refused.value.reason == "auth-failed"

        # warm the server's built-in voice up (loading it is not what this test is about)
        provider = StreamingProvider(ProviderConfig(base_url=url, api_key=created["token"]))
        assert provider.synthesize("Warming up.").pcm
        before = _cli(
            capsys, "serve", "--db", db_url, "flux", "balance", "--user", "desk", "--json"
        )

        recorder = Recorder()
        arrivals: list[float] = []
        callbacks = recorder.callbacks()
        on_sentence = callbacks.on_sentence

        def stamp(sentence: Sentence) -> None:
            arrivals.append(time.monotonic())
            on_sentence(sentence)

        session = StreamingSession(
            url,
            token=created["token"],
            callbacks=SessionCallbacks(
                on_sentence=stamp, on_error=callbacks.on_error, on_done=callbacks.on_done
            ),
        )
        for chunk in REPLY:  # an LLM streaming its reply, slowly enough to see the overlap
            session.append_text(chunk)
            time.sleep(0.4)
        session.finish_input()
        finished_input = time.monotonic()
        assert session.end(120), "the session did not finish"
        assert recorder.errors == [] and recorder.done == 1
        assert len(recorder.sentences) >= 3
        assert all(s.audio.pcm and s.audio.sample_rate == 22050 for s in recorder.sentences)
        assert all(s.audio.duration > 0.3 for s in recorder.sentences)
        # sentence by sentence: the first arrived while the reply was still being written
        assert arrivals[0] < finished_input < arrivals[-1]
        assert session.usage["flux_charged"] > 0 and session.usage["flux_unbilled"] == 0
        ledger = _cli(capsys, "serve", "--db", db_url, "ledger", "--user", "desk", "--json")
        assert ledger[0]["kind"] == "session" and ledger[0]["words"] == session.usage["text_words"]
        assert ledger[0]["flux_charged"] == session.usage["flux_charged"]
        balance = _cli(
            capsys, "serve", "--db", db_url, "flux", "balance", "--user", "desk", "--json"
        )
        assert balance["flux"] == before["flux"] - session.usage["flux_charged"]
    finally:
        log = stop(server)
    assert "Traceback" not in log, log


def test_upstream_killed_mid_stream(
    db_url: str, data_dir: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    """A separate ``tts-engine`` process is killed while the server streams from it."""
    created = _cli(
        capsys,
        "serve",
        "--db",
        db_url,
        "token",
        "create",
        "--user",
        "desk",
        "--flux",
        "50",
        "--json",
    )
    engine_port, port = free_port(), free_port()
    engine = start(
        "tts-engine", "--port", str(engine_port), "--latency-ms", "400", data_dir=data_dir.root
    )
    _cli(
        capsys,
        "serve",
        "--db",
        db_url,
        "seed-streaming-tts",
        "--url",
        f"ws://127.0.0.1:{engine_port}/api/v1/audio/speech/ws",
        "--json",
    )
    server = start("serve", "--port", str(port), "--db", db_url, data_dir=data_dir.root)
    try:
        wait_port(engine, engine_port)
        wait_port(server, port)
        recorder = Recorder()
        first_audio = threading.Event()
        callbacks = recorder.callbacks()
        on_sentence = callbacks.on_sentence

        def sentence(s: Sentence) -> None:
            on_sentence(s)
            first_audio.set()

        session = StreamingSession(
            f"ws://127.0.0.1:{port}/api/v1/audio/speech/ws",
            token=created["token"],
            callbacks=SessionCallbacks(
                on_sentence=sentence, on_error=callbacks.on_error, on_done=callbacks.on_done
            ),
        )
        session.append_text(
            "One short sentence. Two short sentences. Three of them. Four now. Five."
        )
        session.finish_input()
        assert first_audio.wait(60), recorder.errors
        engine.kill()
        session.wait(30)
        assert recorder.events[-2:] == ["error", "done"] and len(recorder.errors) == 1
        assert recorder.errors[0].reason == "upstream-closed"
        assert "close code 1006" in recorder.errors[0].message  # the upstream's TCP connection died
        balance = _cli(
            capsys, "serve", "--db", db_url, "flux", "balance", "--user", "desk", "--json"
        )
        assert balance["flux"] == 50  # nothing charged
        ledger = _cli(capsys, "serve", "--db", db_url, "ledger", "--user", "desk", "--json")
        assert [r["kind"] for r in ledger] == ["grant"]
    finally:
        stop(engine)
        log = stop(server)
    assert "Traceback" not in log, log
