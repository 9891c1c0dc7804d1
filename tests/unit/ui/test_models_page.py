"""The Models page against the real library, real files and a real settings file."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app.models.library import ModelEntry, ModelLibrary
from app.paths import DataPaths
from app.settings import SettingsStore
from app.ui.models_page import ModelsPage
from app.ui.workers import ImportResult
from tests.unit.ui.conftest import fixture_named
from tests.unit.ui.vrm_files import padded_vrm, write_not_glb

MakePage = Callable[[], ModelsPage]
IMPORT_TIMEOUT_MS = 120_000


def import_and_wait(
    qtbot: QtBot, page: ModelsPage, start: Callable[[], object]
) -> list[ImportResult]:
    results: list[ImportResult] = []
    page.import_finished.connect(results.append)
    with qtbot.waitSignal(page.imports_idle, timeout=IMPORT_TIMEOUT_MS):
        start()
    return results


def import_one(qtbot: QtBot, page: ModelsPage, stem: str) -> ModelEntry:
    """Import one real fixture through the page; the import must succeed."""
    [result] = import_and_wait(qtbot, page, lambda: page.import_files([fixture_named(stem)]))
    assert result.entry is not None, result
    return result.entry


def imported_ids(page: ModelsPage) -> list[str]:
    return [entry.id for entry in page.entries() if not entry.builtin]


def test_the_library_starts_with_the_builtin_default_marked_in_use(make_page: MakePage) -> None:
    page = make_page()
    entries = page.entries()
    assert entries and entries[0].builtin
    assert page.row_for(entries[0].id).is_selected()
    assert not page.remove_button.isEnabled()  # the built-in avatar cannot be removed


def test_import_through_the_file_dialog(
    qtbot: QtBot, make_page: MakePage, library: ModelLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    godette = fixture_named("godette_vrm0")
    asked: list[str] = []

    def fake_dialog(
        parent: object, caption: str, folder: str, filters: str
    ) -> tuple[list[str], str]:
        asked.append(filters)
        return [str(godette)], filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_dialog))
    page = make_page()
    results = import_and_wait(
        qtbot, page, lambda: qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    )

    assert "*.vrm" in asked[0]
    assert len(results) == 1 and results[0].ok and results[0].added
    entry = results[0].entry
    assert entry is not None
    assert entry.id in imported_ids(page)
    assert entry.id in [e.id for e in library.list()]
    row = page.row_for(entry.id)
    assert row.title.text() == "Low-Poly Godette"
    assert "SirRichard94" in row.author.text()
    assert row.version_chip.text() == "VRM 0.x"
    assert row.licence.text() == entry.licence_summary
    assert page.current_entry() == entry  # the new model is highlighted
    assert any(
        b.kind == "success" and "Low-Poly Godette" in b.text() for b in page.banners.banners()
    )
    assert page.wait_for_thumbnails()
    qtbot.waitUntil(row.has_thumbnail)


def test_import_through_a_drop_of_several_files(qtbot: QtBot, make_page: MakePage) -> None:
    files = [fixture_named("sphere_vrm0"), fixture_named("debug_robot_vrm1")]
    page = make_page()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
    enter = QDragEnterEvent(
        QPoint(50, 50),  # Qt declares QPoint here (QDropEvent takes QPointF)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()
    assert page.list.property("dropTarget") is True
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    results = import_and_wait(qtbot, page, lambda: QApplication.sendEvent(page, drop))

    assert drop.isAccepted()
    assert page.list.property("dropTarget") is False
    assert [r.source for r in results] == files
    assert all(r.ok and r.added for r in results)
    assert {e.vrm_version for e in page.entries() if not e.builtin} == {"0.x", "1.0"}
    assert len(imported_ids(page)) == 2


def test_a_drag_without_files_is_refused(make_page: MakePage) -> None:
    page = make_page()
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(
        QPoint(5, 5),  # Qt declares QPoint here (QDropEvent takes QPointF)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(page, enter)
    assert not enter.isAccepted()


@pytest.mark.expected_log(r"^Refused to import ")
def test_an_invalid_file_shows_its_reason_inline_and_loses_nothing(
    qtbot: QtBot, make_page: MakePage, tmp_path: Path
) -> None:
    page = make_page()
    good = fixture_named("sphere_vrm0")
    bad = write_not_glb(tmp_path / "holiday-photos.vrm")
    missing = tmp_path / "gone.vrm"
    results = import_and_wait(qtbot, page, lambda: page.import_files([good, bad, missing]))

    assert [(r.ok, r.reason) for r in results] == [
        (True, None),
        (False, "not-glb"),
        (False, "not-found"),
    ]
    errors = [b for b in page.banners.banners() if b.kind == "error"]
    assert [b.reason for b in errors] == ["not-glb", "not-found"]
    assert "holiday-photos.vrm" in errors[0].text()
    assert errors[0].message_label.text()  # the human message is shown, not just the code
    assert errors[0].reason_label.text() == "not-glb" and errors[0].isVisible() is page.isVisible()
    assert len(imported_ids(page)) == 1  # the good file of the same batch still got in
    errors[0].dismiss()
    assert [b.reason for b in page.banners.banners() if b.kind == "error"] == ["not-found"]


def test_importing_the_same_file_twice_adds_it_once(qtbot: QtBot, make_page: MakePage) -> None:
    page = make_page()
    robot = fixture_named("debug_robot_vrm1")
    first = import_and_wait(qtbot, page, lambda: page.import_files([robot]))
    second = import_and_wait(qtbot, page, lambda: page.import_files([robot]))
    assert first[0].added and not second[0].added
    assert len(imported_ids(page)) == 1
    assert any(
        b.kind == "info" and "already in the library" in b.text() for b in page.banners.banners()
    )


def test_remove_asks_inline_then_deletes_the_library_copy(
    qtbot: QtBot, make_page: MakePage, library: ModelLibrary
) -> None:
    page = make_page()
    results = import_and_wait(
        qtbot, page, lambda: page.import_files([fixture_named("sphere_vrm0")])
    )
    entry = results[0].entry
    assert entry is not None and entry.path.exists()
    page.highlight(entry.id)
    assert page.remove_button.isEnabled()

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert not page.confirm_panel.isHidden()
    qtbot.mouseClick(page.keep_button, Qt.MouseButton.LeftButton)  # changing one's mind keeps it
    assert page.confirm_panel.isHidden() and entry.id in imported_ids(page)

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.confirm_remove_button, Qt.MouseButton.LeftButton)
    assert entry.id not in imported_ids(page)
    assert entry.id not in [e.id for e in library.list()]
    assert not entry.path.exists()
    assert fixture_named("sphere_vrm0").exists()  # the user's original is untouched


def test_removing_the_model_in_use_falls_back_to_the_default(
    qtbot: QtBot, make_page: MakePage, store: SettingsStore
) -> None:
    page = make_page()
    entry = import_one(qtbot, page, "sphere_vrm0")
    page.highlight(entry.id)
    page.select_current()
    assert store.load().settings.models.selected == entry.id
    with qtbot.waitSignal(page.model_selected) as selected:
        page.remove_current()
        page.confirm_remove()
    assert selected.args == [""]
    assert store.load().settings.models.selected == ""
    assert page.row_for(page.entries()[0].id).is_selected()


def test_select_persists_across_a_restart(
    qtbot: QtBot, make_page: MakePage, data_dir: DataPaths
) -> None:
    page = make_page()
    results = import_and_wait(
        qtbot,
        page,
        lambda: page.import_files(
            [fixture_named("godette_vrm0"), fixture_named("mtoon_uv_animation_vrm1")]
        ),
    )
    chosen = results[0].entry
    assert chosen is not None
    page.highlight(chosen.id)
    with qtbot.waitSignal(page.model_selected) as emitted:
        qtbot.mouseClick(page.select_button, Qt.MouseButton.LeftButton)
    assert emitted.args == [chosen.id]
    assert page.row_for(chosen.id).is_selected()
    assert not page.select_button.isEnabled()  # it is already the one in use
    page.shutdown()
    page.close()

    on_disk = json.loads(data_dir.settings_file.read_text())
    assert on_disk["models"]["selected"] == chosen.id
    restarted = make_page()  # new library and settings objects on the same data dir
    marked = [row.entry.id for row in restarted.rows() if row.is_selected()]
    assert marked == [chosen.id]
    assert restarted.current_entry() == restarted.row_for(chosen.id).entry


@pytest.fixture(scope="module")
def big_vrm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A valid 300 MB VRM (a real fixture with a padded binary chunk), deleted afterwards."""
    folder = tmp_path_factory.mktemp("big")
    path = padded_vrm(fixture_named("debug_robot_vrm1"), folder / "big-robot.vrm", 300 * 2**20)
    yield path
    path.unlink()


