"""In-app shortcuts fire from real Qt key events delivered to an app window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from app.shortcuts.accelerator import parse_accelerator
from app.shortcuts.backends.inapp import InAppBackend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, TriggerEvent
from app.ui.inapp_keys import InAppKeyFeeder, accelerators_for

M = Qt.KeyboardModifier


@pytest.mark.parametrize(("key", "mods", "text"), [
    (Qt.Key.Key_K, M.ControlModifier | M.ShiftModifier, "CmdOrCtrl+Shift+K"),
    (Qt.Key.Key_K, M.ControlModifier | M.ShiftModifier, "Ctrl+Shift+K"),
    (Qt.Key.Key_Less, M.ControlModifier | M.ShiftModifier, "Ctrl+Shift+Comma"),
    (Qt.Key.Key_F5, M.AltModifier, "Alt+F5"),
    (Qt.Key.Key_Space, M.MetaModifier, "Super+Space"),
    (Qt.Key.Key_1, M.NoModifier, "Digit1"),
])
def test_a_key_press_matches_every_spelling_of_its_binding(key: Qt.Key, mods: M, text: str) -> None:
    assert parse_accelerator(text) in accelerators_for(key, mods, platform="linux")


def test_modifier_keys_alone_are_not_shortcuts() -> None:
    assert accelerators_for(Qt.Key.Key_Shift, M.ShiftModifier) == []


@pytest.fixture
def service() -> Iterator[ShortcutService]:
    built = ShortcutService([InAppBackend()], why="test")
    yield built
    built.close()


def test_the_feeder_delivers_app_key_presses_to_in_app_bindings(
    qtbot: QtBot, service: ShortcutService
) -> None:
    events: list[TriggerEvent] = []
    service.subscribe(events.append)
    assert service.register(Binding("toggle-stage", "CmdOrCtrl+Shift+K", receive_key_ups=True)).ok
    feeder = InAppKeyFeeder(service)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(feeder)
    try:
        field = QLineEdit()
        qtbot.addWidget(field)
        field.show()
        qtbot.keyClick(field, Qt.Key.Key_K, M.ControlModifier | M.ShiftModifier)
        qtbot.keyClick(field, Qt.Key.Key_J, M.ControlModifier | M.ShiftModifier)  # not bound
        qtbot.keyClicks(field, "k")
    finally:
        app.removeEventFilter(feeder)
    assert [(e.id, e.phase) for e in events] == [("toggle-stage", "down"), ("toggle-stage", "up")]
    assert field.text() == "k"  # the matched press was eaten, plain typing was not
