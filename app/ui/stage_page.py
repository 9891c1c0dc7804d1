"""Settings > Stage: is Godot running, what does it show, and what is it saying.

Users see why the stage is not up (the supervisor's reason, with Godot's last lines);
developers get Godot's live output without opening the log file.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.stage_link import ApplyOutcome, StageLink

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
        self.state_label = QLabel()
        self.state_label.setObjectName("stageState")
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
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        self.output = QPlainTextEdit()
        self.output.setObjectName("godotOutput")
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(LIVE_LINES)
        self.output.setPlaceholderText("Godot's output appears here while the stage runs.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.state_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.apply_label)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Godot output"))
        layout.addWidget(self.output, 1)

        link.state_changed.connect(self.show_state)
        link.output_line.connect(self.append_output)
        link.apply_started.connect(lambda name: self.apply_label.setText(f"Loading {name}…"))
        link.apply_finished.connect(self.show_outcome)
        self.show_state(link.state.value, "")

    def show_state(self, state: str, reason: str) -> None:
        self.state_label.setText(_STATE_TEXT.get(state, state))
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        running = state in ("starting", "running", "restarting")
        self.start_button.setEnabled(not running and state != "stopping")
        self.stop_button.setEnabled(running)

    def append_output(self, stream: str, line: str) -> None:
        self.output.appendPlainText(line if stream == "stdout" else f"[{stream}] {line}")

    def show_outcome(self, outcome: ApplyOutcome) -> None:
        text = outcome.summary if outcome.ok else f"{outcome.summary} [{outcome.reason}]"
        self.apply_label.setText(text)
        self.apply_label.setProperty("failed", not outcome.ok)
