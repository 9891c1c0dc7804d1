"""Settings of the global shortcuts: accelerator per app action."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["ShortcutsSettings"]


def _default_bindings() -> dict[str, str]:
    return {"toggle-stage": "CmdOrCtrl+Shift+K", "open-settings": "CmdOrCtrl+Shift+Comma"}


@dataclass
class ShortcutsSettings:
    bindings: dict[str, str] = setting(doc="Accelerator for each app action id.", factory=_default_bindings)
