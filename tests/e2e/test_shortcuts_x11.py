"""Global shortcuts on a real X server: xdotool presses keys, another X client competes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.shortcuts.backends.x11 import X11Backend
from app.shortcuts.select import open_service
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, TriggerEvent
from tests.unit.shortcuts.xserver import GrabbingClient
from tests.unit.ui.conftest import NO_TRAY
from tests.xvfb import XServer, running_xvfb

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTableWidget
    from pytestqt.qtbot import QtBot

    from app.ui.shortcuts_page import ShortcutsDevPage

pytestmark = pytest.mark.xvfb
REPO = Path(__file__).resolve().parents[2]
CTRL_SHIFT = GrabbingClient.CONTROL | GrabbingClient.SHIFT


@pytest.fixture
def xserver(monkeypatch: pytest.MonkeyPatch) -> Iterator[XServer]:
    with running_xvfb() as server:
        monkeypatch.setenv("DISPLAY", server.display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
        monkeypatch.delenv("COMPANION_STAGE_SHORTCUTS_BACKEND", raising=False)
        yield server


@pytest.fixture
def service(xserver: XServer) -> Iterator[ShortcutService]:
    service = open_service(allow_in_app=False)
    yield service
    service.close()


class Recorder:
    def __init__(self, service: ShortcutService) -> None:
        self.events: list[TriggerEvent] = []
        self._changed = threading.Condition()
        service.subscribe(self._add)

    def _add(self, event: TriggerEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, str]]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.events) >= count, timeout)
            return [(e.id, e.phase) for e in self.events]

    def all_delivered(self, service: ShortcutService, xserver: XServer) -> list[tuple[str, str]]:
        """Every event up to now: a sentinel press arrives after them (X keeps the order)."""
        assert service.register(Binding("sentinel", "Ctrl+Shift+F12")).ok
        xserver.xdotool("key", "ctrl+shift+F12")
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(e.id == "sentinel" for e in self.events), 5.0), "sentinel lost"
            return [(e.id, e.phase) for e in self.events if e.id != "sentinel"]


def test_x11_is_chosen_with_its_reason(service: ShortcutService, xserver: XServer) -> None:
    assert (service.info.name, service.info.scope) == ("x11", "global")
    assert f"DISPLAY={xserver.display}" in service.info.why


def test_press_gives_down_and_up(service: ShortcutService, xserver: XServer) -> None:
    recorder = Recorder(service)
    result = service.register(Binding("toggle", "CmdOrCtrl+Shift+K", "demo", receive_key_ups=True))
    assert result.ok and (result.accelerator, result.scope) == ("CmdOrCtrl+Shift+K", "global")
    xserver.xdotool("key", "ctrl+shift+k")
    assert recorder.wait_for(2) == [("toggle", "down"), ("toggle", "up")]
    xserver.xdotool("key", "ctrl+k")  # other modifiers: not ours
    xserver.xdotool("key", "ctrl+shift+j")
    assert recorder.all_delivered(service, xserver) == [("toggle", "down"), ("toggle", "up")]


def test_key_ups_only_when_asked(service: ShortcutService, xserver: XServer) -> None:
    recorder = Recorder(service)
    assert service.register(Binding("downs-only", "Alt+F5")).ok
    xserver.xdotool("key", "alt+F5")
    xserver.xdotool("key", "alt+F5")
    assert recorder.wait_for(2) == [("downs-only", "down"), ("downs-only", "down")]
    assert recorder.all_delivered(service, xserver) == [("downs-only", "down")] * 2


def test_auto_repeat_is_ignored(service: ShortcutService, xserver: XServer) -> None:
    recorder = Recorder(service)
    assert service.register(Binding("held", "Ctrl+Shift+H", receive_key_ups=True)).ok
    xserver.xdotool("keydown", "ctrl+shift+h")
    time.sleep(1.0)  # Xvfb repeats after 660 ms, then every 40 ms
    xserver.xdotool("keyup", "h")
    xserver.xdotool("keyup", "ctrl+shift")
    assert recorder.wait_for(2) == [("held", "down"), ("held", "up")]
    assert recorder.all_delivered(service, xserver) == [("held", "down"), ("held", "up")]


def test_lock_keys_do_not_break_the_binding(service: ShortcutService, xserver: XServer) -> None:
    recorder = Recorder(service)
    assert service.register(Binding("locked", "Ctrl+Shift+L")).ok
    xserver.xdotool("key", "Num_Lock")
    xserver.xdotool("key", "Caps_Lock")
    xserver.xdotool("key", "ctrl+shift+l")
    xserver.xdotool("key", "Caps_Lock")
    xserver.xdotool("key", "ctrl+shift+l")
    xserver.xdotool("key", "Num_Lock")
    assert recorder.wait_for(2) == [("locked", "down"), ("locked", "down")]


def test_another_client_holding_the_combination_is_a_conflict(
        service: ShortcutService, xserver: XServer) -> None:
    with GrabbingClient(xserver, "k", CTRL_SHIFT) as other:
        assert other.outcome == "grabbed"
        result = service.register(Binding("toggle", "Ctrl+Shift+K"))
    assert result.ok is False and result.reason == "conflict"
    assert "another X client" in result.message
    assert service.list() == []
    assert service.register(Binding("toggle", "Ctrl+Shift+K")).ok  # free once the other quit


def test_unregister_releases_the_grab(service: ShortcutService, xserver: XServer) -> None:
    assert service.register(Binding("toggle", "Ctrl+Shift+K")).ok
    with GrabbingClient(xserver, "k", CTRL_SHIFT) as other:
        assert other.outcome == "conflict"
    assert service.unregister("toggle")
    with GrabbingClient(xserver, "k", CTRL_SHIFT) as other:
        assert other.outcome == "grabbed"
    assert service.register(Binding("a", "Ctrl+Alt+A")).ok
    assert service.register(Binding("b", "Ctrl+Alt+B")).ok
    service.unregister_all()
    for keysym in ("a", "b"):
        with GrabbingClient(xserver, keysym, GrabbingClient.CONTROL | GrabbingClient.ALT) as other:
            assert other.outcome == "grabbed"


@pytest.mark.expected_log(r"^X11 backend stopped: the X connection closed")
def test_lost_x_server_is_backend_unavailable(xserver: XServer) -> None:
    with running_xvfb() as doomed:
        service = ShortcutService([X11Backend(doomed.display)])
    time.sleep(0.2)
    result = service.register(Binding("a", "Ctrl+K"))
    service.close()
    assert result.reason == "backend-unavailable" and "X connection closed" in result.message


# python-xlib does not close the sockets of its failed connection attempts (unix, then TCP).
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_missing_display_is_backend_unavailable() -> None:
    service = ShortcutService([X11Backend(":999")])
    result = service.register(Binding("a", "Ctrl+K"))
    assert result.reason == "backend-unavailable"
    assert "Cannot open X display ':999'" in result.message


def _cli(server: XServer, *args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "app", "shortcuts", "check", *args, "--json"],
                         cwd=REPO, env=server.env(), capture_output=True, text=True, timeout=60)
    report: dict[str, object] = json.loads(out.stdout)
    assert out.returncode == (0 if report["ok"] else 1)
    return report


def test_cli_check_binds_for_a_second(xserver: XServer) -> None:
    started = time.monotonic()
    report = _cli(xserver, "shift+mod+KeyK")
    assert time.monotonic() - started >= 1.0
    assert report["ok"] is True and report["accelerator"] == "CmdOrCtrl+Shift+K"
    assert report["backend"]["name"] == "x11"  # type: ignore[index]
    with GrabbingClient(xserver, "k", CTRL_SHIFT) as other:
        assert other.outcome == "grabbed"  # released when the check ended
        taken = _cli(xserver, "Ctrl+Shift+K")
    assert taken["ok"] is False and taken["reason"] == "conflict"


def test_cli_set_refuses_a_combination_another_application_holds(
    xserver: XServer, tmp_path: Path
) -> None:
    def cli(*args: str) -> tuple[int, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "shortcuts", *args,
             "--json"], cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=60)
        return out.returncode, json.loads(out.stdout)

    with GrabbingClient(xserver, "t", GrabbingClient.CONTROL | GrabbingClient.ALT) as other:
        assert other.outcome == "grabbed"
        code, refused = cli("set", "toggle-stage", "Ctrl+Alt+T")
    assert code == 1 and refused["reason"] == "conflict"
    code, saved = cli("set", "toggle-stage", "Ctrl+Alt+T")  # the other client is gone
    assert code == 0 and "Checked: no other application holds it" in str(saved["message"])
    code, listed = cli("list")
    assert {r["id"]: r["accelerator"] for r in listed}["toggle-stage"] == "Ctrl+Alt+T"


def _row(table: QTableWidget, row: int, columns: int) -> list[str]:
    items = [table.item(row, column) for column in range(columns)]
    assert None not in items, f"row {row} has empty cells"
    return [item.text() for item in items if item is not None]


def _click_register(qtbot: QtBot, page: ShortcutsDevPage) -> None:
    """Click Register and wait for the worker thread's result to be shown."""
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(page.registered, timeout=5000):
        qtbot.mouseClick(page.register_button, Qt.MouseButton.LeftButton)
    assert page.register_button.isEnabled()


