"""Run a StreamingEngine on its own asyncio loop in a background thread.

Lets synchronous callers (tests, the benchmark, ``companion-stage tts-engine``) start
a real engine on loopback and stop it cleanly.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from app.loop_shutdown import close_loop
from app.speech.engine.server import EngineOptions, StreamingEngine

__all__ = ["EngineThread"]


class EngineThread:
    def __init__(
        self, options: EngineOptions | None = None, engine: StreamingEngine | None = None
    ) -> None:
        self.engine = engine or StreamingEngine(options)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="tts-engine", daemon=True)

    @property
    def url(self) -> str:
        return self.engine.url

    @property
    def http_base(self) -> str:
        return f"http://{self.engine.options.host}:{self.engine.port}"

    def start(self) -> EngineThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            try:
                self._loop.run_until_complete(self.engine.start())
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.engine.stop())
        finally:
            close_loop(self._loop)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> EngineThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
