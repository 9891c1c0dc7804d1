"""Typed user settings, declared as data and stored atomically in ``settings.json``."""

from __future__ import annotations

from app.settings.schema import SCHEMA_VERSION, Settings
from app.settings.store import LoadNotice, LoadResult, SettingsStore

__all__ = ["SCHEMA_VERSION", "LoadNotice", "LoadResult", "Settings", "SettingsStore"]
