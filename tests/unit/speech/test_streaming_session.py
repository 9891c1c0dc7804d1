from __future__ import annotations

import time

import pytest

from app.speech.engine import EngineOptions
from app.speech.streaming_session import StreamingSession
from app.speech.words import count_words
from tests.unit.speech.engines import (
    ClosesBeforeFinished,
    CountingEngine,
    DropsLastSentenceEnd,
    Recorder,
    SlowHandshake,
    exploding_synthesizer,
    running,
)
from tests.unit.speech.wavcheck import rms

REPLY = "Hello there! I can hear you well. Let me think about that for a moment. Here is my answer."


def _stream(session: StreamingSession, text: str) -> None:
    for token in text.split(" "):
        session.append_text(token + " ")


def test_happy_path_sentences_arrive_in_order_with_real_audio() -> None:
    with running() as engine:
        rec = Recorder()
        session = StreamingSession(
            engine.url, model="piper", voice="en_US-joe-medium", callbacks=rec.callbacks()
        )
        _stream(session, REPLY)
        assert session.end(60)
    assert rec.events[-1] == "done" and rec.done == 1 and not rec.errors
    assert [s.index for s in rec.sentences] == list(range(len(rec.sentences)))
    assert len(rec.sentences) >= 4
    assert " ".join(s.text for s in rec.sentences) == REPLY
    for sentence in rec.sentences:
        assert sentence.audio.sample_rate == 22050
        assert sentence.audio.duration > 0.3 and rms(sentence.audio) > 0.03
    assert session.usage == {"text_words": count_words(REPLY)}
    assert engine.engine.received == [[t + " " for t in REPLY.split(" ")]]


def test_buffered_session_keeps_the_audio_whole() -> None:
    with running(CountingEngine) as engine:
        rec = Recorder()
        buffered = StreamingSession(engine.url, buffer_session=True, callbacks=rec.callbacks())
        _stream(buffered, REPLY)
        assert buffered.end(60)
    sent = engine.engine.sent  # type: ignore[attr-defined]
    assert len(sent) >= 4, "the engine spoke several sentences"
    assert len(rec.sentences) == 1 and rec.done == 1
    assert rec.sentences[0].text == REPLY
    assert len(rec.sentences[0].audio.pcm) == sum(n for _, n in sent)


@pytest.mark.expected_log(r"^streaming session failed: .*\[voice-exploded\]$")
def test_error_event_reaches_on_error_then_done() -> None:
    with running(options=EngineOptions(synthesize=exploding_synthesizer)) as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        _stream(session, "First one. Fine here. But this goes boom. Never spoken.")
        assert session.end(60)
    assert [s.text for s in rec.sentences] == ["First one.", "Fine here."]
    assert rec.events == ["sentence", "sentence", "error", "done"]
    assert rec.errors[0].reason == "voice-exploded"
    assert "exploded" in rec.errors[0].message


@pytest.mark.expected_log(r"^streaming session failed: .*close code 4000.*\[stream-closed\]$")
def test_close_before_finished_is_an_error_naming_the_close_code() -> None:
    with running(ClosesBeforeFinished) as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        _stream(session, "One sentence here. And another one.")
        assert session.end(60)
    assert rec.errors and rec.errors[0].reason == "stream-closed"
    assert "4000" in rec.errors[0].message
    assert rec.done == 1 and rec.events[-1] == "done"
    assert len(rec.sentences) == 2  # what was spoken before the close still plays


def test_cancel_stops_the_session_without_done() -> None:
    with running() as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        _stream(session, "Hello. This reply will be cut off before it ends.")
        deadline = time.monotonic() + 30
        while not rec.sentences and time.monotonic() < deadline:
            time.sleep(0.01)
        session.cancel("user pressed stop")
        _stream(session, "More text after the cancel.")
        time.sleep(0.5)
        deadline = time.monotonic() + 10
        while engine.engine.sessions_cancelled == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.engine.sessions_cancelled == 1
    assert rec.done == 0 and not rec.errors
    assert session.state == "cancelled" and session.cancel_reason == "user pressed stop"
    assert session.wait(0)
    assert all("More text" not in t for t in engine.engine.received[0])


def test_frames_before_open_are_queued_in_order() -> None:
    with running(SlowHandshake) as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        tokens = ["Frames ", "sent ", "before ", "the ", "socket ", "opened. ", "All ", "arrive."]
        for token in tokens:
            session.append_text(token)
        session.finish_input()
        assert session._ws is None, "the handshake should still be pending"
        assert session.wait(60)
    assert engine.engine.received == [tokens]
    assert (
        " ".join(s.text for s in rec.sentences)
        == "Frames sent before the socket opened. All arrive."
    )
    assert rec.done == 1


def test_last_sentence_is_never_lost() -> None:
    with running(DropsLastSentenceEnd) as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        _stream(session, "Hi. Okay. The first sentence is here. And this is the last one.")
        assert session.end(60)
    assert [s.text for s in rec.sentences] == [
        "Hi.",
        "Okay.",
        "The first sentence is here.",
        "And this is the last one.",
    ]
    assert rec.sentences[-1].audio.duration > 0.5
    assert rec.done == 1


@pytest.mark.expected_log(r"^streaming session failed: .*HTTP 401.*\[auth-failed\]$")
def test_token_is_required_when_the_engine_has_one() -> None:
    with running(options=EngineOptions(token="s3cret")) as engine:
        refused, accepted = Recorder(), Recorder()
        bad = StreamingSession(engine.url, token="wrong", callbacks=refused.callbacks())
        bad.append_text("Hello there.")
        assert bad.end(30)
        good = StreamingSession(engine.url, token="s3cret", callbacks=accepted.callbacks())
        good.append_text("Hello there.")
        assert good.end(30)
    assert refused.errors[0].reason == "auth-failed" and "401" in refused.errors[0].message
    assert not accepted.errors and len(accepted.sentences) == 1


@pytest.mark.expected_log(r"^streaming session failed: cannot reach .*\[provider-unreachable\]$")
def test_unreachable_server_is_a_clear_error() -> None:
    with running() as engine:
        url = engine.url
    rec = Recorder()
    session = StreamingSession(url, callbacks=rec.callbacks(), open_timeout=3)
    session.append_text("Anyone there?")
    assert session.end(10)
    assert rec.errors[0].reason == "provider-unreachable" and rec.done == 1


@pytest.mark.expected_log(r"^streaming session failed: .*'xx_XX-nobody'.*\[unknown-voice\]$")
def test_unknown_voice_is_an_error_event_from_the_engine() -> None:
    with running() as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, voice="xx_XX-nobody", callbacks=rec.callbacks())
        session.append_text("Hello.")
        assert session.end(30)
    assert rec.events == ["error", "done"] and rec.errors[0].reason == "unknown-voice"
    assert "xx_XX-nobody" in rec.errors[0].message


def test_cancel_before_the_socket_opens_sends_nothing() -> None:
    with running(SlowHandshake) as engine:
        rec = Recorder()
        session = StreamingSession(engine.url, callbacks=rec.callbacks())
        session.append_text("Never said. ")
        session.cancel("changed my mind")
        session.finish_input()
        assert session.wait(0)
        session._thread.join(10)
        assert not session._thread.is_alive()
    assert engine.engine.received == [] and rec.events == []