def test_progress_is_reported_and_the_ui_stays_responsive_during_a_large_import(
    qtbot: QtBot, make_page: MakePage, big_vrm: Path
) -> None:
    page = make_page()
    page.show()
    other = import_one(qtbot, page, "sphere_vrm0")
    bar_values: list[int] = []
    page.progress_bar.valueChanged.connect(bar_values.append)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    interacted: list[bool] = []

    def use_the_list_mid_import() -> None:
        # A user choosing another model while the import runs: handled at once.
        if page.is_importing() and not interacted and len(ticks) > 5:
            page.highlight(other.id)
            page.select_current()
            interacted.append(page.row_for(other.id).is_selected())

    timer.timeout.connect(use_the_list_mid_import)
    timer.start()
    started = time.monotonic()
    results = import_and_wait(qtbot, page, lambda: page.import_files([big_vrm]))
    finished = time.monotonic()
    timer.stop()

    assert results[0].ok and results[0].entry is not None, results[0]
    assert results[0].entry.size == big_vrm.stat().st_size
    during = [t for t in ticks if started <= t <= finished]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    print(
        f"\nimport of {big_vrm.stat().st_size / 2**20:.0f} MB took {finished - started:.2f} s; "
        f"timer fired {len(during)} times, longest gap {max(gaps, default=0) * 1000:.0f} ms"
    )
    assert len(during) >= 10, "the event loop did not run while importing"
    assert interacted == [True]
    assert len(set(bar_values)) >= 5 and max(bar_values) == 1000
    assert bar_values == sorted(bar_values[1:] and bar_values)  # never goes backwards
    assert page.progress_panel.isHidden()
    page.library.remove(results[0].entry.id)  # 300 MB less left in tmp


