"""The running shell follows `companion-stage models import/select/remove` on its data folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.models.library import ModelLibrary
from app.paths import DataPaths
from app.settings import Settings, SettingsStore
from app.ui.app import Shell
from tests.unit.ui.conftest import NO_TRAY, fixture_named

pytestmark = NO_TRAY


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def _ids(shell: Shell) -> list[str]:
    return [entry.id for entry in shell.models_page.entries()]


def test_models_imported_and_removed_elsewhere_appear_and_vanish(
    qtbot: QtBot, shell: Shell, data_dir: DataPaths
) -> None:
    other = ModelLibrary(data_dir.models_dir)  # what the command line uses
    entry = other.import_file(fixture_named("godette_vrm0")).entry
    qtbot.waitUntil(lambda: entry.id in _ids(shell), timeout=5000)
    assert shell.models_page.row_for(entry.id).entry.title == entry.title

    other.remove(entry.id)
    qtbot.waitUntil(lambda: entry.id not in _ids(shell), timeout=5000)


def test_a_selection_made_elsewhere_reaches_the_stage_and_the_list(
    qtbot: QtBot, shell: Shell, data_dir: DataPaths
) -> None:
    entry = ModelLibrary(data_dir.models_dir).import_file(fixture_named("sphere_vrm0")).entry

    def choose(settings: Settings) -> None:
        settings.models.selected = entry.id

    with qtbot.waitSignal(shell.actions.model_selected, timeout=5000) as emitted:
        SettingsStore(data_dir.settings_file).update(choose)
    assert emitted.args == [entry.id]
    assert shell.models_page.selected_entry_id() == entry.id
    assert shell.models_page.row_for(entry.id).selected_chip.isVisibleTo(shell.models_page)
    current = shell.models_page.current_entry()
    assert current is not None and current.id == entry.id  # highlighted, scrolled into view


def test_a_choice_made_in_the_window_is_announced_once(
    qtbot: QtBot, shell: Shell, data_dir: DataPaths
) -> None:
    entry = ModelLibrary(data_dir.models_dir).import_file(fixture_named("sphere_vrm0")).entry
    qtbot.waitUntil(lambda: entry.id in _ids(shell), timeout=5000)
    seen: list[str] = []
    shell.actions.model_selected.connect(seen.append)
    shell.models_page.select(entry.id)
    qtbot.wait(600)  # the watcher sees the settings file change and must not re-announce it
    assert seen == [entry.id]


def test_removing_the_model_in_use_elsewhere_marks_and_shows_the_builtin(
    qtbot: QtBot, shell: Shell, data_dir: DataPaths
) -> None:
    other = ModelLibrary(data_dir.models_dir)
    keep = other.import_file(fixture_named("sphere_vrm0")).entry
    gone = other.import_file(fixture_named("godette_vrm0")).entry
    qtbot.waitUntil(lambda: {keep.id, gone.id} <= set(_ids(shell)), timeout=5000)
    shell.models_page.select(gone.id)
    shell.models_page.highlight(gone.id)

    with qtbot.waitSignal(shell.actions.model_selected, timeout=5000) as emitted:
        other.remove(gone.id)  # what `companion-stage models remove` does
        SettingsStore(data_dir.settings_file).update(
            lambda settings: setattr(settings.models, "selected", ""))
    assert emitted.args == [""]
    assert gone.id not in _ids(shell)
    builtin = shell.models_page.entries()[0]
    assert builtin.builtin
    current = shell.models_page.current_entry()
    assert current is not None and current.id == builtin.id
    assert shell.models_page.row_for(builtin.id).selected_chip.isVisibleTo(shell.models_page)


def test_rows_rebuilt_while_the_page_is_hidden_line_up_with_their_items(
    qtbot: QtBot, shell: Shell, data_dir: DataPaths
) -> None:
    from PySide6.QtWidgets import QApplication

    window = shell.window
    window.show()
    other = ModelLibrary(data_dir.models_dir)
    for stem in ("sphere_vrm0", "godette_vrm0", "debug_robot_vrm1", "cryptovoxels_vrm0"):
        other.import_file(fixture_named(stem))
    qtbot.waitUntil(lambda: len(_ids(shell)) == 5, timeout=5000)
    page = shell.models_page
    last = _ids(shell)[-1]
    SettingsStore(data_dir.settings_file).update(
        lambda settings: setattr(settings.models, "selected", last))
    qtbot.waitUntil(lambda: page.selected == last, timeout=5000)  # scrolled to the bottom
    QApplication.processEvents()
    window.show_page("Privacy")
    other.remove(last)  # `models remove` of the model in use: back to the built-in, at the top
    SettingsStore(data_dir.settings_file).update(
        lambda settings: setattr(settings.models, "selected", ""))
    qtbot.waitUntil(lambda: len(_ids(shell)) == 4 and page.selected == "", timeout=5000)
    page.show_stage_loading("Companion Stage Default")  # the stage answers meanwhile
    page.show_stage_outcome(True, "Companion Stage Default is on the stage")
    page.wait_for_thumbnails()
    QApplication.processEvents()
    window.show_page("Models")
    QApplication.processEvents()
    qtbot.wait(50)
    misplaced = []
    for index in range(page.list.count()):
        item = page.list.item(index)
        row = page.list.itemWidget(item)
        if abs(row.geometry().top() - page.list.visualItemRect(item).top()) > 4:  # item margin
            misplaced.append((index, row.geometry().top(), page.list.visualItemRect(item).top()))
    assert misplaced == []
