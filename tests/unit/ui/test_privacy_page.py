"""Settings > Privacy asks once, remembers the answer, and lets the user change it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.paths import DataPaths
from app.settings import SettingsStore
from app.ui.privacy_page import PrivacyPage


def test_asked_once_then_a_checkbox(qtbot: QtBot, data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    page = PrivacyPage(store)
    qtbot.addWidget(page)
    page.show()
    assert not page.asked
    assert page.question.isVisible() and not page.checkbox.isVisible()
    with qtbot.waitSignal(page.consent_changed) as answered:
        qtbot.mouseClick(page.deny_button, Qt.MouseButton.LeftButton)
    assert answered.args == [False]
    assert store.load().settings.privacy.analytics_consent == "denied"
    assert not page.question.isVisible() and page.checkbox.isVisible()
    assert not page.checkbox.isChecked()

    again = PrivacyPage(store)  # a restart: never asked again
    qtbot.addWidget(again)
    again.show()
    assert again.asked and not again.question.isVisible()
    with qtbot.waitSignal(again.consent_changed) as answered:
        again.checkbox.setChecked(True)
    assert answered.args == [True]
    privacy = store.load().settings.privacy
    assert privacy.analytics_consent == "granted" and privacy.install_id