def test_devtools_page_drives_a_real_registration(qtbot: QtBot, service: ShortcutService,
                                                  xserver: XServer) -> None:
    from PySide6.QtCore import Qt

    from app.ui.shortcuts_page import LOG_LIMIT, ShortcutsDevPage

    page = ShortcutsDevPage(service)
    qtbot.addWidget(page)
    assert "x11" in page.backend_label.text() and xserver.display in page.backend_label.text()

    page.id_edit.setText("devtools")
    page.accelerator_edit.setText("ctrl+shift+KeyP")
    assert page.parse_hint.text() == "Canonical: Ctrl+Shift+P"
    page.description_edit.setText("from the page")
    page.key_ups_check.setChecked(True)
    _click_register(qtbot, page)
    assert page.last_result is not None and page.last_result.ok
    assert "OK (x11, global)" in page.result_label.text()
    table = page.bindings_table
    assert table.rowCount() == 1
    assert _row(table, 0, 5) == [
        "devtools", "Ctrl+Shift+P", "from the page", "yes", "global"]

    xserver.xdotool("key", "ctrl+shift+p")
    qtbot.waitUntil(lambda: page.log_table.rowCount() == 2, timeout=5000)
    rows = [_row(page.log_table, r, 4) for r in range(2)]
    assert [r[1:3] for r in rows] == [["devtools", "up"], ["devtools", "down"]]
    assert all(0.0 <= float(r[3]) < 1000.0 for r in rows)

    xserver.xdotool("key", "--repeat", "30", "--delay", "5", "ctrl+shift+p")
    qtbot.waitUntil(lambda: page.log_table.rowCount() == LOG_LIMIT, timeout=10000)

    _click_register(qtbot, page)
    assert "duplicate-id" in page.result_label.text()
    page.id_edit.setText("typo")
    page.accelerator_edit.setText("ctrl+shift+")
    assert "Empty token at position 12" in page.parse_hint.text()
    _click_register(qtbot, page)
    assert page.last_result is not None and page.last_result.reason == "invalid"
    with GrabbingClient(xserver, "o", CTRL_SHIFT):
        page.accelerator_edit.setText("Ctrl+Shift+O")
        _click_register(qtbot, page)
    assert "reason <b>conflict</b>" in page.result_label.text()
    assert table.rowCount() == 1

    qtbot.mouseClick(table.cellWidget(0, 5), Qt.MouseButton.LeftButton)
    assert table.rowCount() == 0 and service.list() == []
    with GrabbingClient(xserver, "p", CTRL_SHIFT) as other:
        assert other.outcome == "grabbed"

    for binding_id, accelerator in (("one", "Alt+1"), ("two", "Alt+2")):
        page.id_edit.setText(binding_id)
        page.accelerator_edit.setText(accelerator)
        _click_register(qtbot, page)
    assert table.rowCount() == 2
    qtbot.mouseClick(page.unregister_all_button, Qt.MouseButton.LeftButton)
    assert table.rowCount() == 0 and service.list() == []
    assert not page.unregister_all_button.isEnabled()


