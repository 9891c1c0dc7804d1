"""Muting a third-party library's known warning without racing other threads.

``warnings.catch_warnings`` saves and restores the process-wide filter list, so two threads
muting at once can restore each other's saved state and leave a warning unmuted (or an
``error`` filter back in force) while the other is still inside. Every mute in the app goes
through the one lock here.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["muted_warnings"]

_LOCK: Final = threading.Lock()


@contextmanager
def muted_warnings(category: type[Warning], message: str = "") -> Iterator[None]:
    """Ignore ``category`` warnings whose text starts with ``message`` (a regex) while inside."""
    with _LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=message, category=category)
        yield
