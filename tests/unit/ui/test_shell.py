"""The shell's wiring: tray menu, a later launch's arguments, the missing-tray fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.paths import DataPaths
from app.ui.actions import ShellActions
from app.ui.app import Shell
from app.ui.resources import icon_path
from app.ui.tray import build_tray
from tests.unit.ui.conftest import NO_TRAY

pytestmark = NO_TRAY


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def test_the_tray_menu_emits_the_shell_actions(qtbot: QtBot) -> None:
    actions = ShellActions()
    tray = build_tray(actions, QIcon(str(icon_path())))
    menu = tray.contextMenu()
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "Show stage",
        "Settings…",
        "Quit",
    ]
    by_name = {a.text(): a for a in menu.actions()}
    for name, signal in (
        ("Show stage", actions.show_stage_requested),
        ("Settings…", actions.settings_requested),
        ("Quit", actions.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            by_name[name].trigger()


def test_without_a_tray_the_settings_window_shows_and_says_why(shell: Shell) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has no tray
    assert shell.tray is None
    assert shell.window.isVisible()
    assert [b.reason for b in shell.window.notices.banners()] == ["no-system-tray"]
    assert shell.window.page_names()[0] == "Models"


def test_a_later_launch_opens_settings_or_asks_for_the_stage(qtbot: QtBot, shell: Shell) -> None:
    shell.window.hide()
    shell.handle_arguments(["--data-dir", "x", "--settings"])
    assert shell.window.isVisible()
    with qtbot.waitSignal(shell.actions.show_stage_requested, timeout=1000):
        shell.handle_arguments([])


def test_selecting_a_model_reaches_the_shell_actions(qtbot: QtBot, shell: Shell) -> None:
    builtin = shell.models_page.entries()[0]
    with qtbot.waitSignal(shell.actions.model_selected, timeout=1000) as emitted:
        shell.models_page.select(builtin.id)
    assert emitted.args == [""]  # "" selects the built-in (ModelsSettings.selected)


def test_the_shell_has_every_page_and_runs_app_actions_from_shortcuts(
    qtbot: QtBot, shell: Shell
) -> None:
    from app.shortcuts.types import TriggerEvent

    assert shell.window.page_names() == [
        "Models", "Stage", "Speech", "Chat", "Privacy", "Shortcuts", "Developer › Shortcuts"]
    shell.window.hide()
    shell.trigger_relay.forward(TriggerEvent("open-settings", "up", 0.0))
    qtbot.wait(50)
    assert not shell.window.isVisible()  # key-ups do nothing
    shell.trigger_relay.forward(TriggerEvent("open-settings", "down", 0.0))
    qtbot.waitUntil(shell.window.isVisible, timeout=2000)
