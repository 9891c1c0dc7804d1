"""The speech server (``companion-stage serve``): token auth, flux billing, a streaming TTS proxy.

Layering: ``db``/``store``/``billing`` know SQL and nothing of the web; ``proxy`` and
``routes`` are the Starlette side; ``app`` wires them into one ASGI application.
Speech logic stays in ``app.speech`` (the built-in upstream is its streaming engine).
"""

from __future__ import annotations

__all__: list[str] = []
