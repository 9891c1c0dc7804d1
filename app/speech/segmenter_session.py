"""The segmenter adapter: cut text client-side and synthesise each chunk in order.

Works with every provider (it only needs ``synthesize(text)``); one worker thread per
session keeps chunks in order and lets the first chunk play while later text still
streams in.
"""

from __future__ import annotations

import queue
import threading

from app import log
from app.errors import CompanionError, SpeechError
from app.speech.providers.base import Provider
from app.speech.segmenter import SPECIAL_MARKER, Chunk, Segmenter, SegmenterOptions
from app.speech.session import SessionCallbacks, TtsSession

__all__ = ["SegmenterSession"]

_END = None


class SegmenterSession(TtsSession):
    transport = "segmenter"

    def __init__(
        self,
        provider: Provider,
        callbacks: SessionCallbacks | None = None,
        options: SegmenterOptions | None = None,
    ) -> None:
        super().__init__(callbacks)
        self.provider = provider
        self._segmenter = Segmenter(options)
        self._feed_lock = threading.Lock()
        self._chunks: queue.Queue[Chunk | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="tts-segmenter", daemon=True)
        self._worker.start()

    @property
    def stand_in(self) -> str | None:
        return getattr(self.provider, "stand_in", None)

    def _push(self, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            self._chunks.put(chunk)

    def _on_text(self, text: str) -> None:
        with self._feed_lock:
            self._push(self._segmenter.feed(text))

    def _on_special(self, token: str) -> None:
        with self._feed_lock:
            self._push(self._segmenter.feed(SPECIAL_MARKER))

    def _on_finish_input(self) -> None:
        with self._feed_lock:
            self._push(self._segmenter.finish())
            self._chunks.put(_END)

    def _on_cancel(self) -> None:
        self._chunks.put(_END)

    def _run(self) -> None:
        while True:
            chunk = self._chunks.get()
            if chunk is _END or self.state == "cancelled":
                break
            if chunk.words == 0:
                continue  # punctuation or emoji alone: nothing to say
            try:
                audio = self.provider.synthesize(chunk.text)
            except CompanionError as exc:
                self._emit_error(exc)
                return
            except Exception as exc:  # a provider bug must still end the session cleanly
                log.speech.exception("synthesis failed")
                self._emit_error(SpeechError(f"synthesis failed: {exc}", reason="synthesis-failed"))
                return
            self._emit_sentence(chunk.text, audio)
        if self.state != "cancelled":
            self._emit_done()
