"""What the user sees of the stage's answer: on the Models page and on the Stage page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.paths import DataPaths
from app.ui.app import Shell
from app.ui.stage_link import ApplyOutcome
from app.ui.stage_page import StagePage
from tests.unit.ui.conftest import NO_TRAY

pytestmark = NO_TRAY


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def test_the_models_page_shows_loading_then_the_import_time(shell: Shell) -> None:
    page = shell.models_page
    assert not page.stage_status.isVisibleTo(page)  # nothing claimed before a choice
    shell.stage.apply_started.emit("Low-Poly Godette")
    assert page.stage_status.text() == "Loading Low-Poly Godette on the stage…"
    shell.stage.apply_finished.emit(ApplyOutcome(
        True, "Low-Poly Godette is on the stage (VRM 0.x, imported in 44 ms)"))
    assert "imported in 44 ms" in page.stage_status.text()
    assert page.stage_status.isVisibleTo(page)
    assert page.banners.banners() == []


def test_a_stage_failure_shows_inline_on_the_models_page_and_clears_on_success(
    shell: Shell,
) -> None:
    page = shell.models_page
    shell.stage.apply_finished.emit(ApplyOutcome(
        False, "sphere: the file could not be imported", "import-failed"))
    assert [b.reason for b in page.banners.banners()] == ["import-failed"]
    assert page.stage_status.property("failed") is True
    assert "[import-failed]" in page.stage_status.text()

    shell.stage.apply_finished.emit(ApplyOutcome(True, "Companion Stage Default is on the stage"))
    assert page.banners.banners() == []  # the old failure no longer applies
    assert page.stage_status.property("failed") is False


def test_a_stopped_stage_does_not_claim_to_show_the_avatar(shell: Shell) -> None:
    page = shell.window.page("Stage")
    assert isinstance(page, StagePage)
    page.show_state("running", "")
    page.show_outcome(ApplyOutcome(True, "Godette is on the stage (VRM 0.x, imported in 44 ms)"))
    page.show_state("stopping", "")
    page.show_state("stopped", "")
    assert "on the stage (" not in page.apply_label.text().split("(last:")[0]
    assert "stopped" in page.apply_label.text()
    page.show_state("starting", "")
    page.show_state("running", "")
    assert page.apply_label.text() == "Godette is on the stage (VRM 0.x, imported in 44 ms)"
    page.show_state("restarting", "Godot exited unexpectedly (exit code -9)")
    assert page.apply_label.text().startswith("Shown again once Godot is back")
    page.show_state("running", "")
    assert page.apply_label.text() == "Godette is on the stage (VRM 0.x, imported in 44 ms)"


def test_each_godot_run_starts_under_a_marker_in_the_live_output(shell: Shell) -> None:
    page = shell.window.page("Stage")
    assert isinstance(page, StagePage)
    page.show_state("starting", "")
    page.append_output("stdout", "Godot Engine v4")
    page.show_state("running", "")
    page.show_state("restarting", "Godot exited with -9")
    page.append_output("stdout", "Godot Engine v4")
    lines = page.output.toPlainText().splitlines()
    assert lines == ["Godot Engine v4", "──── Restarting after a crash… ────", "Godot Engine v4"]
    assert page.output.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap


def test_long_godot_lines_do_not_scroll_the_live_view_sideways(qtbot: QtBot, shell: Shell) -> None:
    page = shell.window.page("Stage")
    assert isinstance(page, StagePage)
    shell.window.show()  # on the Models page: Godot talks while the Stage page is hidden
    for _ in range(3):
        page.append_output("stderr", "WARNING: " + "a very long line of Godot output " * 20)
    shell.window.show_page("Stage")
    qtbot.wait(50)
    assert page.output.horizontalScrollBar().maximum() > 0  # the line is wider than the view
    assert page.output.horizontalScrollBar().value() == 0  # and its start is what shows


def test_a_stage_that_cannot_start_is_named_once_not_repeated_under_the_model(
    qtbot: QtBot, shell: Shell
) -> None:
    import concurrent.futures

    from app.errors import StageError

    answered: concurrent.futures.Future[object] = concurrent.futures.Future()
    answered.set_exception(StageError(
        "the stage is error: No usable Godot 4.3+ was found. Looked in, in order:\n"
        "  1. setting godot.path: not set\n  2. …", reason="stage-error"))
    with qtbot.waitSignal(shell.stage.apply_finished, timeout=1000) as emitted:
        shell.stage._answered(answered, "Companion Stage Default")  # type: ignore[arg-type]
    outcome = emitted.args[0]
    assert not outcome.ok and outcome.reason == "stage-error"
    assert outcome.summary == ("Companion Stage Default is not shown: the stage could not "
                               "start (Settings › Stage says why)")
    assert "\n" not in shell.models_page.stage_status.text()
