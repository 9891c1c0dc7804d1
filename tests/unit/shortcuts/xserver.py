"""A real X server (Xvfb) on a free display, xdotool, and a second X client that grabs keys."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["GrabbingClient", "XServer", "running_xvfb"]


@dataclass
class XServer:
    display: str

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
        return {**env, "DISPLAY": self.display}

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env(), check=True, timeout=20)


@contextmanager
def running_xvfb() -> Iterator[XServer]:
    """Start Xvfb on a display number it picks itself (-displayfd) and stop it afterwards."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        assert ready, "Xvfb did not report its display number within 20 s"
        number = os.read(read_end, 32).decode().strip()
        assert number.isdigit(), f"Xvfb wrote {number!r}"
        yield XServer(f":{number}")
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=10)


_GRABBER = """
import sys
from Xlib import X, XK, display, error
d = display.Display(sys.argv[1])
root = d.screen().root
keycode = d.keysym_to_keycode(XK.string_to_keysym(sys.argv[2]))
catcher = error.CatchError(error.BadAccess)
root.grab_key(keycode, int(sys.argv[3]), True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
d.sync()
print("conflict" if catcher.get_error() else "grabbed", flush=True)
sys.stdin.read()
"""


class GrabbingClient:
    """Another application: its own process and X connection, grabbing one combination."""

    CONTROL, SHIFT, ALT = 4, 1, 8

    def __init__(self, server: XServer, keysym: str, mods: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _GRABBER, server.display, keysym, str(mods)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.outcome = self._process.stdout.readline().strip()  # "grabbed" | "conflict"

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)

    def __enter__(self) -> GrabbingClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
