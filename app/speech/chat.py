"""Where spoken text comes from: an OpenAI-compatible chat endpoint, streamed token by token.

``stream_chat`` reads ``POST {base}/chat/completions`` with ``stream: true`` as
server-sent events (``data: {…choices[0].delta.content…}`` up to ``data: [DONE]``).
:class:`Conversation` keeps the history and feeds a reply's tokens into one
TtsSession as they arrive; without a configured endpoint it speaks the user's text.
No Qt: the chat panel runs it on a worker thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app import log
from app.errors import SpeechError
from app.settings.sections.speech import SpeechSettings
from app.speech.http import open_request
from app.speech.speaker import Speaker

__all__ = ["ChatEndpoint", "Conversation", "stream_chat"]

SYSTEM_PROMPT = (
    "You are a friendly desktop companion. Answer in a few short spoken sentences; "
    "no markdown, no lists."
)


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str
    model: str
    api_key: str = ""

    @classmethod
    def from_settings(cls, settings: SpeechSettings) -> ChatEndpoint | None:
        if not settings.chat_base_url:
            return None
        return cls(settings.chat_base_url.rstrip("/"), settings.chat_model, settings.chat_api_key)


def stream_chat(
    endpoint: ChatEndpoint,
    messages: list[dict[str, str]],
    *,
    cancel: threading.Event | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Yield the reply's text deltas as the server streams them."""
    body = {"model": endpoint.model, "messages": messages, "stream": True}
    with open_request(
        f"{endpoint.base_url}/chat/completions",
        api_key=endpoint.api_key,
        body=body,
        timeout=timeout,
    ) as resp:
        for raw in resp:
            if cancel is not None and cancel.is_set():
                return
            line = raw.decode("utf-8", errors="replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except ValueError as exc:
                raise SpeechError(
                    "the chat server sent a malformed event", reason="chat-bad-stream"
                ) from exc
            if isinstance(chunk, dict) and "error" in chunk:
                raise SpeechError(f"the chat server failed: {chunk['error']}", reason="chat-error")
            for choice in chunk.get("choices", []) if isinstance(chunk, dict) else []:
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    yield str(delta)


@dataclass
class Conversation:
    speaker: Speaker
    history: list[dict[str, str]] = field(default_factory=list)

    def send(
        self,
        text: str,
        *,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Speak the reply to ``text`` (blocking; run it off the UI thread). Returns the reply."""
        endpoint = ChatEndpoint.from_settings(self.speaker.settings)
        if endpoint is None:
            self.speaker.say(text)
            return text
        self.history.append({"role": "user", "content": text})
        session = self.speaker.begin()
        reply: list[str] = []
        try:
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, *self.history]
            for token in stream_chat(endpoint, messages, cancel=cancel):
                reply.append(token)
                session.append_text(token)
                if on_token is not None:
                    on_token(token)
        except SpeechError:
            session.cancel("chat-failed")
            self.history.pop()
            raise
        session.finish_input()
        answer = "".join(reply)
        self.history.append({"role": "assistant", "content": answer})
        log.speech.debug("chat reply of %d characters", len(answer))
        return answer
