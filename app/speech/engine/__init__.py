"""The built-in streaming TTS engine: server-side segmentation plus the offline voice.

It speaks the streaming protocol (``app.speech.protocol``) over WebSockets, so the
desktop's streaming provider, the tests, the benchmark and the speech server (as its
default upstream) all use a real streaming voice without any cloud account.
"""

from __future__ import annotations

from app.speech.engine.server import EngineOptions, StreamingEngine, list_voices
from app.speech.engine.thread import EngineThread

__all__ = ["EngineOptions", "EngineThread", "StreamingEngine", "list_voices"]
