"""Library work off the UI thread: imports (with progress and cancel) and thumbnails.

A 300 MB avatar takes seconds to hash and copy; reading a thumbnail may parse a
whole file. Both run on plain Python worker threads (an executor owned by the page)
and report back through Qt signals, which Qt queues to the UI thread, so the window
keeps painting and reacting meanwhile. Python threads rather than QRunnable
subclasses: a QThreadPool deletes finished runnables from C++, which races with
the Python wrapper that still holds them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app import log
from app.errors import CompanionError
from app.models.library import ModelEntry, ModelLibrary

__all__ = ["ImportJob", "ImportResult", "ThumbnailJob"]

#: Progress is reported in steps of 1/PROGRESS_STEPS, so a big file cannot flood the event loop.
PROGRESS_STEPS = 1000


@dataclass(frozen=True)
class ImportResult:
    """How one file's import ended: an entry, or a reason code and message."""

    source: Path
    entry: ModelEntry | None = None
    added: bool = False
    reason: str | None = None
    message: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.entry is not None


class _ImportSignals(QObject):
    progress = Signal(int, int)  # bytes done, bytes total
    finished = Signal(object)  # ImportResult


class ImportJob:
    """Imports one file; ``cancel`` stops it between chunks. ``run`` runs on a worker thread."""

    def __init__(self, library: ModelLibrary, source: Path) -> None:
        self.library = library
        self.source = source
        self.cancel = threading.Event()
        self.signals = _ImportSignals()
        self._last_step = -1

    def run(self) -> None:
        try:
            outcome = self.library.import_file(
                self.source, progress=self._progress, cancel=self.cancel
            )
        except CompanionError as exc:
            result = ImportResult(
                self.source, reason=exc.reason, message=exc.message, cancelled=self.cancel.is_set()
            )
        except Exception as exc:  # a bug must reach the user as a message, not kill the thread
            log.ui.exception("Import of %s failed unexpectedly", self.source)
            result = ImportResult(
                self.source, reason="internal-error", message=f"{type(exc).__name__}: {exc}"
            )
        else:
            result = ImportResult(self.source, entry=outcome.entry, added=outcome.added)
        self.signals.finished.emit(result)

    def _progress(self, done: int, total: int) -> None:
        step = done * PROGRESS_STEPS // total if total > 0 else PROGRESS_STEPS
        if step != self._last_step:
            self._last_step = step
            self.signals.progress.emit(done, total)


class _ThumbnailSignals(QObject):
    loaded = Signal(str, object)  # model id, bytes | None


class ThumbnailJob:
    """Reads one model's thumbnail bytes; failures just mean "no thumbnail"."""

    def __init__(self, library: ModelLibrary, model_id: str) -> None:
        self.library = library
        self.model_id = model_id
        self.signals = _ThumbnailSignals()

    def run(self) -> None:
        try:
            data = self.library.thumbnail(self.model_id)
        except Exception as exc:
            # A model removed while its job was queued has no thumbnail; nothing is amiss.
            removed = isinstance(exc, CompanionError) and exc.reason == "unknown-model"
            level = logging.DEBUG if removed else logging.WARNING
            log.ui.log(level, "No thumbnail for %s: %s", self.model_id, exc)
            data = None
        self.signals.loaded.emit(self.model_id, data)
