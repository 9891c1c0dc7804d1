"""The godot sub-commands print what scripts need (--json) and errors with their reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import main
from app.godot.fetch import STAMP_NAME
from app.godot.launcher import write_launcher
from app.godot.lock import load_lock
from app.paths import DataPaths
from app.settings import SettingsStore
from tests.godot_stand_ins import versioned_godot

REPO_LOCK = Path(__file__).resolve().parents[3] / "vendor" / "godot" / "godot.lock"


def test_locate_json_names_the_godot_and_where_it_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    godot = versioned_godot(tmp_path / "my godot")
    monkeypatch.setenv("COMPANION_STAGE_GODOT", str(godot))
    assert main(["godot", "locate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "command": [str(godot)], "version": "4.5.1.stable.custom",
                   "source": "env COMPANION_STAGE_GODOT"}


def _saved_godot_path(data_dir: DataPaths) -> str:
    return SettingsStore(data_dir.settings_file).load().settings.godot.path


def test_use_checks_the_godot_then_saves_it_and_locate_follows(
        tmp_path: Path, data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("COMPANION_STAGE_GODOT", raising=False)
    godot = versioned_godot(tmp_path / "opt" / "godot")
    monkeypatch.chdir(tmp_path)
    assert main(["godot", "use", "opt/godot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "path": str(godot), "version": "4.5.1.stable.custom"}
    assert _saved_godot_path(data_dir) == str(godot)  # relative paths are saved absolute
    assert main(["godot", "locate", "--json"]) == 0
    located = json.loads(capsys.readouterr().out)
    assert located["command"] == [str(godot)] and located["source"] == "setting godot.path"

    assert main(["godot", "use", "--clear", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "path": ""}
    assert _saved_godot_path(data_dir) == ""


def test_use_keeps_a_name_on_path_as_a_name(
        tmp_path: Path, data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    versioned_godot(tmp_path / "bin" / "godot4", "4.4.stable")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert main(["godot", "use", "godot4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "4.4.stable"
    assert _saved_godot_path(data_dir) == "godot4"  # follows PATH, as the user asked


def _plain_file(folder: Path) -> Path:
    (folder / "plain").write_text("not a program")
    return folder / "plain"


@pytest.mark.parametrize(("make", "why"), [
    (lambda folder: Path("no-such-godot"), "is not a file and not a program on PATH"),
    (lambda folder: versioned_godot(folder / "old", "3.5.stable"), "older than 4.3"),
    (_plain_file, "is not executable"),
])
def test_use_refuses_an_unusable_godot_and_keeps_the_saved_one(
        tmp_path: Path, data_dir: DataPaths, capsys: pytest.CaptureFixture[str],
        make: Callable[[Path], Path], why: str) -> None:
    good = versioned_godot(tmp_path / "good" / "godot")
    assert main(["godot", "use", str(good)]) == 0
    capsys.readouterr()
    bad = make(tmp_path)
    assert main(["godot", "use", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["reason"] == "godot-unusable"
    assert out["message"].startswith("Godot not saved: ") and why in out["message"]
    assert _saved_godot_path(data_dir) == str(good)


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
