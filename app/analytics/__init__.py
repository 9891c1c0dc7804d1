"""Opt-in product analytics (PostHog): typed events that carry no user content."""

from __future__ import annotations

from app.analytics.client import Analytics, AnalyticsConfig
from app.analytics.events import (
    AppStarted,
    AvatarApplied,
    Event,
    ModelImported,
    ShortcutRegistered,
    SpeechSessionStarted,
    size_bucket,
)

__all__ = [
    "Analytics",
    "AnalyticsConfig",
    "AppStarted",
    "AvatarApplied",
    "Event",
    "ModelImported",
    "ShortcutRegistered",
    "SpeechSessionStarted",
    "size_bucket",
]
