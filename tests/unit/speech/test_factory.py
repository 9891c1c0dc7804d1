from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.factory import choose_adapter, create_session
from app.speech.providers.base import ProviderConfig, ProviderDefinition
from app.speech.providers.espeak import EspeakProvider
from app.speech.providers.fallback import FallbackProvider, voice_for_language
from app.speech.providers.piper import PiperProvider
from app.speech.providers.streaming import StreamingProvider
from app.speech.registry import ProviderRegistry, default_registry
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
    assert isinstance(session, SegmenterSession)
    assert isinstance(session.provider, FallbackProvider)
    assert isinstance(session.provider.primary, PiperProvider)
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


def test_a_provider_without_declared_capabilities_speaks_over_rest() -> None:
    bare = ProviderDefinition(id="bare", name="Bare", description="declares nothing")
    assert bare.transport == "rest"
    registry = ProviderRegistry()
    registry.register(bare, EspeakProvider)
    choice = choose_adapter(registry, "bare", ProviderConfig(voice="en"), playback_available=True)
    assert (choice.adapter, choice.provider_id) == ("segmenter", "bare")
    session = create_session(registry, "bare", ProviderConfig(voice="en"))
    assert isinstance(session, SegmenterSession) and isinstance(session.provider, EspeakProvider)
    session.cancel("test")


@pytest.mark.expected_log(r"could not be loaded.*eSpeak NG speaks instead")
def test_a_broken_offline_voice_hands_over_to_espeak(tmp_path: Path) -> None:
    (tmp_path / "xx_XX-broken-medium.onnx").write_bytes(b"not an onnx model")
    (tmp_path / "xx_XX-broken-medium.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    registry = default_registry(voice_dirs=(tmp_path,))
    rec = Recorder()
    session = create_session(
        registry, "piper", ProviderConfig(voice="xx_XX-broken-medium"), callbacks=rec.callbacks()
    )
    session.append_text("The backup voice still speaks. Every sentence of it.")
    assert session.end(60)
    assert not rec.errors
    spoken = " ".join(s.text for s in rec.sentences)
    assert spoken == "The backup voice still speaks. Every sentence of it."
    assert all(rms(s.audio) > 0.02 for s in rec.sentences)
    assert isinstance(session, SegmenterSession)
    provider = session.provider
    assert isinstance(provider, FallbackProvider)
    assert provider.fallback_reason == "voice-load-failed"
    assert isinstance(provider.backup, EspeakProvider)


@pytest.mark.parametrize(("wanted", "chosen"), [
    ("en_US-joe-medium", "en-us"),
    ("en_GB-alan-low", "en-gb"),
    ("de_DE-thorsten-medium", "de"),
    ("fr", "fr-fr"),
    ("pt_BR-faber-medium", "pt-br"),
    ("ja", "ja"),
    ("xx_XX-broken-medium", ""),
    ("", ""),
])
def test_the_backup_speaks_the_language_of_the_wanted_voice(wanted: str, chosen: str) -> None:
    espeak_voices = EspeakProvider(ProviderConfig()).voices()  # the real list of this machine
    assert voice_for_language(wanted, espeak_voices) == chosen


@pytest.mark.expected_log(r"piper voice 'fr' is not installed.*eSpeak NG speaks instead")
def test_a_language_the_neural_voice_lacks_is_spoken_by_espeak_in_that_language() -> None:
    rec = Recorder()
    session = create_session(REGISTRY, "piper", ProviderConfig(voice="fr"),
                             callbacks=rec.callbacks())
    session.append_text("Bonjour tout le monde.")
    assert session.end(60)
    assert not rec.errors and rms(rec.sentences[0].audio) > 0.02
    assert isinstance(session, SegmenterSession)
    provider = session.provider
    assert isinstance(provider, FallbackProvider) and provider.fallback_reason == "unknown-voice"
    assert provider.backup is not None and provider.backup.config.voice == "fr-fr"
    assert session.stand_in == "eSpeak NG spoke instead (unknown-voice)"


def test_a_chunk_failure_that_is_not_the_voice_is_not_masked() -> None:
    class Failing(PiperProvider):
        def synthesize(self, text: str) -> Audio:
            raise SpeechError("the text made the model fail", reason="synthesis-failed")

    made: list[str] = []
    def backup(reason: str) -> EspeakProvider:
        made.append(reason)
        return EspeakProvider(ProviderConfig())

    provider = FallbackProvider(Failing(ProviderConfig()), backup)
    with pytest.raises(SpeechError) as caught:
        provider.synthesize("hello")
    assert caught.value.reason == "synthesis-failed" and made == []


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