def test_registering_while_keys_arrive_does_not_stall(service: ShortcutService,
                                                      xserver: XServer) -> None:
    recorder = Recorder(service)
    assert service.register(Binding("busy", "Ctrl+Shift+B")).ok
    presses = subprocess.Popen(["xdotool", "key", "--repeat", "300", "--delay", "1",
                                "ctrl+shift+b"], env=xserver.env())
    slowest = 0.0
    try:
        for _ in range(150):
            started = time.perf_counter()
            assert service.register(Binding("other", "Ctrl+Alt+O")).ok
            assert service.unregister("other")
            slowest = max(slowest, time.perf_counter() - started)
    finally:
        presses.wait(timeout=60)
    assert recorder.wait_for(300, timeout=10)[-1] == ("busy", "down")
    assert len(recorder.events) == 300
    assert slowest < 1.0, f"a register/unregister took {slowest:.1f} s"


def test_layout_change_moves_the_grab_to_the_new_key(service: ShortcutService,
                                                     xserver: XServer) -> None:
    from Xlib import XK, display

    recorder = Recorder(service)
    assert service.register(Binding("toggle", "Ctrl+Shift+K")).ok
    other = display.Display(xserver.display)
    j, k = (other.keysym_to_keycode(XK.string_to_keysym(s)) for s in ("j", "k"))
    assert k == j + 1
    rows = other.get_keyboard_mapping(j, 2)
    other.change_keyboard_mapping(j, [rows[1], rows[0]])  # the J and K keys swap symbols
    other.sync()
    time.sleep(0.3)
    xserver.xdotool("key", "ctrl+shift+k")  # xdotool presses the key that now types k
    assert recorder.wait_for(1) == [("toggle", "down")]
    with GrabbingClient(xserver, "j", CTRL_SHIFT) as competitor:  # the old key is free
        assert competitor.outcome == "grabbed"
    other.change_keyboard_mapping(j, rows)
    other.close()


