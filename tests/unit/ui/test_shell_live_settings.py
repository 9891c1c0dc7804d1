"""Settings the shell applies while it runs: lip sync on/off, the app's own shortcuts listed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.paths import DataPaths
from app.speech.lipsync import MOUTH_EXPRESSION
from app.ui.app import QUIT_DRAIN_S, Shell
from tests.unit.ui.conftest import NO_TRAY
from tests.xvfb import running_xvfb

pytestmark = NO_TRAY


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def test_unticking_lip_sync_stops_the_mouth_at_once_and_closes_it(shell: Shell) -> None:
    sent: list[tuple[str, float]] = []
    shell.stage.set_expression = lambda name, weight: sent.append((name, weight))  # type: ignore[method-assign]
    mouth = shell.playback._on_mouth  # what the playback thread calls per lip-sync frame
    assert mouth is not None
    mouth(0.7)
    assert sent == [(MOUTH_EXPRESSION, 0.7)]

    shell.speech_page.lip_sync.setChecked(False)  # saved and announced by the Speech page
    assert sent[-1] == (MOUTH_EXPRESSION, 0.0)  # left closed, not frozen open
    sent.clear()
    mouth(0.9)
    assert sent == []
    assert shell.context.settings.load().settings.speech.lip_sync is False

    shell.speech_page.lip_sync.setChecked(True)
    mouth(0.5)
    assert sent == [(MOUTH_EXPRESSION, 0.5)]


@pytest.mark.xvfb
def test_the_shortcuts_page_lists_what_the_app_bound_at_start(
    qtbot: QtBot, data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_xvfb() as server:
        monkeypatch.setenv("DISPLAY", server.display)  # real X11 key grabs, as on a desktop
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("COMPANION_STAGE_SHORTCUTS_BACKEND", raising=False)
        context = AppContext.from_args(
            build_parser().parse_args(["--data-dir", str(data_dir.root)]))
        shell = Shell(context, context.settings.load())
        qtbot.addWidget(shell.window)
        try:
            _assert_bindings_listed(shell)
        finally:
            shell.shutdown()


def _assert_bindings_listed(shell: Shell) -> None:
    held = sorted(entry.binding.id for entry in shell.shortcuts.list())
    assert held == ["open-settings", "toggle-stage"]
    table = shell.shortcuts_page.bindings_table
    cells = [table.item(row, 0) for row in range(table.rowCount())]
    shown = sorted(cell.text() for cell in cells if cell is not None)
    assert len(shown) == table.rowCount()
    assert shown == held


def test_quitting_mid_reply_cancels_it_and_drains_within_the_bound(
    qtbot: QtBot, data_dir: DataPaths
) -> None:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    shell = Shell(context, context.settings.load())
    qtbot.addWidget(shell.window)
    shell.window.show()
    mouth: list[float] = []
    shell.stage.set_expression = lambda name, weight: mouth.append(weight)  # type: ignore[method-assign]
    session = shell.speaker.say(
        "Here is the start. " + "This reply goes on for a long while, sentence after sentence. " * 6
    )
    qtbot.waitUntil(lambda: not shell.playback.wait_idle(0), timeout=30_000)  # audio is playing
    started = time.monotonic()
    shell.shutdown()
    took = time.monotonic() - started
    assert took < QUIT_DRAIN_S + 2.0, f"quit took {took:.1f} s"
    assert session.state in ("cancelled", "done")
    assert not shell.window.isVisible()
    assert not shell.playback.available
    assert mouth and mouth[-1] == 0.0, "the mouth moved and is left closed"
