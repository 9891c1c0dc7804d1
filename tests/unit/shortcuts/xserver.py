"""A real X server (Xvfb) on a free display, xdotool, and a second X client that grabs keys."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["GrabbingClient", "XServer", "read_display_number", "running_xvfb"]


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
    """Start Xvfb on a display number it picks itself (-displayfd) and stop it afterwards.

    Several Xvfb may start at once on a shared machine; a server that lost the race for
    its number is replaced by a new one.
    """
    for _attempt in range(3):
        server, name = _start_once()
        if name is not None:
            break
        server.kill()
        server.wait(timeout=10)
    else:
        raise AssertionError("Xvfb did not start (3 attempts)")
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


def _start_once() -> tuple[subprocess.Popen[bytes], str | None]:
    from Xlib import display, error

    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)

    def __enter__(self) -> GrabbingClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
