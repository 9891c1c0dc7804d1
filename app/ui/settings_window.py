"""The settings window: a list of pages on the left, so each concern plugs in its own page.

The Models page comes first; shortcuts, speech and privacy add theirs through
:meth:`SettingsWindow.add_page` without this module knowing them. Notices about the
settings file itself (kept aside as corrupt, written by a newer version) appear as a
banner above every page, because they concern all of them.

Each page sits in its own scroll area: a window smaller than a page (a small screen, a
user dragging it down, several banners) scrolls the page instead of squeezing its
fields below their readable height. The sidebar carries Quit, because on desktops
without a tray (bare X servers, GNOME without an extension) this window is the only
place the user can leave the app from.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.settings import LoadNotice
from app.ui.banner import BannerArea
from app.ui.resources import icon_path
from app.ui.style import STYLE_SHEET, light_palette

__all__ = ["SettingsWindow"]


class SettingsWindow(QWidget):
    """Top-level window; closing it only hides it (the app lives on in the tray)."""

    #: The sidebar's Quit button: the shell quits the whole app (stage included).
    quit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsRoot")
        self.setWindowTitle("Companion Stage — Settings")
        self.setPalette(light_palette())  # the style sheet's colours assume light text roles
        self.setStyleSheet(STYLE_SHEET)
        self.resize(900, 620)
        self.setMinimumSize(QSize(640, 420))

        self.page_list = QListWidget()
        self.page_list.setObjectName("pageList")
        # Long page names are elided with their full text in the tooltip, never scrolled.
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.pages = QStackedWidget()
        self.page_list.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.notices = BannerArea()

        right = QVBoxLayout()
        right.setContentsMargins(24, 20, 24, 20)
        right.setSpacing(12)
        right.addWidget(self.notices)
        right.addWidget(self.pages, 1)
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._sidebar())
        root.addLayout(right, 1)

    def _sidebar(self) -> QWidget:
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        sidebar.setFixedWidth(216)
        logo = QLabel()
        logo.setPixmap(QIcon(str(icon_path())).pixmap(QSize(36, 36)))
        name = QLabel("Companion\nStage")
        name.setObjectName("appName")
        header = QHBoxLayout()
        header.setContentsMargins(14, 18, 14, 10)
        header.setSpacing(10)
        header.addWidget(logo)
        header.addWidget(name, 1)
        version = QLabel(f"Version {__version__}")
        version.setObjectName("appVersion")
        self.quit_button = QPushButton("Quit Companion Stage")
        self.quit_button.setObjectName("quitButton")
        self.quit_button.setToolTip("Stops the stage and the app. Closing this window does not.")
        self.quit_button.clicked.connect(self.quit_requested)
        column = QVBoxLayout(sidebar)
        column.setContentsMargins(0, 0, 0, 14)
        column.setSpacing(8)
        column.addLayout(header)
        column.addWidget(self.page_list, 1)
        column.addWidget(self.quit_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(version, 0, Qt.AlignmentFlag.AlignHCenter)
        return sidebar

    def add_page(self, name: str, widget: QWidget, icon: QIcon | None = None) -> None:
        """Append a page; the first one added is shown first."""
        item = QListWidgetItem(name) if icon is None else QListWidgetItem(icon, name)
        item.setToolTip(name)
        self.page_list.addItem(item)
        scroller = QScrollArea()
        scroller.setObjectName("pageScroller")
        scroller.setWidgetResizable(True)  # the page fills the area; it scrolls only when small
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroller.setWidget(widget)
        # setWidget() makes the page paint its own (grey) background: let the window's show.
        widget.setAutoFillBackground(False)
        scroller.viewport().setAutoFillBackground(False)
        self.pages.addWidget(scroller)
        if self.page_list.currentRow() < 0:
            self.page_list.setCurrentRow(0)

    def page_names(self) -> list[str]:
        return [self.page_list.item(row).text() for row in range(self.page_list.count())]

    def page(self, name: str) -> QWidget:
        """The widget added as ``name`` (not the scroll area around it)."""
        return self._inner(self.pages.widget(self.page_names().index(name)))

    def current_page(self) -> QWidget | None:
        current = self.pages.currentWidget()
        return None if current is None else self._inner(current)

    @staticmethod
    def _inner(scroller: QWidget | None) -> QWidget:
        assert isinstance(scroller, QScrollArea)
        inner = scroller.widget()
        assert inner is not None
        return inner

    def show_page(self, name: str) -> None:
        self.page_list.setCurrentRow(self.page_names().index(name))

    def show_settings_notices(self, notices: Iterable[LoadNotice]) -> None:
        """Tell the user what happened to their settings file at start-up."""
        for notice in notices:
            # The message already names the kept file; the detail gives where to find it.
            detail = (f"It is in the folder {notice.kept_as.parent}."
                      if notice.kept_as is not None else "")
            self.notices.add("warning", notice.message, detail, reason=f"settings-{notice.kind}")

    def show_notice(self, title: str, message: str = "", *, reason: str | None = None) -> None:
        self.notices.add("info", title, message, reason=reason)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        if QGuiApplication.platformName() != "offscreen":  # it cannot raise windows
            self.raise_()
            self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.hide()
