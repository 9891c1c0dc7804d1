"""Starting the shell: one instance per data folder, a tray icon, the settings window.

``run_app`` is what ``companion-stage`` runs without a sub-command. A later launch
hands its arguments to the running shell and exits 0. Everything the rest of the app
reacts to goes through :class:`ShellActions`, which :class:`Shell` exposes so the
stage supervisor can be wired to it.
"""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app import log
from app.context import AppContext
from app.models.library import ModelLibrary
from app.settings import LoadResult
from app.ui.actions import ShellActions
from app.ui.models_page import ModelsPage
from app.ui.resources import ICON_NAME, icon_path
from app.ui.settings_window import SettingsWindow
from app.ui.single_instance import SingleInstance
from app.ui.tray import build_tray

__all__ = ["Shell", "run_app"]

#: How often Python gets the chance to run signal handlers while Qt's loop runs.
SIGNAL_POLL_MS = 250


class Shell:
    """The running shell's parts; built once the single-instance check passed."""

    def __init__(self, context: AppContext, loaded: LoadResult) -> None:
        self.context = context
        self.actions = ShellActions()
        self.icon = QIcon(str(icon_path()))
        models = loaded.settings.models
        self.library = ModelLibrary(context.paths.models_dir, max_bytes=models.max_import_bytes)
        self.window = SettingsWindow()
        self.window.setWindowIcon(self.icon)
        self.models_page = ModelsPage(self.library, context.settings, selected=models.selected)
        self.models_page.model_selected.connect(self.actions.model_selected)
        self.window.add_page("Models", self.models_page)
        self.window.show_settings_notices(loaded.notices)
        self.actions.settings_requested.connect(self.show_settings)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = build_tray(self.actions, self.icon)
            self.tray.show()
        else:
            log.ui.warning("No system tray is available; showing the settings window instead.")
            self.window.show_notice(
                "No system tray was found, so Companion Stage shows this window instead.",
                "Closing it keeps the app running; `companion-stage --settings` brings it back.",
                reason="no-system-tray",
            )
            self.show_settings()
        if loaded.notices:
            self.show_settings()

    def show_settings(self) -> None:
        self.window.bring_to_front()
        log.ui.info("Settings window shown")

    def handle_arguments(self, argv: list[str]) -> None:
        """A later launch's argv: ``--settings`` opens settings, a plain launch shows the stage."""
        if "--settings" in argv:
            self.show_settings()
        else:
            self.actions.show_stage_requested.emit()

    def shutdown(self) -> None:
        self.models_page.shutdown()
        if self.tray is not None:
            self.tray.hide()


def run_app(context: AppContext) -> int:
    """Run the tray app until Quit; returns the process exit code."""
    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qt_app, QApplication)
    qt_app.setQuitOnLastWindowClosed(False)
    qt_app.setApplicationName("Companion Stage")
    qt_app.setDesktopFileName(ICON_NAME)

    argv = sys.argv[1:]
    instance = SingleInstance(context.paths.root)
    if not instance.claim():
        if instance.send(argv):
            log.ui.info(
                "Companion Stage already runs for %s; handed it %s", context.paths.root, argv
            )
            return 0
        print(
            f"companion-stage: another instance holds {context.paths.root} but does not answer "
            "[instance-unreachable]",
            file=sys.stderr,
        )
        return 1

    loaded = context.settings.load()
    shell = Shell(context, loaded)
    instance.arguments_received.connect(shell.handle_arguments)
    shell.actions.quit_requested.connect(qt_app.quit)
    if getattr(context.args, "settings", False):
        shell.show_settings()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: qt_app.quit())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(SIGNAL_POLL_MS)

    log.ui.info("Companion Stage shell is running (data folder %s)", context.paths.root)
    try:
        return qt_app.exec()
    finally:
        ticker.stop()
        shell.shutdown()
        instance.release()
        log.ui.info("Companion Stage shell stopped")
