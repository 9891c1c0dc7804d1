"""Companion Stage: a tray shell that shows a VRM avatar in a Godot sidecar."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
