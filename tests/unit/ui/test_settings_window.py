"""The settings window's page list and its notice banners."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.paths import DataPaths
from app.settings import SettingsStore
from app.ui.settings_window import SettingsWindow


def test_pages_are_added_in_order_and_the_first_is_shown(qtbot: QtBot) -> None:
    window = SettingsWindow()
    qtbot.addWidget(window)
    models, speech = QLabel("models"), QLabel("speech")
    window.add_page("Models", models)
    window.add_page("Speech", speech)
    assert window.page_names() == ["Models", "Speech"]
    assert window.current_page() is models
    window.show_page("Speech")
    assert window.current_page() is speech


@pytest.mark.expected_log(r"^Settings file is not valid JSON")
def test_a_corrupt_settings_file_is_announced_in_a_banner(
    qtbot: QtBot, data_dir: DataPaths
) -> None:
    data_dir.settings_file.write_text("{ this is not json", encoding="utf-8")
    loaded = SettingsStore(data_dir.settings_file).load()
    assert loaded.notices and loaded.notices[0].kept_as is not None

    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show_settings_notices(loaded.notices)
    banners = window.notices.banners()
    assert [b.reason for b in banners] == ["settings-corrupt"]
    assert loaded.notices[0].kept_as.name in banners[0].text()
    assert banners[0].text().count(loaded.notices[0].kept_as.name) == 1  # said once, not twice
    assert str(loaded.notices[0].kept_as.parent) in banners[0].text()  # and where it is
    assert loaded.notices[0].kept_as.exists()  # nothing lost: the bad file is kept aside


def test_closing_the_window_only_hides_it(qtbot: QtBot) -> None:
    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.close() is False  # the close was refused: the app lives on in the tray
    assert window.isHidden()
