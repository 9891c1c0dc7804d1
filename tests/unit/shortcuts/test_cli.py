"""The shortcuts sub-commands report parse errors, missing backends and saved actions."""

from __future__ import annotations

import json

import pytest

from app.cli import main


def test_check_reports_a_parse_error_with_its_position(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shortcuts", "check", "Ctrl++K", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reason"] == "invalid"
    assert report["error"] == {"kind": "empty-token", "position": 6}


def test_check_without_any_global_backend(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE",
                 "COMPANION_STAGE_SHORTCUTS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    assert main(["shortcuts", "check", "Ctrl+Shift+K", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["reason"] == "unsupported"
    assert report["accelerator"] == "Ctrl+Shift+K"
    assert [t["backend"] for t in report["backend"]["tried"]] == ["x11", "keyboard"]


def test_list_shows_the_saved_actions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shortcuts", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"]: r["accelerator"] for r in rows} == {
        "toggle-stage": "CmdOrCtrl+Shift+K", "open-settings": "CmdOrCtrl+Shift+Comma"}


def _saved(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    capsys.readouterr()
    assert main(["shortcuts", "list", "--json"]) == 0
    return {r["id"]: r["accelerator"] for r in json.loads(capsys.readouterr().out)}


def test_set_saves_the_canonical_form_even_where_it_cannot_be_checked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE",
                 "COMPANION_STAGE_SHORTCUTS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    assert main(["shortcuts", "set", "toggle-stage", "alt + shift + KeyS", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["accelerator"] == "Alt+Shift+S"
    assert "Not checked here (unsupported" in report["message"]
    assert _saved(capsys)["toggle-stage"] == "Alt+Shift+S"


def test_set_refuses_bad_input_and_a_clash_between_actions_saving_nothing(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["shortcuts", "set", "toggle-stage", "Ctrl+Alt+", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "invalid"
    assert main(["shortcuts", "set", "toggle-stage", "mod+shift+comma", "--json"]) == 1
    clash = json.loads(capsys.readouterr().out)
    assert clash["reason"] == "conflict" and "open-settings" in clash["message"]
    with pytest.raises(SystemExit):
        main(["shortcuts", "set", "launch-rockets", "Ctrl+R"])
    assert _saved(capsys) == {"toggle-stage": "CmdOrCtrl+Shift+K",
                              "open-settings": "CmdOrCtrl+Shift+Comma"}


def test_clear_then_reset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shortcuts", "clear", "open-settings"]) == 0
    assert "open-settings has no shortcut now" in capsys.readouterr().out
    assert _saved(capsys)["open-settings"] == ""
    assert main(["shortcuts", "reset", "open-settings", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accelerator"] == "CmdOrCtrl+Shift+Comma"
    assert _saved(capsys)["open-settings"] == "CmdOrCtrl+Shift+Comma"
