"""The shell reports its desktop events to PostHog only after consent (real loopback receiver)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.cli import build_parser, main
from app.context import AppContext
from app.paths import DataPaths
from app.settings import Settings
from app.ui.app import Shell
from tests.conftest import real_vrm_files
from tests.unit.analytics.test_client import Receiver
from tests.unit.server.procs import free_port, start, stop, wait_port
from tests.unit.ui.conftest import NO_TRAY

pytestmark = NO_TRAY


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    built = Receiver()
    yield built
    built.server.shutdown()
    built.server.server_close()


def _shell(data_dir: DataPaths, receiver: Receiver, consent: str) -> Shell:
    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(data_dir.root)]))

    def configure(settings: Settings) -> None:
        settings.privacy.analytics_consent = consent  # type: ignore[assignment]
        settings.privacy.install_id = "install-9" if consent == "granted" else ""
        settings.privacy.posthog_project_key = "phc_shell"
        settings.privacy.posthog_host = receiver.url

    context.settings.update(configure)
    return Shell(context, context.settings.load())


@pytest.mark.parametrize("consent", ["granted", "denied"])
def test_a_model_import_is_reported_only_with_consent(
    qtbot: QtBot, data_dir: DataPaths, receiver: Receiver, consent: str
) -> None:
    shell = _shell(data_dir, receiver, consent)
    qtbot.addWidget(shell.window)
    try:
        with qtbot.waitSignal(shell.models_page.imports_idle, timeout=30_000):
            shell.models_page.import_files([real_vrm_files()[0]])  # cryptovoxels, VRM 0.x
    finally:
        shell.shutdown()  # flushes analytics
    events = receiver.events()
    if consent == "denied":
        assert receiver.requests == []
        return
    imported = [e for e in events if e["event"] == "model imported"]
    assert [e["properties"]["vrm_version"] for e in imported] == ["0.x"]
    assert imported[0]["properties"]["size_bucket"] == "<1MB"
    assert imported[0]["distinct_id"] == "install-9"
    assert "cryptovoxels" not in str(events)  # never a file name or title
    names = {e["event"] for e in events}
    assert "shortcut registered" in names  # the app actions were bound at start


def test_a_speech_session_is_reported_with_its_transport_and_provider(
    qtbot: QtBot, data_dir: DataPaths, receiver: Receiver
) -> None:
    shell = _shell(data_dir, receiver, "granted")
    qtbot.addWidget(shell.window)
    try:
        session = shell.speaker.begin()  # the offline default: piper through the segmenter
        session.append_text("A secret sentence the user typed.")
        session.cancel("test")
    finally:
        shell.shutdown()
    started = [e for e in receiver.events() if e["event"] == "speech session started"]
    assert [(e["properties"]["transport"], e["properties"]["provider"]) for e in started] == [
        ("segmenter", "piper")
    ]
    assert "secret" not in str(receiver.requests)  # never the text


@pytest.mark.e2e
def test_signing_in_to_a_speech_server_joins_the_install_to_its_person(
    qtbot: QtBot, data_dir: DataPaths, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{data_dir.root / 'server.db'}"
    assert main(["serve", "--db", db, "token", "create", "--user", "desk", "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    port = free_port()
    server = start("serve", "--port", str(port), "--db", db, data_dir=data_dir.root)
    shell = _shell(data_dir, receiver, "granted")
    qtbot.addWidget(shell.window)
    try:
        wait_port(server, port)
        page = shell.speech_page
        page.provider.setCurrentIndex(page.provider.findData("streaming"))
        page.server_url.setText(f"ws://127.0.0.1:{port}/api/v1/audio/speech/ws")
        page.server_key.setText(token)
        page.server_key.editingFinished.emit()  # the user tabs out: saved, signed in
        qtbot.waitUntil(lambda: shell.analytics.distinct_id != "install-9", timeout=10_000)
    finally:
        shell.shutdown()
        stop(server)
    events = receiver.events()
    alias = [e for e in events if e["event"] == "$create_alias"]
    assert len(alias) == 1 and alias[0]["distinct_id"] == "install-9"
    person = alias[0]["properties"]["alias"]
    assert person == shell.analytics.distinct_id
    assert person != token and token not in str(receiver.requests)
