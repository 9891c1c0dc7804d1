"""The tray icon: the app's only permanent presence on screen."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from app.ui.actions import ShellActions

__all__ = ["build_tray"]


def build_tray(
    actions: ShellActions, icon: QIcon, parent: QWidget | None = None
) -> QSystemTrayIcon:
    """A tray icon whose menu (Show stage, Settings, Quit) emits ``actions``' signals."""
    tray = QSystemTrayIcon(icon, parent)
    tray.setToolTip("Companion Stage")
    menu = QMenu(parent)
    show_stage = QAction("Show stage", menu)
    show_stage.triggered.connect(actions.show_stage_requested.emit)
    settings = QAction("Settings…", menu)
    settings.triggered.connect(actions.settings_requested.emit)
    quit_action = QAction("Quit", menu)
    quit_action.triggered.connect(actions.quit_requested.emit)
    menu.addAction(show_stage)
    menu.addAction(settings)
    menu.addSeparator()
    menu.addAction(quit_action)
    tray.setContextMenu(menu)
    tray.activated.connect(
        lambda reason: (
            actions.settings_requested.emit()
            if reason == QSystemTrayIcon.ActivationReason.Trigger
            else None
        )
    )
    # setContextMenu does not take ownership: keep the menu alive as long as the icon.
    tray._menu = menu  # type: ignore[attr-defined]
    return tray
