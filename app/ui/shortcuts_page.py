"""Settings > Developer > Global shortcuts: try bindings live and watch them fire.

A developer (or a user reporting a bug) sees which backend is in use and why, the
exact reason a registration failed, the bindings held, and each trigger with its
phase and delivery latency. Trigger events arrive on the backend's thread and are
handed to the GUI thread through a Qt signal (a queued connection), never touched
from the backend thread. Registration runs off the GUI thread too: on Wayland the
desktop may ask the user before it answers, and the window must not freeze meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.shortcuts.accelerator import AcceleratorError, parse_accelerator
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, Result, TriggerEvent
from app.ui.page_header import add_page_header

__all__ = ["LOG_LIMIT", "ShortcutsDevPage", "TriggerRelay"]

#: Trigger log rows kept (newest first).
LOG_LIMIT: Final = 50
_OK_STYLE: Final = "color: #1b7f3b;"
_FAIL_STYLE: Final = "color: #b3261e;"


class TriggerRelay(QObject):
    """Carries trigger events from the backend's thread into the GUI thread.

    Create it in the GUI thread and pass :meth:`forward` to ``service.subscribe``; slots
    connected to :attr:`triggered` then run in the GUI thread (queued connection). The
    shell can use one to run app actions (toggle the stage, open settings).
    """

    triggered = Signal(object, float)  # TriggerEvent, perf_counter when emitted
    registered = Signal(object)  # Result

    def forward(self, event: TriggerEvent) -> None:
        """Safe to call from any thread: only emits."""
        with contextlib.suppress(RuntimeError):  # the relay was deleted; nobody listens
            self.triggered.emit(event, time.perf_counter())


class ShortcutsDevPage(QWidget):
    """Register, inspect and release global shortcuts on a live :class:`ShortcutService`."""

    #: Emitted in the GUI thread once a registration's result is shown.
    registered = Signal(object)

    def __init__(self, service: ShortcutService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts-dev-page")
        self._service = service
        self.last_result: Result | None = None

        self.backend_label = QLabel()
        self.backend_label.setObjectName("backend")
        self.backend_label.setWordWrap(True)
        self.backend_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.id_edit = QLineEdit("demo")
        self.accelerator_edit = QLineEdit()
        self.accelerator_edit.setPlaceholderText("e.g. CmdOrCtrl+Shift+K or Alt+F4")
        self.parse_hint = QLabel()
        self.parse_hint.setWordWrap(True)
        self.description_edit = QLineEdit()
        self.key_ups_check = QCheckBox("Report key-ups too")
        self.register_button = QPushButton("Register")
        self.register_button.setDefault(True)
        self.result_label = QLabel("No registration tried yet.")
        self.result_label.setObjectName("last-result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.bindings_table = QTableWidget(0, 6)
        self.bindings_table.setHorizontalHeaderLabels(
            ["Id", "Accelerator", "Description", "Key-ups", "Scope", ""])
        self.unregister_all_button = QPushButton("Unregister all")

        self.log_table = QTableWidget(0, 4)
        latency = QTableWidgetItem("Latency (ms)")
        latency.setToolTip("From the backend seeing the key event to this page showing it")
        self.log_table.setHorizontalHeaderLabels(["Time", "Id", "Phase"])
        self.log_table.setHorizontalHeaderItem(3, latency)
        self.clear_log_button = QPushButton("Clear log")

        for table in (self.bindings_table, self.log_table):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            table.horizontalHeader().setStretchLastSection(True)

        # The Unregister buttons keep their width; the description takes what is left.
        header = self.bindings_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self._build_layout()
        self._show_backend()
        self.refresh_bindings()

        self.accelerator_edit.textChanged.connect(self._show_parse_hint)
        self.accelerator_edit.returnPressed.connect(self.register_from_form)
        self.register_button.clicked.connect(self.register_from_form)
        self.unregister_all_button.clicked.connect(self.unregister_all)
        self.clear_log_button.clicked.connect(lambda: self.log_table.setRowCount(0))

        self._relay = TriggerRelay(self)
        self._relay.triggered.connect(self._log_trigger)
        self._relay.registered.connect(self._on_registered)
        self._unsubscribe = service.subscribe(self._relay.forward)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    # --- layout ------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        backend_box = QGroupBox("Backend")
        QVBoxLayout(backend_box).addWidget(self.backend_label)

        form_box = QGroupBox("Register a shortcut")
        form = QFormLayout(form_box)
        form.addRow("&Id", self.id_edit)
        form.addRow("&Accelerator", self.accelerator_edit)
        form.addRow("", self.parse_hint)
        form.addRow("&Description", self.description_edit)
        form.addRow("", self.key_ups_check)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.register_button)
        form.addRow(buttons)
        form.addRow("Last result", self.result_label)

        bindings_box = QGroupBox("Active bindings")
        bindings = QVBoxLayout(bindings_box)
        bindings.addWidget(self.bindings_table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.unregister_all_button)
        bindings.addLayout(row)

        log_box = QGroupBox(f"Trigger log (last {LOG_LIMIT})")
        log_layout = QVBoxLayout(log_box)
        log_layout.addWidget(self.log_table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.clear_log_button)
        log_layout.addLayout(row)

        layout = QVBoxLayout(self)
        add_page_header(layout, "Global shortcuts", "For developers: try key bindings live and "
                        "watch them fire. The app's own shortcuts are listed with the others.")
        layout.addWidget(backend_box)
        layout.addWidget(form_box)
        layout.addWidget(bindings_box, 1)
        layout.addWidget(log_box, 1)

    def _show_backend(self) -> None:
        info = self._service.info
        scope = {"global": "global (system-wide)", "in-app": "in-app only (needs app focus)",
                 None: "none: shortcuts cannot be bound"}[info.scope]
        lines = [f"<b>{info.name}</b> — {scope}", f"Why: {_escape(info.why)}"]
        self.backend_label.setText("<br>".join(lines))

    # --- actions -----------------------------------------------------------------------------
    def register_from_form(self) -> None:
        """Register the form's binding in a worker thread; :attr:`registered` tells when done."""
        if not self.register_button.isEnabled():
            return  # one registration at a time
        binding = Binding(self.id_edit.text().strip(), self.accelerator_edit.text(),
                          self.description_edit.text().strip(), self.key_ups_check.isChecked())
        self.register_button.setEnabled(False)
        self.result_label.setStyleSheet("")
        self.result_label.setText(f"Registering {_escape(binding.accelerator)}…")
        relay = self._relay

        def work() -> None:
            result = self._service.register(binding)
            with contextlib.suppress(RuntimeError):  # the page was closed meanwhile
                relay.registered.emit(result)

        threading.Thread(target=work, name="shortcut-register", daemon=True).start()

    def _on_registered(self, result: Result) -> None:
        self._show_result(result)
        self.refresh_bindings()
        self.register_button.setEnabled(True)
        self.registered.emit(result)

    def unregister(self, binding_id: str) -> None:
        self._service.unregister(binding_id)
        self.refresh_bindings()

    def unregister_all(self) -> None:
        self._service.unregister_all()
        self.refresh_bindings()

    def refresh_bindings(self) -> None:
        active = self._service.list()
        self.bindings_table.setRowCount(len(active))
        for row, entry in enumerate(active):
            cells = [entry.binding.id, entry.accelerator, entry.binding.description,
                     "yes" if entry.binding.receive_key_ups else "no", entry.scope]
            for column, text in enumerate(cells):
                self.bindings_table.setItem(row, column, QTableWidgetItem(text))
            button = QPushButton("Unregister")
            button.setToolTip(f"Release {entry.accelerator}")
            button.clicked.connect(lambda _=False, i=entry.binding.id: self.unregister(i))
            self.bindings_table.setCellWidget(row, 5, button)
        self.unregister_all_button.setEnabled(bool(active))

    # --- feedback ----------------------------------------------------------------------------
    def _show_parse_hint(self, text: str) -> None:
        if not text.strip():
            self.parse_hint.clear()
            return
        try:
            canonical = str(parse_accelerator(text))
        except AcceleratorError as exc:
            self.parse_hint.setStyleSheet(_FAIL_STYLE)
            self.parse_hint.setText(exc.message)
        else:
            self.parse_hint.setStyleSheet("")
            self.parse_hint.setText(f"Canonical: {canonical}")

    def _show_result(self, result: Result) -> None:
        self.last_result = result
        if result.ok:
            self.result_label.setStyleSheet(_OK_STYLE)
            self.result_label.setText(f"OK ({result.backend}, {result.scope}): "
                                      f"{_escape(result.message)}")
        else:
            self.result_label.setStyleSheet(_FAIL_STYLE)
            self.result_label.setText(f"Failed — reason <b>{result.reason}</b>: "
                                      f"{_escape(result.message)}")

    def _log_trigger(self, event: TriggerEvent, _emitted: float) -> None:
        latency_ms = (time.perf_counter() - event.t) * 1000.0
        self.log_table.insertRow(0)
        cells = [time.strftime("%H:%M:%S"), event.id, event.phase, f"{latency_ms:.2f}"]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column == 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.log_table.setItem(0, column, item)
        while self.log_table.rowCount() > LOG_LIMIT:
            self.log_table.removeRow(self.log_table.rowCount() - 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