def test_cancel_stops_a_large_import_and_adds_nothing(
    qtbot: QtBot, make_page: MakePage, big_vrm: Path, data_dir: DataPaths
) -> None:
    page = make_page()
    before = imported_ids(page)
    results: list[ImportResult] = []
    page.import_finished.connect(results.append)
    with qtbot.waitSignal(page.imports_idle, timeout=IMPORT_TIMEOUT_MS):
        page.import_files([big_vrm, fixture_named("sphere_vrm0")])
        assert not page.progress_panel.isHidden()
        qtbot.waitUntil(lambda: page.progress_bar.value() > 0, timeout=IMPORT_TIMEOUT_MS)
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert len(results) == 1 and results[0].cancelled  # the queued file was dropped too
    assert imported_ids(page) == before
    assert any("cancelled" in b.text() for b in page.banners.banners())
    leftovers = [
        p for p in data_dir.models_dir.rglob("*") if p.is_file() and p.stat().st_size > 100 * 2**20
    ]
    assert leftovers == []


def test_keyboard_delete_asks_to_remove_and_enter_selects(
    qtbot: QtBot, make_page: MakePage, store: SettingsStore
) -> None:
    page = make_page()
    entry = import_one(qtbot, page, "sphere_vrm0")
    page.show()
    page.highlight(entry.id)
    page.list.setFocus()
    qtbot.waitUntil(page.list.hasFocus)
    qtbot.keyClick(page.list, Qt.Key.Key_Delete)
    assert not page.confirm_panel.isHidden()
    qtbot.mouseClick(page.keep_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.model_selected, timeout=1000):
        qtbot.keyClick(page.list, Qt.Key.Key_Return)
    assert store.load().settings.models.selected == entry.id


def test_a_selection_that_vanished_is_reported_and_the_default_is_marked(
    make_page: MakePage, store: SettingsStore
) -> None:
    store.update(lambda settings: setattr(settings.models, "selected", "f" * 64))
    page = make_page()
    warnings = [b for b in page.banners.banners() if b.kind == "warning"]
    assert [b.reason for b in warnings] == ["unknown-model"]
    assert [row.entry.builtin for row in page.rows() if row.is_selected()] == [True]
    assert store.load().settings.models.selected == "f" * 64  # not rewritten behind the user's back
