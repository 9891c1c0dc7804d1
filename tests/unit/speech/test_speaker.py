from __future__ import annotations

import dataclasses
import time

from app.errors import SpeechError
from app.settings.sections.speech import SpeechSettings
from app.speech.playback import Playback, PlayedItem
from app.speech.session import Sentence
from app.speech.sinks import NullSink
from app.speech.speaker import Speaker
from tests.unit.speech.engines import running

LONG = (
    "Hi. Okay. This is a long reply that keeps going. It has many sentences. "
    "Each one takes a while to speak. The user will change the voice before it ends."
)


def _wait(cond: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_changing_the_voice_cancels_the_current_session() -> None:
    played: list[PlayedItem] = []
    heard: list[tuple[str, Sentence]] = []
    started: list[tuple[str, str]] = []
    playback = Playback(NullSink(), on_played=played.append)
    speaker = Speaker(
        SpeechSettings(),
        playback,
        on_sentence=lambda i, s: heard.append((i, s)),
        on_started=lambda transport, provider: started.append((transport, provider)),
    )
    session = speaker.say(LONG)
    _wait(lambda: len(heard) >= 2)  # the second sentence is queued or playing now
    old_intent = heard[0][0]
    assert speaker.apply_settings(dataclasses.replace(speaker.settings, voice="en_US-joe-medium"))
    assert session.state == "cancelled" and session.cancel_reason == "settings-changed"
    count = len(heard)
    assert playback.wait_idle(3), "the cancelled utterance is silenced at once"
    time.sleep(0.3)
    assert len(heard) == count, "no sentence of the old session arrives after the swap"
    assert len([p for p in played if p.completed]) < count, "the rest of the reply was cut"
    new = speaker.say("New voice.")
    assert new.wait(30) and heard[-1][0] != old_intent and heard[-1][1].text == "New voice."
    assert started == [("segmenter", "piper"), ("segmenter", "piper")]
    speaker.close()


def test_irrelevant_changes_do_not_cancel() -> None:
    speaker = Speaker(SpeechSettings(), Playback(NullSink()))
    session = speaker.say(LONG)
    assert not speaker.apply_settings(dataclasses.replace(speaker.settings, chat_model="llama3"))
    assert session.state != "cancelled"
    speaker.close(drain=False)
    assert str(session.state) == "cancelled" and session.cancel_reason == "quit"


def test_switching_provider_mid_stream_cancels_the_stream() -> None:
    with running() as engine:
        settings = SpeechSettings(
            provider="streaming", stream_url=engine.url, voice="en_US-joe-medium"
        )
        speaker = Speaker(settings, Playback(NullSink()))
        session = speaker.begin()
        assert session.transport == "streaming"
        session.append_text("Hello there, I am streaming. ")
        time.sleep(0.3)
        assert speaker.apply_settings(dataclasses.replace(settings, provider="piper", voice=""))
        _wait(lambda: engine.engine.sessions_cancelled == 1, 10)
        assert engine.engine.sessions_cancelled == 1
        assert speaker.begin().transport == "segmenter"
        speaker.close(drain=False)


def test_quit_cancels_then_drains() -> None:
    played: list[PlayedItem] = []
    playback = Playback(NullSink(), on_played=played.append)
    speaker = Speaker(SpeechSettings(), playback)
    session = speaker.say("Hi. Okay. One more sentence to finish. And then some more text here.")
    _wait(lambda: len(played) >= 1 or not playback.wait_idle(0))
    speaker.close(drain=True)
    assert session.state in ("cancelled", "done")
    assert all(p.completed for p in played), "what was queued plays to the end"
    try:
        speaker.say("after quit")
    except SpeechError as exc:
        assert exc.reason == "speaker-closed"
    else:
        raise AssertionError("a closed speaker must refuse to speak")
