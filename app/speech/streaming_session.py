"""The streaming adapter: one WebSocket per utterance to a bidirectional streaming voice.

Raw LLM text goes up as it arrives (the server segments it); audio comes down as
binary frames and is cut into sentences at ``sentence.end`` — or kept whole until
``session.finished`` with ``buffer_session`` for models whose subtitles lag the
audio. All frames are handled in order by one receiving thread, so flushes are
serialised: audio still pending when ``session.finished`` arrives becomes the last
sentence instead of being lost.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from app import log
from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.protocol import (
    DEFAULT_SAMPLE_RATE,
    cancel_frame,
    finish_frame,
    parse_server_event,
    start_frame,
    text_frame,
)
from app.speech.session import SessionCallbacks, TtsSession

__all__ = ["StreamingSession"]

_STOP = None


class StreamingSession(TtsSession):
    transport = "streaming"

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        model: str = "",
        voice: str = "",
        response_format: str = "pcm",
        extra_body: dict[str, Any] | None = None,
        buffer_session: bool = False,
        callbacks: SessionCallbacks | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        super().__init__(callbacks)
        self.url = url
        self._token = token
        self._buffer_session = buffer_session
        self._open_timeout = open_timeout
        self._outbox: queue.Queue[str | None] = queue.Queue()
        self._outbox.put(
            start_frame(
                model=model, voice=voice, response_format=response_format, extra_body=extra_body
            )
        )
        self._ws: ClientConnection | None = None
        self._ws_lock = threading.Lock()
        # receive-side state, touched only by the receiving thread
        self._rate = DEFAULT_SAMPLE_RATE
        self._pcm = bytearray()
        self._texts: list[str] = []
        self._open_text = ""
        self.usage: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, name="tts-stream", daemon=True)
        self._thread.start()

    # -- hooks -----------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        self._outbox.put(text_frame(text))

    def _on_special(self, token: str) -> None:
        # the server segments raw text itself; a special token has no frame of its own
        log.speech.debug("special token %r not sent over the stream", token)

    def _on_finish_input(self) -> None:
        self._outbox.put(finish_frame())

    def _on_cancel(self) -> None:
        self._outbox.put(cancel_frame())
        self._outbox.put(_STOP)

    def _release(self) -> None:
        self._outbox.put(_STOP)
        with self._ws_lock:
            ws = self._ws
        if ws is not None and threading.current_thread() is not self._thread:
            ws.close()

    # -- transport -------------------------------------------------------------------------

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        opened = False
        try:
            with connect(
                self.url,
                additional_headers=headers,
                open_timeout=self._open_timeout,
                max_size=None,
                close_timeout=2,
            ) as ws:
                opened = True
                self._serve(ws)
        except InvalidStatus as exc:
            status = exc.response.status_code
            reason = "auth-failed" if status in (401, 403) else "stream-refused"
            self._emit_error(
                SpeechError(
                    f"the streaming voice at {self.url} refused the connection (HTTP {status})",
                    reason=reason,
                )
            )
        except InvalidURI:
            self._emit_error(SpeechError(f"not a WebSocket URL: {self.url!r}", reason="bad-url"))
        except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed) as exc:
            # a reset during the handshake is ConnectionClosed too; after it, OSError
            if opened:
                self._emit_error(
                    SpeechError(
                        f"lost the connection to the streaming voice at {self.url}: {exc}",
                        reason="stream-closed",
                    )
                )
            else:
                self._emit_error(
                    SpeechError(
                        f"cannot reach the streaming voice at {self.url}: {exc}",
                        reason="provider-unreachable",
                    )
                )
        finally:
            self._outbox.put(_STOP)

    def _serve(self, ws: ClientConnection) -> None:
        with self._ws_lock:
            self._ws = ws
        if self.state == "cancelled":
            return  # cancelled while connecting: nothing was said, just close
        sender = threading.Thread(
            target=self._send_loop, args=(ws,), name="tts-stream-send", daemon=True
        )
        sender.start()
        try:
            while True:
                message = ws.recv()
                if isinstance(message, bytes):
                    self._pcm += message
                elif self._handle_event(message):
                    return
        except ConnectionClosed as exc:
            if self.state not in ("done", "cancelled"):
                code = exc.rcvd.code if exc.rcvd is not None else 1006
                why = f": {exc.rcvd.reason}" if exc.rcvd is not None and exc.rcvd.reason else ""
                self._emit_error(
                    SpeechError(
                        f"the streaming voice closed the connection (close code {code}{why}) "
                        "before the session finished",
                        reason="stream-closed",
                    )
                )
        except SpeechError as exc:
            self._emit_error(exc)

    def _send_loop(self, ws: ClientConnection) -> None:
        while True:
            frame = self._outbox.get()
            if frame is _STOP:
                return
            try:
                ws.send(frame)
            except ConnectionClosed:
                return
            if self.state == "cancelled" and frame == cancel_frame():
                ws.close()
                return

    def _handle_event(self, raw: str) -> bool:
        """Apply one JSON event; True when the session is over."""
        ev = parse_server_event(raw)
        if ev.name == "session.started":
            rate = ev.payload.get("sample_rate")
            if isinstance(rate, int) and rate > 0:
                self._rate = rate
        elif ev.name == "sentence.start":
            self._open_text = str(ev.payload.get("text", ""))
        elif ev.name == "sentence.end":
            text = str(ev.payload.get("text") or self._open_text)
            self._open_text = ""
            self._texts.append(text)
            if not self._buffer_session:
                self._flush()
        elif ev.name == "session.finished":
            usage = ev.payload.get("usage")
            self.usage = usage if isinstance(usage, dict) else {}
            if self._open_text:
                self._texts.append(self._open_text)
            self._flush()
            self._emit_done()
            return True
        elif ev.name == "error":
            code = str(ev.raw.get("code") or ev.payload.get("code") or "stream-error")
            message = str(ev.raw.get("message") or ev.payload.get("message") or "unknown error")
            self._emit_error(SpeechError(f"the streaming voice failed: {message}", reason=code))
            return True
        return False

    def _flush(self) -> None:
        text = " ".join(t for t in self._texts if t)
        pcm = bytes(self._pcm)
        self._texts.clear()
        self._pcm.clear()
        if pcm:
            self._emit_sentence(text, Audio(pcm, self._rate))
