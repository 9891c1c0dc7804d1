"""How the Godot child is launched: argv, environment, output capture (real processes)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.paths import DataPaths
from app.settings.sections.stage import StageSettings
from app.stage.bridge import TOKEN_ENV
from app.stage.process import PROJECT_DIR, GodotProcess, LaunchOptions, build_argv, window_args
from app.stage.runtime import SimpleRuntime

RUNTIME = SimpleRuntime(["/opt/godot", "--verbose"], {"XDG_CACHE_HOME": "/tmp/c"})


def test_argv_puts_engine_flags_before_the_separator() -> None:
    argv = build_argv(
        RUNTIME,
        LaunchOptions(
            "ws://127.0.0.1:5/stage", "secret", headless=True, remote_debug="tcp://127.0.0.1:6007"
        ),
    )
    split = argv.index("--")
    engine, user = argv[:split], argv[split + 1 :]
    assert engine[:2] == ["/opt/godot", "--verbose"]
    assert engine[engine.index("--path") + 1] == str(PROJECT_DIR)
    assert "--headless" in engine
    assert engine[engine.index("--remote-debug") + 1] == "tcp://127.0.0.1:6007"
    assert user == ["--bridge-url=ws://127.0.0.1:5/stage"]
    assert "secret" not in " ".join(argv)


def test_window_flags_follow_the_settings() -> None:
    settings = StageSettings(
        borderless=True,
        transparent=False,
        always_on_top=True,
        window_x=10,
        window_y=20,
        window_width=300,
        window_height=500,
    )
    assert window_args(settings) == [
        "--borderless",
        "--always-on-top",
        "--size=300x500",
        "--position=10,20",
    ]
    assert window_args(
        StageSettings(borderless=False, transparent=False, always_on_top=False, window_x=-1)
    ) == ["--size=480x720"]
    windowed = build_argv(RUNTIME, LaunchOptions("ws://x", "t", window=window_args(settings)))
    assert windowed[-4:] == [
        "--borderless",
        "--always-on-top",
        "--size=300x500",
        "--position=10,20",
    ]
    headless = build_argv(
        RUNTIME, LaunchOptions("ws://x", "t", headless=True, window=window_args(settings))
    )
    assert "--borderless" not in headless


@pytest.mark.expected_log(r"^oops$")  # the child's stderr line, logged at WARNING
def test_token_travels_in_the_environment_and_output_is_captured(
    data_dir: DataPaths, tmp_path: Path
) -> None:
    script = (
        "import os, sys\n"
        f"print('token=' + os.environ['{TOKEN_ENV}'])\n"
        "print('cache=' + os.environ['XDG_CACHE_HOME'])\n"
        "print('args=' + ' '.join(sys.argv[1:]))\n"
        "print('oops', file=sys.stderr)\n"
    )
    runtime = SimpleRuntime([sys.executable, "-c", script], {"XDG_CACHE_HOME": str(tmp_path)})
    lines: list[tuple[str, str]] = []
    process = GodotProcess(
        runtime,
        LaunchOptions("ws://127.0.0.1:9/stage", "s3cret"),
        logs_dir=data_dir.logs_dir,
        listeners=[lambda stream, line: lines.append((stream, line))],
    )
    assert process.wait(10) == 0
    assert ("stdout", "token=s3cret") in lines
    assert ("stdout", f"cache={tmp_path}") in lines
    assert ("stderr", "oops") in lines
    assert any(
        line.startswith("args=--path") and "--bridge-url=ws://127.0.0.1:9/stage" in line
        for _, line in lines
    )
    assert "oops" in process.tail(10)
    log_text = (data_dir.logs_dir / "godot.log").read_text()
    assert "stderr oops" in log_text and "stdout args=--path" in log_text
