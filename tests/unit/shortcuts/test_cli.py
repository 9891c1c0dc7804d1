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
