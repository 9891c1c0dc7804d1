"""Settings of the global shortcuts: accelerator per app action, and the backend to use."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings.fields import setting

__all__ = ["DEFAULT_BINDINGS", "ShortcutsSettings"]

#: App action id -> default accelerator (the user may rebind or clear each).
DEFAULT_BINDINGS: dict[str, str] = {
    "toggle-stage": "CmdOrCtrl+Shift+K",
    "open-settings": "CmdOrCtrl+Shift+Comma",
}


def _default_bindings() -> dict[str, str]:
    return dict(DEFAULT_BINDINGS)


@dataclass
class ShortcutsSettings:
    bindings: dict[str, str] = setting(
        doc="Accelerator for each app action id; an empty string leaves the action unbound.",
        factory=_default_bindings)
    backend: str = setting(
        "auto", doc="Shortcut backend: auto, x11, keyboard, portal or in-app "
                    "(env COMPANION_STAGE_SHORTCUTS_BACKEND overrides).")
