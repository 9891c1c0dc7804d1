from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.errors import SpeechError
from app.settings.sections.speech import SpeechSettings
from app.speech.chat import ChatEndpoint, Conversation, stream_chat
from app.speech.playback import Playback, PlayedItem
from app.speech.session import Sentence
from app.speech.sinks import NullSink
from app.speech.speaker import Speaker
from tests.unit.speech.local_http import serve_api

REPLY_TOKENS = [
    "Hello",
    "!",
    " I",
    " am",
    " your",
    " companion",
    ".",
    " Nice",
    " to",
    " meet",
    " you",
    ".",
]


def _sse(body: Any) -> tuple[int, str, Iterator[bytes]]:
    assert body["stream"] is True

    def events() -> Iterator[bytes]:
        for token in REPLY_TOKENS:
            chunk = {"choices": [{"index": 0, "delta": {"content": token}}]}
            yield f"data: {json.dumps(chunk)}\n\n".encode()
            time.sleep(0.01)
        yield b"data: [DONE]\n\n"

    return 200, "text/event-stream", events()


def test_stream_chat_reads_server_sent_events() -> None:
    with serve_api({("POST", "/v1/chat/completions"): _sse}, api_key="ollama") as api:
        endpoint = ChatEndpoint(api.base + "/v1", "llama3", "ollama")
        tokens = list(stream_chat(endpoint, [{"role": "user", "content": "hi"}]))
        body = api.requests[0][3]
    assert tokens == REPLY_TOKENS
    assert body["model"] == "llama3" and body["messages"][-1] == {"role": "user", "content": "hi"}


def test_reply_tokens_stream_into_one_tts_session() -> None:
    played: list[PlayedItem] = []
    heard: list[tuple[str, Sentence]] = []
    with serve_api({("POST", "/v1/chat/completions"): _sse}) as api:
        settings = SpeechSettings(chat_base_url=api.base + "/v1", chat_model="llama3")
        playback = Playback(NullSink(), on_played=played.append)
        speaker = Speaker(settings, playback, on_sentence=lambda i, s: heard.append((i, s)))
        convo = Conversation(speaker)
        streamed: list[str] = []
        answer = convo.send("Who are you?", on_token=streamed.append)
        assert speaker.current is not None and speaker.current.wait(30)
    assert answer == "".join(REPLY_TOKENS) and streamed == REPLY_TOKENS
    assert len({intent for intent, _ in heard}) == 1, "one session for the whole reply"
    assert " ".join(s.text for _, s in heard) == "Hello! I am your companion. Nice to meet you."
    assert convo.history[-1] == {"role": "assistant", "content": answer}
    speaker.close()
    assert len(played) == len(heard)


def test_without_a_chat_endpoint_the_typed_text_is_spoken() -> None:
    heard: list[Sentence] = []
    speaker = Speaker(
        SpeechSettings(), Playback(NullSink()), on_sentence=lambda _i, s: heard.append(s)
    )
    assert Conversation(speaker).send("Just say this.") == "Just say this."
    assert speaker.current is not None and speaker.current.wait(30)
    assert [s.text for s in heard] == ["Just say this."]
    speaker.close(drain=False)


def test_chat_server_errors_keep_the_history_clean() -> None:
    with serve_api({}, api_key="x") as api:
        speaker = Speaker(
            SpeechSettings(chat_base_url=api.base + "/v1", chat_api_key="bad"), Playback(NullSink())
        )
        convo = Conversation(speaker)
        with pytest.raises(SpeechError) as exc:
            convo.send("hello")
    assert exc.value.reason == "auth-failed" and convo.history == []
    speaker.close(drain=False)
