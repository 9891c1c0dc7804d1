"""Fixtures for the Qt shell's tests: a real library and settings store in the test's data dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.models.library import ModelLibrary
from app.paths import DataPaths
from app.settings import SettingsStore
from app.ui.models_page import ModelsPage
from tests.conftest import real_vrm_files

__all__ = ["NO_TRAY", "fixture_named", "library", "make_page", "store"]

#: Offscreen Qt has no system tray, so every Shell built in a test logs (at WARNING, as a user's
#: desktop without a tray would: the tray is the app's main way in) that it shows the window
#: instead. Test modules that build a Shell declare it with ``pytestmark = NO_TRAY``.
NO_TRAY = pytest.mark.expected_log(r"^No system tray is available; showing the settings window")


def fixture_named(stem: str) -> Path:
    return next(path for path in real_vrm_files() if path.stem == stem)


@pytest.fixture
def library(data_dir: DataPaths) -> ModelLibrary:
    return ModelLibrary(data_dir.models_dir)


@pytest.fixture
def store(data_dir: DataPaths) -> SettingsStore:
    return SettingsStore(data_dir.settings_file)


@pytest.fixture
def make_page(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Callable[[], ModelsPage]]:
    """Builds pages on the test's data dir (fresh library + store objects, like a restart)."""
    pages: list[ModelsPage] = []

    def make() -> ModelsPage:
        page = ModelsPage(ModelLibrary(data_dir.models_dir), SettingsStore(data_dir.settings_file))
        qtbot.addWidget(page)
        page.resize(800, 600)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown()
