"""Guards against a Qt binding that corrupts reference counts on every signal emission.

PySide6 6.12.0's ``Signal.emit()`` returns ``True`` without taking a reference, so each
emit drops one reference to ``True``; a running shell (lip sync alone emits 50 times
a second) reaches zero within minutes and dies in ``bool_dealloc``. pyproject.toml
excludes that release; this test fails on any binding with the same fault.
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

EMITS = 2_000


class _Emitter(QObject):
    text = Signal(str)


def test_emitting_signals_keeps_the_reference_counts_of_true_and_false(qtbot: QtBot) -> None:
    emitter = _Emitter()
    received: list[str] = []
    emitter.text.connect(received.append)
    true_before, false_before = sys.getrefcount(True), sys.getrefcount(False)

    for _ in range(EMITS):
        emitter.text.emit("main")

    def emit_from_a_worker() -> None:
        for _ in range(EMITS):
            emitter.text.emit("worker")

    worker = threading.Thread(target=emit_from_a_worker)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(received) == 2 * EMITS, timeout=10_000)

    # other threads may hold a few booleans for a moment; a broken binding loses thousands
    assert sys.getrefcount(True) > true_before - 50
    assert sys.getrefcount(False) > false_before - 50