def test_the_shortcuts_page_rebinds_an_app_action_by_recording_keys(
    qtbot: QtBot, service: ShortcutService, xserver: XServer, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    from app.settings import SettingsStore
    from app.shortcuts.actions import ActionShortcuts
    from app.ui.app_shortcuts_page import AppShortcutsPage

    store = SettingsStore(tmp_path / "settings.json")
    actions = ActionShortcuts(service, store)
    page = AppShortcutsPage(actions, "Backend: x11")
    qtbot.addWidget(page)
    page.show_bound(actions.bind_saved())
    assert "Works system-wide (x11)" in page.statuses["toggle-stage"].text()
    recorder = page.recorders["toggle-stage"]
    assert recorder.text() == "CmdOrCtrl+Shift+K"
    recorder_events = Recorder(service)

    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    with qtbot.waitSignal(page.changed, timeout=5000) as changed:
        qtbot.keyClick(recorder, Qt.Key.Key_Shift, Qt.KeyboardModifier.ShiftModifier)  # ignored
        qtbot.keyClick(recorder, Qt.Key.Key_T, ctrl_alt)
    assert changed.args[1].ok and recorder.text() == "CmdOrCtrl+Alt+T"
    assert store.load().settings.shortcuts.bindings["toggle-stage"] == "CmdOrCtrl+Alt+T"
    xserver.xdotool("key", "ctrl+alt+t")
    assert recorder_events.wait_for(1) == [("toggle-stage", "down")]

    with GrabbingClient(xserver, "y", GrabbingClient.CONTROL | GrabbingClient.ALT) as other:
        assert other.outcome == "grabbed"
        with qtbot.waitSignal(page.changed, timeout=5000) as changed:
            qtbot.keyClick(recorder, Qt.Key.Key_Y, ctrl_alt)
    assert changed.args[1].reason == "conflict"
    status = page.statuses["toggle-stage"].text()
    assert "conflict" in status and "CmdOrCtrl+Alt+T is still in use" in status
    assert recorder.text() == "CmdOrCtrl+Alt+T"  # the working one is shown, not the failed one

    with qtbot.waitSignal(page.changed, timeout=5000):
        qtbot.keyClick(recorder, Qt.Key.Key_Backspace)
    assert recorder.text() == "" and "toggle-stage" not in {e.binding.id for e in service.list()}
    with qtbot.waitSignal(page.changed, timeout=5000):
        qtbot.mouseClick(page.default_buttons["toggle-stage"], Qt.MouseButton.LeftButton)
    assert recorder.text() == "CmdOrCtrl+Shift+K"


@NO_TRAY
def test_the_running_shell_follows_a_shortcut_set_on_the_command_line(
    qtbot: QtBot, xserver: XServer, tmp_path: Path
) -> None:
    from app.cli import build_parser
    from app.context import AppContext
    from app.ui.app import Shell

    context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(tmp_path)]))
    shell = Shell(context, context.settings.load())
    qtbot.addWidget(shell.window)
    try:
        def held() -> dict[str, str]:
            return {e.binding.id: e.accelerator for e in shell.shortcuts.list()}

        assert held()["open-settings"] == "CmdOrCtrl+Shift+Comma"
        out = subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "shortcuts", "set",
             "open-settings", "Ctrl+Alt+O"], cwd=REPO, env=xserver.env(),
            capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        qtbot.waitUntil(lambda: held().get("open-settings") == "Ctrl+Alt+O", timeout=5000)
        assert shell.app_shortcuts_page.recorders["open-settings"].text() == "Ctrl+Alt+O"
        listed = [shell.shortcuts_page.bindings_table.item(r, 1).text()  # type: ignore[union-attr]
                  for r in range(shell.shortcuts_page.bindings_table.rowCount())]
        assert "Ctrl+Alt+O" in listed
    finally:
        shell.shutdown()
