"""Settings > Stage: is Godot running, what does it show, and what is it saying.

Users see why the stage is not up (the supervisor's reason, with Godot's last lines);
developers get Godot's live output without opening the log file.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.stage_link import ApplyOutcome, GodotChoice, StageLink, describe_godot

__all__ = ["StagePage"]

#: Lines of Godot output kept in the live view (the full log is in logs/godot.log).
LIVE_LINES: Final = 500

_STATE_TEXT: Final = {
    "stopped": "Stopped",
    "starting": "Starting Godot…",
    "running": "Running",
    "stopping": "Stopping…",
    "restarting": "Restarting after a crash…",
    "error": "Stopped with an error",
}


class StagePage(QWidget):
    def __init__(self, link: StageLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stagePage")
        self.link = link
        title = QLabel("Stage")
        title.setObjectName("pageTitle")
        subtitle = QLabel("The window that shows your avatar, run by Godot. Its last lines "
                          "appear below; the full log is in logs/godot.log.")
        subtitle.setObjectName("pageSubtitle")
        subtitle.setWordWrap(True)
        self._state = ""
        self._last_summary = ""
        self.state_label = QLabel()
        self.state_label.setObjectName("stageState")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason_label = QLabel()
        self.reason_label.setObjectName("stageReason")
        self.reason_label.setWordWrap(True)
        self.apply_label = QLabel("No avatar applied yet.")
        self.apply_label.setObjectName("stageApply")
        self.apply_label.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(link.start)
        self.stop_button.clicked.connect(link.stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label)
        buttons.addSpacing(8)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        self._godot_path = link.service.godot_path  # kept: not a settings read per click
        self.godot_label = QLabel(f"Godot: {describe_godot(self._godot_path)}")
        self.godot_label.setObjectName("stageGodot")
        self.godot_label.setWordWrap(True)
        self.godot_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_godot_button = QPushButton("Choose Godot…")
        self.choose_godot_button.setToolTip("Run the stage on a Godot 4.3+ you pick "
                                            "(setting godot.path)")
        self.auto_godot_button = QPushButton("Find automatically")
        self.auto_godot_button.setEnabled(bool(self._godot_path))
        self.choose_godot_button.clicked.connect(self._pick_godot)
        self.auto_godot_button.clicked.connect(lambda: self.choose_godot(""))
        self.godot_status = QLabel()
        self.godot_status.setObjectName("stageGodotStatus")
        self.godot_status.setWordWrap(True)
        self.godot_status.hide()
        godot_row = QHBoxLayout()  # under the label: a long path must not widen the page
        godot_row.addWidget(self.choose_godot_button)
        godot_row.addWidget(self.auto_godot_button)
        godot_row.addStretch(1)
        self.output = QPlainTextEdit()
        self.output.setObjectName("godotOutput")
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(LIVE_LINES)
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a log: one line each
        self.output.setPlaceholderText("Godot's output appears here while the stage runs.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addLayout(buttons)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.apply_label)
        layout.addWidget(self.godot_label)
        layout.addLayout(godot_row)
        layout.addWidget(self.godot_status)
        layout.addWidget(QLabel("Godot output"))
        layout.addWidget(self.output, 1)

        link.state_changed.connect(self.show_state)
        link.output_line.connect(self.append_output)
        link.apply_started.connect(self.show_loading)
        link.apply_finished.connect(self.show_outcome)
        link.godot_chosen.connect(self.show_godot_choice)
        self.show_state(link.state.value, "")

    def show_state(self, state: str, reason: str) -> None:
        if (state in ("starting", "restarting") and state != self._state
                and not self.output.document().isEmpty()):
            # Each run's output starts under a marker, so a crash and its restart read apart.
            self.output.appendPlainText(f"──── {_STATE_TEXT[state]} ────")
        self._state = state
        self.state_label.setText(_STATE_TEXT.get(state, state))
        self.state_label.setProperty("state", state)
        self._repolish(self.state_label)
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        running = state in ("starting", "running", "restarting")
        self.start_button.setEnabled(not running and state != "stopping")
        self.stop_button.setEnabled(running)
        if state in ("stopped", "error") and self._last_summary:
            # The avatar is gone with the window: do not claim it is still "on the stage".
            self._set_apply(f"Nothing is shown while the stage is stopped (last: "
                            f"{self._last_summary}).", failed=False)
        elif state == "restarting" and self._last_summary:
            self._set_apply(f"Shown again once Godot is back (last: {self._last_summary}).",
                            failed=False)
        elif state == "running" and self._last_summary:
            self._set_apply(self._last_summary, failed=False)

    def choose_godot(self, value: str) -> None:
        """Check and save ``value`` as the Godot to run ("" = find automatically)."""
        self.choose_godot_button.setEnabled(False)
        self.auto_godot_button.setEnabled(False)
        self.godot_status.setText("Checking Godot…" if value else "Saving…")
        self.godot_status.setProperty("failed", False)
        self._repolish(self.godot_status)
        self.godot_status.show()
        self.link.choose_godot(value)

    def show_godot_choice(self, choice: GodotChoice) -> None:
        if choice.ok:
            self._godot_path = choice.path
            self.godot_label.setText(f"Godot: {choice.text}")
            running = self._state in ("starting", "running", "restarting")
            self.godot_status.setText("Saved. The stage uses it from its next start."
                                      if running else "Saved.")
        else:
            self.godot_status.setText(f"Not changed: {choice.text} [{choice.reason}]")
        self.godot_status.setProperty("failed", not choice.ok)
        self._repolish(self.godot_status)
        self.choose_godot_button.setEnabled(True)
        self.auto_godot_button.setEnabled(bool(self._godot_path))

    def _pick_godot(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the Godot 4 executable",
                                              self._godot_path)
        if path:
            self.choose_godot(path)

    def show_loading(self, name: str) -> None:
        self._set_apply(f"Loading {name}…", failed=False)

    def append_output(self, stream: str, line: str) -> None:
        down = self.output.verticalScrollBar()
        follow = down.value() >= down.maximum()  # a user reading further up is left there
        self.output.appendPlainText(line if stream == "stdout" else f"[{stream}] {line}")
        if follow:
            # Park the cursor at the start of the newest line: the view follows the output
            # without jumping to the end of a long line (which it did for lines that arrived
            # while the page was hidden, showing only their tails).
            cursor = self.output.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            self.output.setTextCursor(cursor)

    def show_outcome(self, outcome: ApplyOutcome) -> None:
        text = outcome.summary if outcome.ok else f"{outcome.summary} [{outcome.reason}]"
        if outcome.ok:
            self._last_summary = outcome.summary
        self._set_apply(text, failed=not outcome.ok)

    def _set_apply(self, text: str, *, failed: bool) -> None:
        self.apply_label.setText(text)
        self.apply_label.setProperty("failed", failed)
        self._repolish(self.apply_label)

    @staticmethod
    def _repolish(label: QLabel) -> None:
        """Property selectors in the style sheet apply only after a re-polish."""
        label.style().unpolish(label)
        label.style().polish(label)
