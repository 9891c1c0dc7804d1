"""The Qt shell: tray icon, settings window and their pages. The only package with widgets."""

from __future__ import annotations

__all__: list[str] = []
