"""The desktop's analytics events, each a dataclass of coarse, non-identifying fields.

Events are types, not free-form dicts, so nothing the user wrote, no file name and
no voice of their own can reach analytics by accident: a field can only hold a
bucket, an enum-like code or a number.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

__all__ = [
    "AppStarted",
    "AvatarApplied",
    "Event",
    "ModelImported",
    "ShortcutRegistered",
    "SpeechSessionStarted",
    "size_bucket",
]

_SIZE_BUCKETS = (
    (1 << 20, "<1MB"),
    (10 << 20, "1-10MB"),
    (50 << 20, "10-50MB"),
    (200 << 20, "50-200MB"),
)


def size_bucket(size: int) -> str:
    """A file size as a coarse bucket: exact sizes could fingerprint a model."""
    for limit, label in _SIZE_BUCKETS:
        if size < limit:
            return label
    return ">=200MB"


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = ""

    def properties(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AppStarted(Event):
    name: ClassVar[str] = "app started"
    version: str
    platform: str


@dataclass(frozen=True)
class ModelImported(Event):
    name: ClassVar[str] = "model imported"
    vrm_version: Literal["0.x", "1.0"]
    size_bucket: str


@dataclass(frozen=True)
class AvatarApplied(Event):
    name: ClassVar[str] = "avatar applied"
    import_ms: int
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class SpeechSessionStarted(Event):
    """``transport`` is the adapter that really ran (a fallback shows as "segmenter")."""

    name: ClassVar[str] = "speech session started"
    transport: Literal["segmenter", "streaming"]
    provider: str


@dataclass(frozen=True)
class ShortcutRegistered(Event):
    name: ClassVar[str] = "shortcut registered"
    ok: bool
    backend: str
    reason: str = ""
