"""Render VRM files front on in the real Godot, for eyes and for tests.

The probe (app.stage.inspect) proves facing and feet numerically; this shows them: it runs
engines/stage-godot/scripts/vrm/render.gd on an X display (a private Xvfb when none is
given), one PNG per file plus an optional contact sheet, and returns where the avatar's
pixels and its head landed in each image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from app.errors import StageError
from app.stage.inspect import run_godot_script
from app.stage.runtime import Runtime, SimpleRuntime, find_runtime

__all__ = ["RENDER_SCRIPT", "render_vrms", "xvfb_display"]

RENDER_SCRIPT: Final = "res://scripts/vrm/render.gd"
XVFB_START_TIMEOUT_S: Final = 10.0


@contextmanager
def xvfb_display(size: str = "1280x1024x24") -> Iterator[str]:
    """A private Xvfb for the duration of the block; yields its DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise StageError("Xvfb is not installed (Debian package xvfb).", reason="no-display")
    read_end, write_end = os.pipe()
    process = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", size,
                                "-nolisten", "tcp"], pass_fds=(write_end,),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            number = b""
            while not number.endswith(b"\n"):
                chunk = pipe.read(1)
                if not chunk:
                    raise StageError("Xvfb exited before it named its display.",
                                     reason="no-display")
                number += chunk
        yield f":{number.decode().strip()}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=XVFB_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def render_vrms(files: Sequence[Path], out_dir: Path, *, sheet: Path | None = None,
                size: tuple[int, int] = (384, 576), display: str | None = None,
                godot: Runtime | None = None, timeout: float = 300.0) -> dict[str, Any]:
    """Renders each file to out_dir/<stem>.png; returns render.gd's report (per file:
    "used" = [x, y, w, h] of avatar pixels, "head" = [x, y] of the head bone on screen)."""
    runner = godot if godot is not None else find_runtime()
    args = [str(out_dir.resolve()), "--size", f"{size[0]}x{size[1]}"]
    if sheet is not None:
        args += ["--sheet", str(sheet.resolve())]
    args += [str(Path(f).resolve()) for f in files]
    with _display(display) as shown_on:
        wrapped = SimpleRuntime([*runner.command, "--rendering-driver", "opengl3"], runner.env)
        return run_godot_script(wrapped, RENDER_SCRIPT, args, timeout=timeout, headless=False,
                                extra_env={"DISPLAY": shown_on})


@contextmanager
def _display(display: str | None) -> Iterator[str]:
    if display:
        yield display
    else:
        with xvfb_display() as private:
            yield private
