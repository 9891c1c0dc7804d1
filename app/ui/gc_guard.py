"""Garbage collection only on the GUI thread, so Qt objects are never freed from a worker.

Python's cyclic collector runs in whichever thread happens to allocate when a
threshold is crossed. If that is a worker (model import, speech, stage listeners)
and the garbage holds a QObject, Qt deletes a widget off the GUI thread and the
process crashes. The usual PySide remedy: switch automatic collection off and
collect from a timer in the GUI thread instead.
"""

from __future__ import annotations

import gc
from typing import Final

from PySide6.QtCore import QObject, QTimer

__all__ = ["GuiThreadCollector"]

INTERVAL_MS: Final = 500


class GuiThreadCollector(QObject):
    """Create it in the GUI thread; it collects as often as the thresholds would have."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(INTERVAL_MS)

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
