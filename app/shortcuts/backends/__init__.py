"""Backends that bind key combinations: X11, the keyboard package, the Wayland portal, in-app."""

from __future__ import annotations

from app.shortcuts.backends.base import Backend, BindError, EventSink

__all__ = ["Backend", "BindError", "EventSink"]
