"""Notices what the command line changed in the data folder while the shell runs.

``companion-stage models import/remove/select`` work on the same folder as the running
shell (the documented way to script it). Without this, the Models page kept showing the
old library and a selection made on the command line never reached the stage until the
next start. The watcher looks at directories, not files: settings and the model index
are replaced by rename (atomic writes), which a file watch would lose after the first
change. Bursts (an import writes the model, then the index) are folded into one check.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app import log
from app.paths import DataPaths

__all__ = ["SETTLE_MS", "OutsideChanges"]

#: Quiet time after the last change before the folder is looked at again.
SETTLE_MS: Final = 150


class OutsideChanges(QObject):
    """Emits :attr:`changed` (GUI thread, debounced) when settings or the library may differ."""

    changed = Signal()

    def __init__(self, paths: DataPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folders = [paths.root, paths.models_dir]
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._poke)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self._watch()

    def watched(self) -> list[str]:
        return self._watcher.directories()

    def _watch(self) -> None:
        """(Re)arm the watches; the models folder may appear only with the first import."""
        for folder in self._folders:
            watched = str(folder) in self._watcher.directories()
            if not watched and folder.is_dir() and not self._watcher.addPath(str(folder)):
                log.ui.warning("Cannot watch %s for command-line changes", folder)

    def _poke(self, _path: str) -> None:
        self._settle.start()

    def _settled(self) -> None:
        self._watch()
        self.changed.emit()
