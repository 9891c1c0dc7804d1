"""Feeds the app's own key presses to the in-app shortcut backend.

When no global backend works (no X11 grab, no portal, no readable /dev/input), the
shortcut service falls back to in-app bindings, reported as such. They fire only if
somebody hands them key events: this application-wide Qt event filter does, while a
window of the app has focus.
"""

from __future__ import annotations

import string
import sys
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

from app.shortcuts.accelerator import Accelerator
from app.shortcuts.backends.inapp import InAppBackend
from app.shortcuts.keys import canonical_key
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Phase

__all__ = ["InAppKeyFeeder", "accelerators_for"]

K = Qt.Key
#: Qt keys whose canonical name is not simply their text (incl. US-layout shifted symbols).
_NAMED: Final[dict[int, str]] = {
    K.Key_Up: "ArrowUp", K.Key_Down: "ArrowDown", K.Key_Left: "ArrowLeft",
    K.Key_Right: "ArrowRight",
    K.Key_Space: "Space", K.Key_Return: "Enter", K.Key_Enter: "Enter", K.Key_Escape: "Escape",
    K.Key_Tab: "Tab", K.Key_Backtab: "Tab", K.Key_Backspace: "Backspace", K.Key_Delete: "Delete",
    K.Key_Insert: "Insert", K.Key_Home: "Home", K.Key_End: "End", K.Key_PageUp: "PageUp",
    K.Key_PageDown: "PageDown", K.Key_Minus: "Minus", K.Key_Underscore: "Minus",
    K.Key_Equal: "Equal", K.Key_Plus: "Equal", K.Key_BracketLeft: "BracketLeft",
    K.Key_BraceLeft: "BracketLeft", K.Key_BracketRight: "BracketRight",
    K.Key_BraceRight: "BracketRight", K.Key_Backslash: "Backslash", K.Key_Bar: "Backslash",
    K.Key_Semicolon: "Semicolon", K.Key_Colon: "Semicolon", K.Key_Apostrophe: "Quote",
    K.Key_QuoteDbl: "Quote", K.Key_QuoteLeft: "Backquote", K.Key_AsciiTilde: "Backquote",
    K.Key_Comma: "Comma", K.Key_Less: "Comma", K.Key_Period: "Period", K.Key_Greater: "Period",
    K.Key_Slash: "Slash", K.Key_Question: "Slash", K.Key_Exclam: "1", K.Key_At: "2",
    K.Key_NumberSign: "3", K.Key_Dollar: "4", K.Key_Percent: "5", K.Key_AsciiCircum: "6",
    K.Key_Ampersand: "7", K.Key_Asterisk: "8", K.Key_ParenLeft: "9", K.Key_ParenRight: "0",
    K.Key_Print: "PrintScreen", K.Key_Pause: "Pause", K.Key_Menu: "ContextMenu",
}
_MODIFIER_KEYS: Final = {K.Key_Shift, K.Key_Control, K.Key_Alt, K.Key_Meta, K.Key_AltGr}


def _key_name(key: int) -> str | None:
    if key in _NAMED:
        return _NAMED[key]
    if K.Key_F1 <= key <= K.Key_F24:
        return f"F{key - K.Key_F1 + 1}"
    if 0x20 < key < 0x7F and chr(key) in string.ascii_uppercase + string.digits:
        return canonical_key(chr(key))
    return None


def accelerators_for(key: int, modifiers: Qt.KeyboardModifier,
                     platform: str = sys.platform) -> list[Accelerator]:
    """Every spelling a binding of this key press could have (Ctrl and CmdOrCtrl alike)."""
    name = _key_name(key)
    if name is None or key in _MODIFIER_KEYS:
        return []
    mods: set[str] = set()
    # Qt maps macOS's Command key to ControlModifier and Control to MetaModifier.
    ctrl_flag, meta_flag = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.MetaModifier
    control, command = (meta_flag, ctrl_flag) if platform == "darwin" else (ctrl_flag, meta_flag)
    if modifiers & control:
        mods.add("Ctrl")
    if modifiers & Qt.KeyboardModifier.AltModifier:
        mods.add("Alt")
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        mods.add("Shift")
    if modifiers & command:
        mods.add("Super")
    spellings = [frozenset(mods)]
    cmd_key = "Super" if platform == "darwin" else "Ctrl"
    if cmd_key in mods:
        spellings.append(frozenset(mods - {cmd_key} | {"CmdOrCtrl"}))
    return [Accelerator(m, name) for m in spellings]  # type: ignore[arg-type]


class InAppKeyFeeder(QObject):
    """Install on the QApplication; does nothing unless the service fell back to in-app."""

    def __init__(self, service: ShortcutService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        backend = self._service.backend
        if not isinstance(backend, InAppBackend) or event.type() not in (
                QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        assert isinstance(event, QKeyEvent)
        if event.isAutoRepeat():
            return False
        phase: Phase = "down" if event.type() == QEvent.Type.KeyPress else "up"
        return any(backend.feed(accelerator, phase)
                   for accelerator in accelerators_for(event.key(), event.modifiers()))
