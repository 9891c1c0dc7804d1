from __future__ import annotations

import pytest

from app.errors import SpeechError
from app.speech.account import server_base_url


@pytest.mark.parametrize(("url", "base"), [
    ("ws://127.0.0.1:8787/api/v1/audio/speech/ws", "http://127.0.0.1:8787"),
    ("wss://speech.example.test/api/v1/audio/speech/ws", "https://speech.example.test"),
    ("http://localhost:9/x", "http://localhost:9"),
])
def test_server_base_url(url: str, base: str) -> None:
    assert server_base_url(url) == base


@pytest.mark.parametrize("url", ["", "ftp://host/x", "ws:///nohost"])
def test_bad_server_urls_are_refused(url: str) -> None:
    with pytest.raises(SpeechError) as refused:
        server_base_url(url)
    assert refused.value.reason == "bad-url"
