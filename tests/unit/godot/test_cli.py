"""The godot sub-commands print what scripts need (--json) and errors with their reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.godot.fetch import STAMP_NAME
from app.godot.launcher import write_launcher
from app.godot.lock import load_lock

REPO_LOCK = Path(__file__).resolve().parents[3] / "vendor" / "godot" / "godot.lock"


def test_locate_json_names_the_godot_and_where_it_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    godot = tmp_path / "my godot"
    godot.write_text('#!/bin/sh\necho "4.5.1.stable.custom"\n')
    godot.chmod(0o755)
    monkeypatch.setenv("COMPANION_STAGE_GODOT", str(godot))
    assert main(["godot", "locate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "command": [str(godot)], "version": "4.5.1.stable.custom",
                   "source": "env COMPANION_STAGE_GODOT"}


def test_fetch_json_reports_an_up_to_date_runtime(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "rt"
    (dest / "usr" / "bin").mkdir(parents=True)
    (dest / "usr" / "bin" / "godot").write_bytes(b"")
    write_launcher(dest)
    (dest / STAMP_NAME).write_text(json.dumps({
        "lock_sha256": load_lock(REPO_LOCK).sha256, "render": False,
        "godot_version": "4.6.3.stable", "packages": 120}))
    assert main(["godot", "fetch", "--dest", str(dest), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["fetched"] is False and out["launcher"] == str(dest / "godot")
    assert out["godotVersion"] == "4.6.3.stable" and out["packages"] == 120


def test_fetch_errors_carry_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "godot.lock"
    bad.write_text("[]")
    assert main(["godot", "fetch", "--lock", str(bad), "--dest", str(tmp_path / "rt"),
                 "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["reason"] == "bad-lock"
