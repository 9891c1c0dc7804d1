"""Settings > Shortcuts: the user rebinds the app's own global shortcuts.

Each action has a recorder field: click it and press the combination. The new
shortcut is tried at once (off the GUI thread: on Wayland the desktop may ask first);
if it fails the row says why, and the old shortcut keeps working. Clear leaves the
action unbound; Default restores the shipped combination.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.shortcuts.actions import APP_ACTIONS, ActionShortcuts
from app.shortcuts.types import Result
from app.ui.inapp_keys import accelerators_for
from app.ui.page_header import add_page_header

__all__ = ["AppShortcutsPage", "ShortcutRecorder"]

_OK_STYLE: Final = "color: #1b7f3b;"
_FAIL_STYLE: Final = "color: #b3261e;"
_PROMPT: Final = "Press the new shortcut…"


class ShortcutRecorder(QLineEdit):
    """A field that shows an accelerator and records a new one from a key press.

    Escape gives up (the old text comes back); Backspace alone asks to clear; Tab still
    moves the focus. ``recorded`` carries the canonical, portable accelerator
    (``CmdOrCtrl`` rather than ``Ctrl`` so a settings file moves between systems).
    """

    recorded = Signal(str)
    clear_requested = Signal()

    def __init__(self, accelerator: str, parent: QWidget | None = None) -> None:
        super().__init__(accelerator, parent)
        self.setReadOnly(True)
        self.setPlaceholderText("(none) — click, then press keys")
        self._shown = accelerator

    def show_accelerator(self, accelerator: str) -> None:
        self._shown = accelerator
        self.setText(accelerator)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.setText("")
        self.setPlaceholderText(_PROMPT)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.setPlaceholderText("(none) — click, then press keys")
        self.setText(self._shown)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        plain = mods & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and plain:
            super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Escape and plain:
            self.clearFocus()
            return
        if key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) and plain:
            self.clear_requested.emit()
            self.clearFocus()
            return
        spellings = accelerators_for(key, mods, sys.platform)
        if not spellings:
            return  # a modifier alone, or a key we cannot name: keep listening
        accelerator = str(spellings[-1])  # the CmdOrCtrl spelling when there is one
        self.clearFocus()
        self.recorded.emit(accelerator)


class _Results(QObject):
    done = Signal(str, object)  # action id, Result | None (None: cleared)


class AppShortcutsPage(QWidget):
    """One row per app action: recorder, Clear, Default, and the last outcome."""

    #: Emitted in the GUI thread after a change was tried (action id, Result or None).
    changed = Signal(str, object)

    def __init__(self, actions: ActionShortcuts, backend_summary: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("app-shortcuts-page")
        self._actions = actions
        self.recorders: dict[str, ShortcutRecorder] = {}
        self.statuses: dict[str, QLabel] = {}
        self.clear_buttons: dict[str, QPushButton] = {}
        self.default_buttons: dict[str, QPushButton] = {}
        self._busy: set[str] = set()
        self._results = _Results(self)
        self._results.done.connect(self._show)

        box = QGroupBox("App shortcuts")
        grid = QGridLayout(box)
        saved = actions.saved()
        for row, action in enumerate(APP_ACTIONS):
            recorder = ShortcutRecorder(saved[action.id])
            recorder.setObjectName(f"shortcut-{action.id}")
            recorder.setAccessibleName(f"Shortcut for: {action.description}")
            recorder.recorded.connect(lambda a, i=action.id: self.rebind(i, a))
            recorder.clear_requested.connect(lambda i=action.id: self.clear(i))
            clear = QPushButton("Clear")
            clear.clicked.connect(lambda _=False, i=action.id: self.clear(i))
            default = QPushButton("Default")
            default.clicked.connect(lambda _=False, i=action.id: self.reset(i))
            status = QLabel()
            status.setWordWrap(True)
            status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            title = QLabel(f"<b>{action.description}</b>")
            title.setWordWrap(True)
            title.setBuddy(recorder)
            grid.addWidget(title, 3 * row, 0, 1, 3)
            grid.addWidget(recorder, 3 * row + 1, 0)
            grid.addWidget(clear, 3 * row + 1, 1)
            grid.addWidget(default, 3 * row + 1, 2)
            grid.addWidget(status, 3 * row + 2, 0, 1, 3)
            self.recorders[action.id] = recorder
            self.statuses[action.id] = status
            self.clear_buttons[action.id] = clear
            self.default_buttons[action.id] = default
        grid.setColumnStretch(0, 1)

        self.backend_label = QLabel(backend_summary)
        self.backend_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        add_page_header(layout, "Shortcuts", "Global shortcuts work whichever window has "
                        "focus. Click a field and press the new combination.")
        layout.addWidget(box)
        layout.addWidget(self.backend_label)
        layout.addStretch(1)

    # -- actions (each runs off the GUI thread) --------------------------------------------

    def rebind(self, action_id: str, accelerator: str) -> None:
        self._run(action_id, f"Binding {accelerator}…",
                  lambda: self._actions.rebind(action_id, accelerator))

    def reset(self, action_id: str) -> None:
        self._run(action_id, "Restoring the default…", lambda: self._actions.reset(action_id))

    def clear(self, action_id: str) -> None:
        def work() -> None:
            self._actions.clear(action_id)

        self._run(action_id, "Clearing…", work)

    def show_bound(self, results: dict[str, Result]) -> None:
        """The outcome of binding at start (or after an outside change), row by row."""
        for action_id, result in results.items():
            if action_id in self.statuses:
                self._describe(action_id, result)
        self.follow_saved()

    def follow_saved(self) -> None:
        """Settings changed outside: show what each action is bound to now."""
        saved = self._actions.saved()
        for action_id, recorder in self.recorders.items():
            if action_id not in self._busy:
                recorder.show_accelerator(saved[action_id])

    def _run(self, action_id: str, note: str, work: Callable[[], Result | None]) -> None:
        if action_id in self._busy:
            return  # one change per action at a time
        self._busy.add(action_id)
        self._set_enabled(action_id, False)
        self._status(action_id, note, None)
        results = self._results

        def run() -> None:
            outcome = work()
            with contextlib.suppress(RuntimeError):  # the page is gone
                results.done.emit(action_id, outcome)

        threading.Thread(target=run, name=f"shortcut-{action_id}", daemon=True).start()

    def _show(self, action_id: str, result: Result | None) -> None:
        self._busy.discard(action_id)
        self._set_enabled(action_id, True)
        self.recorders[action_id].show_accelerator(self._actions.saved()[action_id])
        self._describe(action_id, result)
        self.changed.emit(action_id, result)

    def _describe(self, action_id: str, result: Result | None) -> None:
        if result is None:
            self._status(action_id, "No shortcut: use the tray menu instead.", None)
        elif result.ok:
            where = "system-wide" if result.scope == "global" else "only while the app has focus"
            self._status(action_id, f"Works {where} ({result.backend}).", True)
        else:
            self._status(action_id, f"Not working — {result.reason}: {result.message}", False)

    def _set_enabled(self, action_id: str, enabled: bool) -> None:
        for widget in (self.recorders[action_id], self.clear_buttons[action_id],
                       self.default_buttons[action_id]):
            widget.setEnabled(enabled)

    def _status(self, action_id: str, text: str, ok: bool | None) -> None:
        label = self.statuses[action_id]
        label.setStyleSheet("" if ok is None else _OK_STYLE if ok else _FAIL_STYLE)
        label.setText(text)
