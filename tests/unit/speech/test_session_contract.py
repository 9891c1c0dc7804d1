from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from app.speech.audio import Audio
from app.speech.providers.base import ProviderConfig
from app.speech.providers.espeak import EspeakProvider
from app.speech.providers.piper import PiperProvider
from app.speech.segmenter_session import SegmenterSession
from app.speech.session import SessionCallbacks, TtsSession
from app.speech.streaming_session import StreamingSession
from tests.unit.speech.engines import Recorder, running

MakeSession = Callable[[SessionCallbacks], TtsSession]


@contextmanager
def _segmenter() -> Iterator[MakeSession]:
    yield lambda cb: SegmenterSession(PiperProvider(ProviderConfig()), cb)


@contextmanager
def _streaming() -> Iterator[MakeSession]:
    with running() as engine:
        yield lambda cb: StreamingSession(engine.url, callbacks=cb)


ADAPTERS: dict[str, Callable[[], AbstractContextManager[MakeSession]]] = {
    "segmenter": _segmenter,
    "streaming": _streaming,
}
TEXT = "Hello! This is the contract. Every adapter keeps it, in order, once."


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_sentences_in_order_then_done_exactly_once(adapter: str) -> None:
    with ADAPTERS[adapter]() as make:
        rec = Recorder()
        session = make(rec.callbacks())
        for token in TEXT.split(" "):
            session.append_text(token + " ")
        session.finish_input()
        session.append_text("ignored after finish_input")
        assert session.wait(60)
        session.end(5)
        session.cancel("too late")  # after done: no effect
    assert rec.done == 1 and rec.events[-1] == "done" and not rec.errors
    assert [s.index for s in rec.sentences] == list(range(len(rec.sentences)))
    assert " ".join(s.text for s in rec.sentences) == TEXT
    assert session.state == "done" and session.cancel_reason is None


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_cancel_means_no_done_and_no_more_sentences(adapter: str) -> None:
    with ADAPTERS[adapter]() as make:
        rec = Recorder()
        session = make(rec.callbacks())
        session.append_text("Short. Then a much longer sentence that is still being written")
        session.cancel("barge-in")
        count = len(rec.sentences)
        session.append_text(" and more. And more.")
        session.finish_input()
        assert session.wait(1)
        assert session.end(0), "a cancelled session is over at once"
    assert rec.done == 0 and not rec.errors and len(rec.sentences) == count
    assert session.state == "cancelled"


@pytest.mark.expected_log(r"^segmenter session failed: .*'zz-none' \[unknown-voice\]$")
def test_synthesis_error_is_reported_then_done() -> None:
    rec = Recorder()
    session = SegmenterSession(EspeakProvider(ProviderConfig(voice="zz-none")), rec.callbacks())
    session.append_text("This cannot be spoken.")
    assert session.end(30)
    assert rec.events == ["error", "done"] and rec.errors[0].reason == "unknown-voice"
    assert session.error is rec.errors[0]


class _Manual(TtsSession):
    """The smallest adapter: the test drives the emitters by hand."""

    transport = "manual"

    def _on_text(self, text: str) -> None: ...
    def _on_special(self, token: str) -> None: ...
    def _on_finish_input(self) -> None: ...
    def _on_cancel(self) -> None: ...


def test_sentence_after_done_is_dropped_and_done_fires_once() -> None:
    rec = Recorder()
    session = _Manual(rec.callbacks())
    session._emit_sentence("one", Audio(b"\x00\x01", 8000))
    session._emit_done()
    session._emit_done()
    session._emit_sentence("late", Audio(b"\x00\x01", 8000))
    assert [s.text for s in rec.sentences] == ["one"] and rec.done == 1


@pytest.mark.expected_log(r"^speech callback boom failed$")
def test_a_failing_listener_does_not_break_the_session() -> None:
    def boom(_: object) -> None:
        raise RuntimeError("listener bug")

    done: list[bool] = []
    session = _Manual(SessionCallbacks(on_sentence=boom, on_done=lambda: done.append(True)))
    session._emit_sentence("one", Audio(b"\x00\x01", 8000))
    session._emit_done()
    assert done == [True]
