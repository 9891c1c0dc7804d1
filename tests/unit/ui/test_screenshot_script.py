"""The README screenshot script works on a real X server (its own Xvfb) and draws the page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import REAL_FIXTURES, REPO_ROOT


@pytest.mark.xvfb
def test_the_screenshot_script_renders_the_models_page(tmp_path: Path) -> None:
    out = tmp_path / "settings.png"
    env = {
        key: value for key, value in os.environ.items() if key not in ("DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "screenshot_settings.py"),
            "--out",
            str(out),
            "--fixtures",
            str(REAL_FIXTURES),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 880)
    # Not a blank grab: the sidebar, the white list and the thumbnails give many colours.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 200
