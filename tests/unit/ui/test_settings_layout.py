"""The assembled settings window at real sizes: no field squeezed, Quit always reachable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.paths import DataPaths
from app.ui.app import Shell
from tests.unit.ui.conftest import NO_TRAY

pytestmark = NO_TRAY

#: Sizes a user ends up with: the default, the design size, the window's minimum.
SIZES = [(900, 620), (1000, 700), (640, 420)]


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    # the longest text a page shows unbroken: a chosen Godot's path has no spaces to wrap at
    context.settings.update(lambda s: setattr(
        s.godot, "path", "/opt/" + "godot-4.6.3-stable-linux-x86_64-custom" * 3 + "/godot"))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def _squeezed(page: QWidget) -> list[str]:
    """Visible inputs and buttons shorter than Qt's own minimum for them."""
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, QLineEdit | QComboBox | QAbstractButton):
            continue
        if not widget.isVisibleTo(page) or isinstance(widget.parent(), QComboBox):
            continue  # an editable combo box sizes its own line edit
        if widget.height() < widget.minimumSizeHint().height():
            label = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            found.append(f"{type(widget).__name__} {widget.objectName() or label!r}: "
                         f"{widget.height()} < {widget.minimumSizeHint().height()}")
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_page_squeezes_its_fields_at_any_window_size(
    qtbot: QtBot, shell: Shell, size: tuple[int, int]
) -> None:
    window = shell.window
    window.show()
    window.resize(*size)
    problems = {}
    for name in window.page_names():
        window.show_page(name)
        QApplication.processEvents()
        assert window.width() == size[0] and window.height() == size[1]
        page = window.page(name)
        if found := _squeezed(page):
            problems[name] = found
    assert problems == {}


def test_no_page_is_wider_than_the_smallest_window(qtbot: QtBot, shell: Shell) -> None:
    window = shell.window
    window.show()
    window.resize(window.minimumSize())
    wider = {}
    for name in window.page_names():
        window.show_page(name)
        QApplication.processEvents()
        scroller = window.pages.currentWidget()
        assert isinstance(scroller, QScrollArea)
        if scroller.horizontalScrollBar().maximum() > 0:  # cut off at the right otherwise
            wider[name] = window.page(name).minimumSizeHint().width()
    assert wider == {}


def test_the_models_tip_stays_on_one_line_when_there_is_room(qtbot: QtBot, shell: Shell) -> None:
    from PySide6.QtWidgets import QLabel

    shell.window.show()
    shell.window.resize(1000, 700)
    QApplication.processEvents()
    hint = shell.models_page.findChild(QLabel, "hint")
    assert hint is not None
    assert hint.width() >= hint.fontMetrics().horizontalAdvance(hint.text())  # one line


def test_a_page_taller_than_the_window_scrolls_instead(qtbot: QtBot, shell: Shell) -> None:
    window = shell.window
    window.show()
    window.resize(640, 420)
    window.show_page("Developer › Shortcuts")
    QApplication.processEvents()
    scroller = window.pages.currentWidget()
    assert isinstance(scroller, QScrollArea)
    assert scroller.verticalScrollBar().maximum() > 0
    assert window.current_page() is window.page("Developer › Shortcuts")


def test_quit_is_in_the_window_for_desktops_without_a_tray(qtbot: QtBot, shell: Shell) -> None:
    assert shell.tray is None  # offscreen: like bare X or GNOME without a tray extension
    shell.window.show()
    assert shell.window.quit_button.isVisible()
    with qtbot.waitSignal(shell.actions.quit_requested, timeout=1000):
        shell.window.quit_button.click()


def test_every_page_opens_with_its_title(shell: Shell) -> None:
    from PySide6.QtWidgets import QLabel

    titles = {}
    for name in shell.window.page_names():
        labels = shell.window.page(name).findChildren(QLabel, "pageTitle")
        titles[name] = [label.text() for label in labels]
    assert all(len(found) == 1 for found in titles.values()), titles
