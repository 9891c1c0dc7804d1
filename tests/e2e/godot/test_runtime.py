"""The fetched runtime, run for real: headless scripting, and drawing with its own Mesa."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.godot.launcher import LAUNCHER_NAME
from app.godot.locator import GODOT_ENV, GodotRuntime, locate_godot
from app.godot.lock import load_lock
from app.godot.places import default_runtime_dir, lock_path
from app.settings.sections.godot import GodotSettings
from tests.xvfb import running_xvfb

pytestmark = [pytest.mark.godot, pytest.mark.e2e]

HEADLESS_SCRIPT = """\
extends SceneTree
func _init() -> void:
	var info := Engine.get_version_info()
	print("RESULT ", JSON.stringify({"major": info.major, "minor": info.minor,
		"sha": "companion stage".sha256_text(), "sum": 40 + 2}))
	quit(7)
"""

DRAW_SCENE = """\
extends Node2D
var _frames := 0
func _ready() -> void:
	var rect := ColorRect.new()
	rect.color = Color(1, 0, 0)
	rect.position = Vector2(20, 20)
	rect.size = Vector2(100, 100)
	add_child(rect)
func _process(_delta: float) -> void:
	_frames += 1
	if _frames == 5:
		var image := get_viewport().get_texture().get_image()
		var inside := image.get_pixel(70, 70)
		var outside := image.get_pixel(300, 200)
		print("RESULT ", JSON.stringify({"inside": [inside.r, inside.g, inside.b],
			"outside": [outside.r, outside.g, outside.b],
			"adapter": RenderingServer.get_video_adapter_name()}))
		get_tree().quit(0)
"""


@pytest.fixture(scope="module")
def runtime() -> GodotRuntime:
    launcher = default_runtime_dir() / LAUNCHER_NAME
    assert launcher.is_file(), f"no runtime at {launcher}: run `companion-stage godot fetch`"
    env = {k: v for k, v in os.environ.items() if k != GODOT_ENV}
    found = locate_godot(GodotSettings(), env)
    assert found.source == f"fetched runtime {launcher}"
    return found


def _result(output: str) -> dict[str, object]:
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, output
    parsed = json.loads(lines[0].removeprefix("RESULT "))
    assert isinstance(parsed, dict)
    return parsed


def test_headless_script_runs_in_the_fetched_godot(runtime: GodotRuntime, tmp_path: Path) -> None:
    script = tmp_path / "probe.gd"
    script.write_text(HEADLESS_SCRIPT)
    done = subprocess.run(runtime.argv("--headless", "--script", str(script)), capture_output=True,
                          text=True, timeout=60, env={**os.environ, **runtime.env}, cwd=tmp_path)
    assert done.returncode == 7, done.stderr
    result = _result(done.stdout)
    pinned = load_lock(lock_path()).godot_version  # e.g. 4.6.3+ds-3
    assert f"{result['major']}.{result['minor']}" == ".".join(pinned.split(".")[:2])
    assert result["sha"] == hashlib.sha256(b"companion stage").hexdigest()
    assert result["sum"] == 42
    # Godot kept to its private folders: its settings went below runtime.env's XDG dirs.
    assert (Path(runtime.env["XDG_CONFIG_HOME"]) / "godot").is_dir()


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb (tests/xvfb.py)."""
    with running_xvfb("640x480x24") as server:
        yield server.display


@pytest.mark.xvfb
def test_renders_with_the_runtime_s_own_mesa(runtime: GodotRuntime, tmp_path: Path,
                                              display: str) -> None:
    lock = load_lock(lock_path())
    mesa = {p.name: p.version for p in lock.packages["render"]}["libgl1-mesa-dri"]
    project = tmp_path / "project"
    project.mkdir()
    (project / "project.godot").write_text(
        'config_version=5\n[application]\nrun/main_scene="res://main.tscn"\n'
        "boot_splash/show_image=false\n")
    (project / "main.gd").write_text(DRAW_SCENE)
    (project / "main.tscn").write_text(
        '[gd_scene load_steps=2 format=3]\n'
        '[ext_resource type="Script" path="res://main.gd" id="1"]\n'
        '[node name="Main" type="Node2D"]\nscript = ExtResource("1")\n')
    env = {**os.environ, **runtime.env, "DISPLAY": display}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(runtime.argv("--rendering-driver", "opengl3", "--audio-driver", "Dummy",
                                       "--path", str(project)),
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    result = _result(done.stdout)
    assert result["inside"] == [1.0, 0.0, 0.0]
    assert result["outside"] != [1.0, 0.0, 0.0]
    assert "llvmpipe" in str(result["adapter"])
    # the driver is the pinned Mesa from the runtime folder, not the host's
    assert f"Mesa {mesa.split('-')[0]}" in done.stdout, done.stdout
