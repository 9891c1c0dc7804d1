"""Global shortcuts: accelerator parsing, a service with reasoned results, OS backends. No Qt."""

from __future__ import annotations

from app.shortcuts.accelerator import (
    Accelerator,
    AcceleratorError,
    format_accelerator,
    parse_accelerator,
)
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import ActiveBinding, BackendInfo, Binding, Result, TriggerEvent

__all__ = [
    "Accelerator",
    "AcceleratorError",
    "ActiveBinding",
    "BackendInfo",
    "Binding",
    "Result",
    "ShortcutService",
    "TriggerEvent",
    "format_accelerator",
    "parse_accelerator",
]
