"""A private D-Bus session bus for tests (a real dbus-daemon, torn down afterwards)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["private_session_bus"]


@contextmanager
def private_session_bus() -> Iterator[str]:
    """Start ``dbus-daemon --session`` and yield its address."""
    with subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as daemon:  # closes stdout
        try:
            assert daemon.stdout is not None
            address = daemon.stdout.readline().strip()
            assert address, "dbus-daemon printed no address"
            yield address
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
