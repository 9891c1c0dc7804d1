"""The Models page: the user's avatar library, where models are imported, removed and chosen.

Imports run one file at a time on a worker thread and report progress, so the list
stays usable meanwhile; each failed file gets its own inline banner with the reason
code, never a modal pop-up. The chosen model is written to settings at once, so it
survives a restart, and announced through ``model_selected``.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import log
from app.errors import CompanionError
from app.models.library import ModelEntry, ModelLibrary
from app.settings import Settings, SettingsStore
from app.ui.banner import Banner, BannerArea
from app.ui.model_row import ModelRow, format_size
from app.ui.workers import PROGRESS_STEPS, ImportJob, ImportResult, ThumbnailJob

__all__ = ["ModelsPage", "vrm_paths_from_mime"]

FILE_FILTER = "VRM avatars (*.vrm *.VRM);;All files (*)"
#: The settings value that means "the built-in default avatar".
DEFAULT_SELECTION = ""


def vrm_paths_from_mime(mime: QMimeData) -> list[Path]:
    """Local files in a drag; non-.vrm files are kept so validation can say what they are."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class ModelsPage(QWidget):
    """Lists the library and runs imports; ``model_selected`` carries the chosen id."""

    model_selected = Signal(str)
    #: One ImportResult per file, after its banner and the list were updated.
    import_finished = Signal(object)
    #: The import queue ran empty.
    imports_idle = Signal()

    def __init__(
        self,
        library: ModelLibrary,
        settings: SettingsStore,
        *,
        selected: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.settings = settings
        self.selected = settings.load().settings.models.selected if selected is None else selected
        self._queue: deque[Path] = deque()
        self._batch_total = 0
        self._batch_done = 0
        self._job: ImportJob | None = None
        self._import_pool = ThreadPoolExecutor(1, thread_name_prefix="model-import")
        self._thumbnail_pool = ThreadPoolExecutor(1, thread_name_prefix="model-thumbnail")
        self._thumbnail_futures: list[Future[None]] = []
        self._thumbnail_jobs: dict[str, ThumbnailJob] = {}
        self._thumbnails: dict[str, bytes | None] = {}
        self._rows: dict[str, ModelRow] = {}
        self._entries: dict[str, ModelEntry] = {}
        self._pending_removal: str | None = None
        self._stale_layout = False
        self.setAcceptDrops(True)
        self._build()
        self.refresh()
        if self.selected and self.selected not in self._entries:
            self.banners.add(
                "warning",
                "The model chosen earlier is no longer in the library.",
                f"Model {self.selected[:12]}… was removed outside this window; "
                "the built-in avatar is used until you choose another.",
                reason="unknown-model",
            )

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Models")
        title.setObjectName("pageTitle")
        subtitle = QLabel(
            "Choose the avatar the stage shows. Import .vrm files with the button "
            "or drop them onto the list."
        )
        subtitle.setObjectName("pageSubtitle")
        subtitle.setWordWrap(True)
        self.banners = BannerArea()

        self.progress_panel = QFrame()
        self.progress_panel.setObjectName("progressPanel")
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, PROGRESS_STEPS)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_import)
        progress_text = QVBoxLayout()
        progress_text.setSpacing(6)
        progress_text.addWidget(self.progress_label)
        progress_text.addWidget(self.progress_bar)
        progress_row = QHBoxLayout(self.progress_panel)
        progress_row.setContentsMargins(12, 10, 12, 10)
        progress_row.setSpacing(12)
        progress_row.addLayout(progress_text, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_panel.setVisible(False)

        self.confirm_panel = QFrame()
        self.confirm_panel.setObjectName("confirmPanel")
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_remove_button = QPushButton("Remove")
        self.confirm_remove_button.setObjectName("dangerButton")
        self.confirm_remove_button.clicked.connect(self.confirm_remove)
        self.keep_button = QPushButton("Keep")
        self.keep_button.clicked.connect(self._hide_confirm)
        confirm_row = QHBoxLayout(self.confirm_panel)
        confirm_row.setContentsMargins(12, 10, 12, 10)
        confirm_row.addWidget(self.confirm_label, 1)
        confirm_row.addWidget(self.keep_button)
        confirm_row.addWidget(self.confirm_remove_button)
        self.confirm_panel.setVisible(False)

        self.list = QListWidget()
        self.list.setObjectName("modelList")
        self.list.setProperty("dropTarget", False)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.list.setAcceptDrops(False)  # drops go to the page, which owns the import queue
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.list.itemDoubleClicked.connect(lambda _item: self.select_current())
        for keys, slot in (
            (QKeySequence.StandardKey.Delete, self.remove_current),
            (QKeySequence(Qt.Key.Key_Return), self.select_current),
            (QKeySequence(Qt.Key.Key_Enter), self.select_current),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

        self.import_button = QPushButton("Import…")
        self.import_button.clicked.connect(self.open_import_dialog)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("dangerButton")
        self.remove_button.clicked.connect(self.remove_current)
        self.select_button = QPushButton("Use this model")
        self.select_button.setObjectName("primaryButton")
        self.select_button.clicked.connect(self.select_current)
        self.stage_status = QLabel()
        self.stage_status.setObjectName("stageStatus")
        self.stage_status.setWordWrap(True)
        self.stage_status.setVisible(False)
        self._stage_banner: Banner | None = None
        hint = QLabel("Tip: double-click a model (or press Enter) to use it.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)  # a narrow window wraps the tip instead of cutting the page off
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.remove_button)
        buttons.addSpacing(8)
        buttons.addWidget(hint, 1)  # takes the spare width; wraps only when there is none
        buttons.addWidget(self.select_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.banners)
        layout.addWidget(self.progress_panel)
        layout.addWidget(self.confirm_panel)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.stage_status)
        layout.addLayout(buttons)

    # --- the list --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Rebuild the list from the library, keeping the highlighted row."""
        current = self.current_entry()
        try:
            entries = self.library.list()
        except CompanionError as exc:
            self.banners.add(
                "error", "The model library could not be read.", exc.message, reason=exc.reason
            )
            entries = []
        self.list.clear()
        self._rows.clear()
        self._entries = {entry.id: entry for entry in entries}
        for entry in entries:
            row = ModelRow(entry)
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            item.setSizeHint(QSize(1, row.sizeHint().height()))  # width: the list's
            self.list.addItem(item)
            self.list.setItemWidget(item, row)
            self._rows[entry.id] = row
            if entry.id in self._thumbnails:
                row.set_thumbnail(self._thumbnails[entry.id])
            else:
                self._load_thumbnail(entry.id)
        self._mark_selected()
        self._highlight(current.id if current is not None else self.selected_entry_id())
        self._update_buttons()

    def entries(self) -> list[ModelEntry]:
        return [row.entry for row in self.rows()]

    def rows(self) -> list[ModelRow]:
        found = []
        for index in range(self.list.count()):
            widget = self.list.itemWidget(self.list.item(index))
            if isinstance(widget, ModelRow):
                found.append(widget)
        return found

    def row_for(self, model_id: str) -> ModelRow:
        return self._rows[model_id]

    def current_entry(self) -> ModelEntry | None:
        item = self.list.currentItem()
        return None if item is None else self._entries.get(item.data(Qt.ItemDataRole.UserRole))

    def highlight(self, model_id: str) -> None:
        self._highlight(model_id)

    def selected_entry_id(self) -> str | None:
        """The id whose row carries the "In use" marker."""
        if self.selected in self._entries:
            return self.selected
        builtin = next((entry.id for entry in self._entries.values() if entry.builtin), None)
        return builtin

    def _highlight(self, model_id: str | None) -> None:
        if not self.list.isVisible():
            self._stale_layout = True
        for index in range(self.list.count()):
            if self.list.item(index).data(Qt.ItemDataRole.UserRole) == model_id:
                self.list.setCurrentRow(index)
                self.list.scrollToItem(self.list.item(index))
                return

    def _mark_selected(self) -> None:
        marked = self.selected_entry_id()
        for model_id, row in self._rows.items():
            row.set_selected(model_id == marked)

    def _load_thumbnail(self, model_id: str) -> None:
        if model_id in self._thumbnail_jobs:
            return
        job = ThumbnailJob(self.library, model_id)
        job.signals.loaded.connect(self._thumbnail_loaded)
        self._thumbnail_jobs[model_id] = job
        self._thumbnail_futures = [f for f in self._thumbnail_futures if not f.done()]
        self._thumbnail_futures.append(self._thumbnail_pool.submit(job.run))

    def _thumbnail_loaded(self, model_id: str, data: bytes | None) -> None:
        self._thumbnail_jobs.pop(model_id, None)
        self._thumbnails[model_id] = data
        row = self._rows.get(model_id)
        if row is not None:
            row.set_thumbnail(data)

    def wait_for_thumbnails(self, msecs: int = 10_000) -> bool:
        """Block until queued thumbnails are read (tests, screenshots); then let Qt deliver them."""
        _done, pending = wait(self._thumbnail_futures, timeout=msecs / 1000)
        return not pending

    def _update_buttons(self) -> None:
        entry = self.current_entry()
        importing = self._job is not None
        self.remove_button.setEnabled(entry is not None and not entry.builtin and not importing)
        self.remove_button.setToolTip(
            "The built-in avatar cannot be removed." if entry is not None and entry.builtin else ""
        )
        self.select_button.setEnabled(entry is not None and entry.id != self.selected_entry_id())

    # --- selecting and removing ------------------------------------------------------------

    def select_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.select(entry.id)

    def select(self, model_id: str) -> None:
        """Persist the choice, then tell the shell (which applies it to a running stage)."""
        entry = self._entries.get(model_id)
        value = DEFAULT_SELECTION if entry is None or entry.builtin else entry.id

        def change(settings: Settings) -> None:
            settings.models.selected = value

        try:
            self.settings.update(change)
        except CompanionError as exc:
            self.banners.add(
                "error", "Your choice could not be saved.", exc.message, reason=exc.reason
            )
            return
        self.selected = value
        self._mark_selected()
        self._update_buttons()
        log.ui.info("Selected model %s", value or "(built-in default)")
        self.model_selected.emit(value)

    def follow_outside_changes(self) -> None:
        """The library or the saved choice changed outside this window (the command line).

        The list is rebuilt only when the library's models differ; a different saved
        choice is adopted and announced like a choice made here, so the stage follows.
        """
        try:
            ids = [entry.id for entry in self.library.list()]
        except CompanionError:
            ids = None  # refresh() shows the reason in a banner
        if ids != list(self._entries):
            self.refresh()
        saved = self.settings.load().settings.models.selected
        if saved == self.selected:
            return
        self.selected = saved
        self._mark_selected()
        self._highlight(self.selected_entry_id())  # show the user what is now in use
        self._update_buttons()
        log.ui.info("Model %s was chosen outside this window", saved or "(built-in default)")
        self.model_selected.emit(saved)

    def showEvent(self, event: QShowEvent) -> None:
        """Rows rebuilt or scrolled while the page was hidden (a command-line change) were
        left where they had been drawn, off their items; lay them out again on show."""
        super().showEvent(event)
        if self._stale_layout:
            self._stale_layout = False
            self.list.doItemsLayout()
            current = self.list.currentItem()
            if current is not None:
                self.list.scrollToItem(current)

    # --- what the stage made of the choice ----------------------------------------------------

    def show_stage_loading(self, title: str) -> None:
        """The choice is on its way to the stage (big models take a moment)."""
        self._set_stage_status(f"Loading {title} on the stage…", failed=False)

    def show_stage_outcome(self, ok: bool, summary: str, reason: str = "") -> None:
        """The stage's answer, where the user made the choice (not only on the Stage page)."""
        if self._stage_banner is not None:
            self._stage_banner.dismiss()
            self._stage_banner = None
        if ok:
            self._set_stage_status(summary, failed=False)
            return
        self._set_stage_status(f"{summary} [{reason}]" if reason else summary, failed=True)
        self._stage_banner = self.banners.add(
            "error", "The stage could not show this model.", summary, reason=reason or None
        )

    def _set_stage_status(self, text: str, *, failed: bool) -> None:
        self.stage_status.setText(text)
        self.stage_status.setProperty("failed", failed)
        self.stage_status.style().unpolish(self.stage_status)
        self.stage_status.style().polish(self.stage_status)
        self.stage_status.setVisible(True)

    def remove_current(self) -> None:
        """Ask inline (not in a pop-up) before deleting the library's copy."""
        entry = self.current_entry()
        if entry is None or entry.builtin:
            return
        self._pending_removal = entry.id
        self.confirm_label.setText(
            f"Remove “{entry.title or entry.original_name}” from the library? "
            "Only Companion Stage's copy is deleted; your original file stays where it is."
        )
        self.confirm_panel.setVisible(True)

    def confirm_remove(self) -> None:
        model_id = self._pending_removal
        self._hide_confirm()
        if model_id is None:
            return
        try:
            self.library.remove(model_id)
        except CompanionError as exc:
            self.banners.add(
                "error", "The model could not be removed.", exc.message, reason=exc.reason
            )
            return
        self._thumbnails.pop(model_id, None)
        was_selected = self.selected == model_id
        self.refresh()
        if was_selected:
            self.select(DEFAULT_SELECTION)
            self.banners.add(
                "info", "The removed model was in use; the built-in avatar is used again."
            )

    def _hide_confirm(self) -> None:
        self._pending_removal = None
        self.confirm_panel.setVisible(False)

    # --- importing -------------------------------------------------------------------------

    def open_import_dialog(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, "Import VRM avatars", str(Path.home()), FILE_FILTER
        )
        self.import_files([Path(name) for name in names])

    def import_files(self, paths: list[Path]) -> None:
        """Queue files; they are imported one after another off the UI thread."""
        if not paths:
            return
        self.banners.clear("success")
        self._queue.extend(paths)
        self._batch_total += len(paths)
        if self._job is None:
            self._start_next()

    def is_importing(self) -> bool:
        return self._job is not None

    def cancel_import(self) -> None:
        """Stop the running import and drop the queued ones."""
        dropped = len(self._queue)
        self._queue.clear()
        self._batch_total -= dropped
        if self._job is not None:
            self._job.cancel.set()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def shutdown(self) -> None:
        """Cancel work and wait for the threads: call before the page goes away."""
        self.cancel_import()
        self._import_pool.shutdown(wait=True, cancel_futures=True)
        self._thumbnail_pool.shutdown(wait=True, cancel_futures=True)

    def _start_next(self) -> None:
        if not self._queue:
            self._job = None
            self._batch_total = self._batch_done = 0
            self.progress_panel.setVisible(False)
            self._update_buttons()
            self.imports_idle.emit()
            return
        source = self._queue.popleft()
        job = ImportJob(self.library, source)
        job.signals.progress.connect(self._import_progress)
        job.signals.finished.connect(self._import_finished)
        self._job = job
        self.progress_bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self._set_progress_text(0, 0)
        self.progress_panel.setVisible(True)
        self._update_buttons()
        self._import_pool.submit(job.run)

    def _set_progress_text(self, done: int, total: int) -> None:
        assert self._job is not None
        counter = (
            f" (file {self._batch_done + 1} of {self._batch_total})"
            if self._batch_total > 1
            else ""
        )
        amount = f" — {format_size(done)} of {format_size(total)}" if total else ""
        self.progress_label.setText(f"Importing {self._job.source.name}{amount}{counter}")

    def _import_progress(self, done: int, total: int) -> None:
        if self._job is None or self._job.cancel.is_set():
            return
        self.progress_bar.setValue(done * PROGRESS_STEPS // total if total else PROGRESS_STEPS)
        self._set_progress_text(done, total)

    def _import_finished(self, result: ImportResult) -> None:
        self._batch_done += 1
        name = result.source.name
        if result.ok:
            assert result.entry is not None
            title = result.entry.title or name
            if result.added:
                self.banners.add("success", f"Imported “{title}”.", f"From {result.source}")
            else:
                self.banners.add(
                    "info",
                    f"“{title}” is already in the library.",
                    f"{name} has the same content, so nothing was added.",
                )
            self.refresh()
            self._highlight(result.entry.id)
        elif result.cancelled:
            self.banners.add(
                "info", f"Import of {name} was cancelled.", "Nothing was added to the library."
            )
        else:
            message = result.message.removeprefix(f"{name}: ")
            self.banners.add(
                "error", f"{name} could not be imported", message, reason=result.reason
            )
            log.ui.info(
                "Import of %s failed: %s (%s)", result.source, result.message, result.reason
            )
        self.import_finished.emit(result)
        self._start_next()

    # --- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if vrm_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()
            self._set_drop_highlight(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if vrm_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_highlight(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drop_highlight(False)
        paths = vrm_paths_from_mime(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_files(paths)

    def _set_drop_highlight(self, on: bool) -> None:
        self.list.setProperty("dropTarget", on)
        self.list.style().unpolish(self.list)
        self.list.style().polish(self.list)
