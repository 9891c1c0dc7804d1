"""The one way tests, benchmarks and scripts get a private real X server, so none races another.

Xvfb picks a free display itself (``-displayfd``); on a shared machine several may start at
once, and one that lost the race for its number is replaced. Used by tests/e2e,
bench/shortcuts_bench.py and scripts/screenshot_settings.py; wrap ``running_xvfb`` in a fixture.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DEFAULT_SCREEN", "XServer", "XvfbError", "read_display_number", "running_xvfb"]

#: Width x height x depth of the one screen.
DEFAULT_SCREEN = "1280x1024x24"
_ATTEMPTS = 3


class XvfbError(RuntimeError):
    """Xvfb could not be started (not installed, or it lost every race for a display)."""


@dataclass(frozen=True)
class XServer:
    """A running X server, named the way X clients want it (``:N``)."""

    display: str

    def env(self) -> dict[str, str]:
        """This process's environment pointed at this server only (no Wayland fallback)."""
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        return {**env, "DISPLAY": self.display}

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env(), check=True, timeout=20)


@contextmanager
def running_xvfb(screen: str = DEFAULT_SCREEN) -> Iterator[XServer]:
    """Start Xvfb on a display it picks, wait until it accepts clients, stop it afterwards."""
    for _attempt in range(_ATTEMPTS):
        server, name = _start_once(screen)
        if name is not None:
            break
        server.kill()
        server.wait(timeout=10)
    else:
        raise XvfbError(f"Xvfb did not start ({_ATTEMPTS} attempts)")
    try:
        yield XServer(name)
    finally:
        server.terminate()
        server.wait(timeout=10)


def read_display_number(fd: int, timeout: float = 20.0) -> str:
    """Read Xvfb's "N\\n" whole: it writes the newline separately and dies if that fails."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 32) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def _start_once(screen: str) -> tuple[subprocess.Popen[bytes], str | None]:
    from Xlib import display, error

    read_end, write_end = os.pipe()
    try:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp",
             "-noreset"],
            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        os.close(read_end)
        raise XvfbError("Xvfb is not installed (Debian package xvfb)") from exc
    finally:
        os.close(write_end)
    try:
        number = read_display_number(read_end)
    finally:
        os.close(read_end)
    if not number.isdigit():
        return server, None
    deadline = time.monotonic() + 5
    while server.poll() is None and time.monotonic() < deadline:
        try:
            display.Display(f":{number}").close()
            return server, f":{number}"
        except (error.DisplayError, error.ConnectionClosedError, OSError):
            time.sleep(0.05)
    return server, None
