"""Godot output lines keep the severity Godot gave them; ``at:`` lines follow their message."""

from __future__ import annotations

import logging
import sys

import pytest

from app import log
from app.paths import DataPaths
from app.stage.godot_output import LineClassifier
from app.stage.process import GodotProcess, LaunchOptions
from app.stage.runtime import SimpleRuntime

#: What Godot 4.6 wrote on stderr under Xvfb, plus an engine error and a stage refusal.
STDERR = [
    "WARNING: Could not set V-Sync mode, as changing V-Sync mode is not supported by the "
    "graphics driver.",
    "     at: set_use_vsync (platform/linuxbsd/x11/gl_manager_x11.cpp:364)",
    "ERROR: Condition \"!is_inside_tree()\" is true. Returning: Transform3D()",
    "   at: get_global_transform (scene/3d/node_3d.cpp:443)",
    "USER WARNING: stage: a GDScript push_warning",
    "   at: push_warning (core/variant/variant_utility.cpp:1034)",
    "stage: plain refused (not-vrm): plain is a glTF file but has no VRM extension.",
]
LEVELS = [
    logging.WARNING,
    logging.WARNING,
    logging.ERROR,
    logging.ERROR,
    logging.WARNING,
    logging.WARNING,
    logging.WARNING,
]


def test_stderr_lines_take_godot_s_severity_and_at_lines_follow_it() -> None:
    stderr = LineClassifier("stderr")
    assert [stderr.level(line) for line in STDERR] == LEVELS


def test_stdout_is_information_even_when_it_looks_like_a_continuation() -> None:
    stdout = LineClassifier("stdout")
    lines = ["Godot Engine v4.6.3.stable", "   at: nothing to follow", "stage: ready"]
    assert [stdout.level(line) for line in lines] == [logging.INFO] * 3


@pytest.mark.expected_log(
    r"^WARNING: Could not set V-Sync mode",
    r"^\s+at: ",
    r"^(USER )?(ERROR|WARNING): ",
    r"^stage: plain refused \(not-vrm\)",
)
def test_a_child_s_stderr_reaches_the_log_at_those_levels(
    data_dir: DataPaths, caplog: pytest.LogCaptureFixture
) -> None:
    script = "import sys\nsys.stderr.write(sys.argv[-1])\n"
    runtime = SimpleRuntime([sys.executable, "-c", script])
    process = GodotProcess(
        runtime,
        LaunchOptions("ws://127.0.0.1:9/stage", "t", extra_user_args=["\n".join(STDERR) + "\n"]),
        logs_dir=data_dir.logs_dir,
    )
    assert process.wait(10) == 0
    logged = [(r.getMessage(), r.levelno) for r in caplog.records if r.name == log.godot.name]
    expected = list(zip(STDERR, LEVELS, strict=True))
    assert [entry for entry in logged if entry[0] in STDERR] == expected
