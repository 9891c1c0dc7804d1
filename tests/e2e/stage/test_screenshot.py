"""Rendered: under Xvfb the stage really draws the avatar, and the CLI saves that frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.stage.conftest import default_avatars
from tests.e2e.stage.png import Image, read_png
from tests.xvfb import running_xvfb

pytestmark = [pytest.mark.godot, pytest.mark.xvfb, pytest.mark.e2e]


def centre_coverage(image: Image) -> float:
    """Share of pixels in the central third that differ from the corner (background) colour."""
    background = image.pixel(0, 0)
    xs = range(image.width // 3, 2 * image.width // 3)
    ys = range(image.height // 3, 2 * image.height // 3)
    differ = sum(
        1
        for y in ys
        for x in xs
        if max(abs(a - b) for a, b in zip(image.pixel(x, y), background, strict=True)) > 24
    )
    return differ / (len(xs) * len(ys))


@pytest.mark.parametrize("path", default_avatars(), ids=lambda p: p.stem)
def test_screenshot_shows_the_avatar(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "stage.png"
    with running_xvfb() as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "stage",
                "screenshot",
                str(path),
                "--out",
                str(out),
                "--size",
                "480x720",
                "--rendering-driver",
                "opengl3",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=REPO_ROOT,
            env=server.env(),
        )
    assert run.returncode == 0, run.stderr[-3000:]
    body = json.loads(run.stdout)
    assert body["ok"] and body["out"] == str(out)
    image = read_png(out)
    assert (image.width, image.height) == (480, 720)
    coverage = centre_coverage(image)
    assert coverage > 0.25, f"only {coverage:.0%} of the centre shows anything"


def test_screenshot_without_display_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "stage",
            "screenshot",
            str(default_avatars()[0]),
            "--out",
            str(tmp_path / "x.png"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=env,
    )
    assert run.returncode == 1
    assert json.loads(run.stdout)["reason"] == "no-display"
    windowed = subprocess.run(
        [sys.executable, "-m", "app", "stage", "apply", str(default_avatars()[0]), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=env,
    )
    assert windowed.returncode == 1
    assert json.loads(windowed.stdout)["reason"] == "no-display"
