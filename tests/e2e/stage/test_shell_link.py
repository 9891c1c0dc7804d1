"""The shell's stage wiring against the real Godot: select in the UI -> avatar applied -> page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.analytics import Analytics, AnalyticsConfig
from app.models.library import ModelLibrary
from app.paths import DataPaths
from app.settings import SettingsStore
from app.stage.runtime import Runtime
from app.stage.service import StageService
from app.ui.stage_link import ApplyOutcome, StageLink
from app.ui.stage_page import StagePage
from tests.conftest import real_vrm_files

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


@pytest.fixture
def link(qtbot: QtBot, data_dir: DataPaths, godot_runtime: Runtime) -> Iterator[StageLink]:
    store = SettingsStore(data_dir.settings_file)
    service = StageService(data_dir, store, headless=True, runtime=godot_runtime)
    built = StageLink(service, ModelLibrary(data_dir.models_dir),
                      Analytics(AnalyticsConfig("denied", "", "", "")))
    yield built
    built.stop()


def test_selecting_in_the_shell_shows_the_avatar_and_the_page_follows(
    qtbot: QtBot, link: StageLink
) -> None:
    page = StagePage(link)
    qtbot.addWidget(page)
    with qtbot.waitSignal(link.state_changed, timeout=30_000,
                          check_params_cb=lambda state, _reason: state == "running"):
        link.start()
    assert page.state_label.text() == "Running"
    assert not page.start_button.isEnabled() and page.stop_button.isEnabled()

    with qtbot.waitSignal(link.apply_finished, timeout=30_000) as answered:
        link.select("")  # the built-in default avatar
    outcome: ApplyOutcome = answered.args[0]
    assert outcome.ok, outcome.summary
    assert "Companion Stage Default is on the stage (VRM 1.0, imported in" in outcome.summary
    assert page.apply_label.text() == outcome.summary
    qtbot.waitUntil(lambda: page.output.toPlainText().strip() != "", timeout=10_000)

    imported = link.library.import_file(real_vrm_files()[0]).entry
    with qtbot.waitSignal(link.apply_finished, timeout=30_000) as answered:
        link.select(imported.id)
    assert answered.args[0].ok and f"{imported.title} is on the stage" in answered.args[0].summary

    with qtbot.waitSignal(link.state_changed, timeout=30_000,
                          check_params_cb=lambda state, _reason: state == "stopped"):
        link.toggle()
    assert page.state_label.text() == "Stopped" and page.start_button.isEnabled()


def test_an_unknown_model_is_reported_with_its_reason(qtbot: QtBot, link: StageLink) -> None:
    with qtbot.waitSignal(link.apply_finished, timeout=5_000) as answered:
        link.select("f" * 64)
    assert not answered.args[0].ok
    assert answered.args[0].reason == "unknown-model"
