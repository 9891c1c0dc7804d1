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
from tests.unit.ui.conftest import fixture_named


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
