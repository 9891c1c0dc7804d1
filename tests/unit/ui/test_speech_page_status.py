"""The Speech page's status line: a failed preview reads as a failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.cli import build_parser
from app.context import AppContext
from app.paths import DataPaths
from app.ui.app import Shell
from tests.unit.ui.conftest import NO_TRAY

pytestmark = NO_TRAY


@pytest.fixture
def shell(qtbot: QtBot, data_dir: DataPaths) -> Iterator[Shell]:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))
    built = Shell(context, context.settings.load())
    qtbot.addWidget(built.window)
    yield built
    built.shutdown()


def test_a_preview_without_a_configured_server_says_it_failed_and_why(
    qtbot: QtBot, shell: Shell
) -> None:
    page = shell.speech_page
    page.provider.setCurrentIndex(page.provider.findData("openai-compatible"))  # no base URL given
    qtbot.waitUntil(lambda: "voices" in page.status.text(), timeout=5000)
    page.start_preview()
    qtbot.waitUntil(page.preview.isEnabled, timeout=10_000)
    assert page.status.text().startswith("Could not preview: ")
    assert page.status.text().endswith("[provider-not-configured]")
    assert page.status.property("error") is True
    assert page.status.palette().color(page.status.foregroundRole()).name() == "#b42323"
