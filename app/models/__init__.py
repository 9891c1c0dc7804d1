"""The VRM model library: validation, metadata and the content-addressed store (no Qt).

Import from the defining modules (``app.models.validate``, ``app.models.library``).
"""

from __future__ import annotations

__all__: list[str] = []
