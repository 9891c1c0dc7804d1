"""Text-to-speech: segmentation, providers, sessions, playback and lip sync (no Qt here)."""

from __future__ import annotations

__all__: list[str] = []
