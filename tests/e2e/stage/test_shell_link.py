"""The shell's stage wiring against the real Godot: select in the UI -> avatar applied -> page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.analytics import Analytics, AnalyticsConfig
from app.godot.locator import GODOT_ENV
from app.models.library import ModelLibrary
from app.paths import DataPaths
from app.settings import SettingsStore
from app.settings.sections.stage import StageSettings
from app.stage.runtime import Runtime
from app.stage.service import StageService
from app.stage.supervisor import StageState
from app.ui.stage_link import ApplyOutcome, StageLink
from app.ui.stage_page import StagePage
from tests.conftest import real_vrm_files
from tests.godot_stand_ins import script, versioned_godot, wrapped_godot
from tests.unit.analytics.test_client import Receiver

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    built = Receiver()
    yield built
    built.server.shutdown()
    built.server.server_close()


@pytest.fixture
def link(
    qtbot: QtBot, data_dir: DataPaths, godot_runtime: Runtime, receiver: Receiver
) -> Iterator[StageLink]:
    store = SettingsStore(data_dir.settings_file)
    service = StageService(data_dir, store, headless=True, runtime=godot_runtime)
    built = StageLink(service, ModelLibrary(data_dir.models_dir),
                      Analytics(AnalyticsConfig("granted", "install-3", "phc_e2e", receiver.url)))
    yield built
    built.stop()
    built.analytics.shutdown()


def test_selecting_in_the_shell_shows_the_avatar_and_the_page_follows(
    qtbot: QtBot, link: StageLink, receiver: Receiver
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

    link.analytics.shutdown()  # flush: both applies were reported, without titles or names
    applied = [e for e in receiver.events() if e["event"] == "avatar applied"]
    assert [e["properties"]["ok"] for e in applied] == [True, True]
    assert all(e["properties"]["import_ms"] >= 0 for e in applied)
    assert imported.title not in str(receiver.requests)


def test_an_unknown_model_is_reported_with_its_reason(qtbot: QtBot, link: StageLink) -> None:
    with qtbot.waitSignal(link.apply_finished, timeout=5_000) as answered:
        link.select("f" * 64)
    assert not answered.args[0].ok
    assert answered.args[0].reason == "unknown-model"


@pytest.mark.expected_log(
    r"^stage: fatal: the VRM glTF extension is not registered",
    r"^stage error: the stage reported a fatal error: the VRM glTF extension is not registered",
)
def test_a_fatal_stage_shows_its_message_on_the_page(
    qtbot: QtBot, data_dir: DataPaths, godot_runtime: Runtime, receiver: Receiver
) -> None:
    """stage.fatal from the real Godot reaches the Stage page as state error with the message."""
    service = StageService(data_dir, SettingsStore(data_dir.settings_file), headless=True,
                           runtime=godot_runtime, extra_user_args=["--debug-break-vrm-extension"])
    link = StageLink(service, ModelLibrary(data_dir.models_dir),
                     Analytics(AnalyticsConfig("granted", "install-3", "phc_e2e", receiver.url)))
    page = StagePage(link)
    qtbot.addWidget(page)
    try:
        with (
            qtbot.waitSignal(link.apply_finished, timeout=30_000) as answered,
            qtbot.waitSignal(link.state_changed, timeout=30_000,
                             check_params_cb=lambda state, _reason: state == "error"),
        ):
            link.start()
            link.select("")  # parked until the stage is ready: it never will be
        assert page.state_label.text() == "Stopped with an error"
        assert page.reason_label.text().startswith(
            "the stage reported a fatal error: the VRM glTF extension is not registered")
        outcome: ApplyOutcome = answered.args[0]
        assert not outcome.ok and outcome.reason == "stage-error"
    finally:
        link.stop()
        link.analytics.shutdown()


@pytest.mark.expected_log(r"did not report stage\.ready")
def test_choosing_a_godot_on_the_stage_page_fixes_a_stage_that_failed(
    qtbot: QtBot, data_dir: DataPaths, godot_runtime: Runtime, tmp_path: Path
) -> None:
    """A Godot that passes the version check but never starts the stage leaves it in error;
    the user picks a bad file (refused, nothing saved), then a real Godot: it is saved, and
    the stage starts with it."""
    mute = script(tmp_path / "mute" / "godot",
                  '[ "$2" = "--version" ] && echo "4.5.stable.mute" && exit 0\nexec sleep 60\n')
    good = wrapped_godot(tmp_path / "good" / "godot", godot_runtime.command)
    store = SettingsStore(data_dir.settings_file)
    store.update(lambda s: setattr(s.godot, "path", str(mute)))
    environ = {**os.environ}
    environ.pop(GODOT_ENV, None)
    service = StageService(data_dir, store, headless=True, environ=environ,
                           settings=StageSettings(ready_timeout_s=1.0))
    link = StageLink(service, ModelLibrary(data_dir.models_dir),
                     Analytics(AnalyticsConfig("denied", "install-4", "", "")))
    page = StagePage(link)
    qtbot.addWidget(page)
    try:
        assert page.godot_label.text() == f"Godot: {mute}"
        with qtbot.waitSignal(link.state_changed, timeout=30_000,
                              check_params_cb=lambda state, _reason: state == "error"):
            link.start()

        with qtbot.waitSignal(link.godot_chosen, timeout=30_000):
            page.choose_godot(str(versioned_godot(tmp_path / "old" / "godot", "3.5.stable")))
        assert page.godot_status.text().startswith("Not changed: Godot not saved: ")
        assert "[godot-unusable]" in page.godot_status.text()
        assert page.godot_status.property("failed") is True
        assert store.load().settings.godot.path == str(mute)
        assert link.state is StageState.ERROR  # a refused choice does not retry

        with qtbot.waitSignal(link.state_changed, timeout=30_000,
                              check_params_cb=lambda state, _reason: state == "running"):
            page.choose_godot(str(good))
        assert store.load().settings.godot.path == str(good)
        assert page.godot_label.text().startswith(f"Godot: {good} (Godot 4.")
        assert page.godot_status.property("failed") is False
        assert page.auto_godot_button.isEnabled()

        with qtbot.waitSignal(link.godot_chosen, timeout=30_000):
            page.auto_godot_button.click()
        assert store.load().settings.godot.path == ""
        assert page.godot_label.text().startswith("Godot: found automatically")
        assert page.godot_status.text() == "Saved. The stage uses it from its next start."
        assert not page.auto_godot_button.isEnabled()
    finally:
        link.stop()
        link.analytics.shutdown()
