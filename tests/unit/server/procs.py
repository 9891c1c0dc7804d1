"""Start ``companion-stage`` sub-commands as real processes on loopback and wait for them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["free_port", "start", "stop", "wait_port"]

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COMPANION_STAGE_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_port(proc: subprocess.Popen[str], port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"process exited: {proc.stdout.read() if proc.stdout else ''}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen[str]) -> str:
    """Terminate (then kill) the process and return all it printed; its pipe is closed."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=5)
    return out or ""
