"""A second X client that grabs keys, to compete with the app on a real X server."""

from __future__ import annotations

import subprocess
import sys

from tests.xvfb import XServer

__all__ = ["GrabbingClient"]

_GRABBER = """
import sys
import time
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
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)
        self._process.stdout.close()

    def __enter__(self) -> GrabbingClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
