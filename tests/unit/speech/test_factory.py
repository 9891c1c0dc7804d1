from __future__ import annotations

import re
from pathlib import Path

from app.speech.factory import choose_adapter, create_session
from app.speech.providers.base import ProviderConfig
from app.speech.providers.piper import PiperProvider
from app.speech.providers.streaming import StreamingProvider
from app.speech.registry import default_registry
from app.speech.segmenter_session import SegmenterSession
from app.speech.streaming_session import StreamingSession
from tests.unit.speech.engines import Recorder, running
from tests.unit.speech.wavcheck import rms

REGISTRY = default_registry()


def test_rest_transport_uses_the_segmenter_adapter() -> None:
    for provider_id in ("piper", "espeak-ng", "openai-compatible"):
        choice = choose_adapter(
            REGISTRY, provider_id, ProviderConfig(voice="v"), playback_available=True
        )
        assert (choice.adapter, choice.provider_id) == ("segmenter", provider_id)


def test_bidirectional_transport_streams_when_it_can() -> None:
    with running() as engine:
        rec = Recorder()
        session = create_session(
            REGISTRY,
            "streaming",
            ProviderConfig(base_url=engine.url, voice="en_US-joe-medium"),
            callbacks=rec.callbacks(),
        )
        assert isinstance(session, StreamingSession)
        session.append_text("Streaming was chosen.")
        assert session.end(60)
    assert rec.sentences and engine.engine.sessions_finished == 1


def test_streaming_without_a_voice_falls_back_to_the_offline_voice() -> None:
    choice = choose_adapter(
        REGISTRY, "streaming", ProviderConfig(base_url="ws://x"), playback_available=True
    )
    assert (choice.adapter, choice.provider_id) == ("segmenter", "piper")
    rec = Recorder()
    session = create_session(
        REGISTRY,
        "streaming",
        ProviderConfig(base_url="ws://127.0.0.1:9"),
        callbacks=rec.callbacks(),
    )
    assert isinstance(session, SegmenterSession) and isinstance(session.provider, PiperProvider)
    session.append_text("Still heard.")
    assert session.end(60)
    assert rec.sentences and not rec.errors


def test_streaming_without_playback_synthesises_chunk_by_chunk_over_the_socket() -> None:
    with running() as engine:
        rec = Recorder()
        session = create_session(
            REGISTRY,
            "streaming",
            ProviderConfig(base_url=engine.url, voice="en_US-joe-medium"),
            callbacks=rec.callbacks(),
            playback_available=False,
        )
        assert isinstance(session, SegmenterSession) and isinstance(
            session.provider, StreamingProvider
        )
        session.append_text("Hi. Two chunks here.")
        assert session.end(60)
        assert engine.engine.sessions_finished == 2  # one socket per chunk
    assert [s.text for s in rec.sentences] == ["Hi.", "Two chunks here."]
    assert all(rms(s.audio) > 0.02 for s in rec.sentences)


def test_no_code_outside_the_factory_branches_on_a_provider_id() -> None:
    root = Path(__file__).resolve().parents[3] / "app"
    ids = "|".join(re.escape(d.id) for d in REGISTRY.definitions())
    pattern = re.compile(rf"""(==|!=|\bin\b|case)\s*\(?["']({ids})["']""")
    allowed = {root / "speech" / "registry.py", root / "speech" / "factory.py"}
    offenders = [
        f"{p.relative_to(root)}:{n}"
        for p in root.rglob("*.py")
        if p not in allowed
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
