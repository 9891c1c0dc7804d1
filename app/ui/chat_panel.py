"""A small chat panel: the user types, the companion answers out loud.

With a chat endpoint configured (Settings > Speech) the reply streams in token by
token, into the transcript and into one speech session at once; without one, the
typed text itself is spoken. The network and the voice run on a worker thread; Stop
cancels both.
"""

from __future__ import annotations

import threading
from typing import TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import CompanionError
from app.speech.chat import ChatEndpoint, Conversation
from app.speech.speaker import Speaker
from app.ui.page_header import add_page_header

__all__ = ["ChatPanel"]


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    """Object names let tests and style sheets find the widgets."""
    widget.setObjectName(name)
    return widget


class _Signals(QObject):
    token = Signal(str)
    finished = Signal(str)  # error message, "" when fine


class ChatPanel(QWidget):
    def __init__(self, speaker: Speaker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.speaker = speaker
        self.conversation = Conversation(speaker)
        self._cancel = threading.Event()
        self._worker: threading.Thread | None = None
        self._signals = _Signals()
        self._signals.token.connect(self._on_token)
        self._signals.finished.connect(self._on_finished)

        self.transcript = _named(QTextBrowser(), "transcript")
        self.input = _named(QLineEdit(placeholderText="Say something…"), "input")
        self.send_button = _named(QPushButton("Send"), "send")
        self.stop_button = _named(QPushButton("Stop"), "stop")
        self.stop_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.stop_button)
        self.transcript.setPlaceholderText(
            "Type below and your companion says it aloud (set a chat endpoint on the "
            "Speech page to get replies).")
        layout = QVBoxLayout(self)
        add_page_header(layout, "Chat", "Talk to your companion.")
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)

        self.input.returnPressed.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)

    @property
    def busy(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def send(self) -> None:
        text = self.input.text().strip()
        if not text or self.busy:
            return
        self.input.clear()
        self._line("You", text)
        if ChatEndpoint.from_settings(self.speaker.settings) is not None:
            self._line("Companion", "")
        self._cancel = threading.Event()
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        cancel = self._cancel

        def work() -> None:
            try:
                self.conversation.send(text, on_token=self._signals.token.emit, cancel=cancel)
            except CompanionError as exc:
                self._signals.finished.emit(f"{exc.message} [{exc.reason}]")
                return
            self._signals.finished.emit("")

        self._worker = threading.Thread(target=work, name="chat-reply", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._cancel.set()
        self.speaker.stop()

    def _cursor(self) -> QTextCursor:
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _line(self, who: str, text: str, *, italic: bool = False) -> None:
        cursor = self._cursor()
        if not self.transcript.document().isEmpty():
            cursor.insertBlock()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(f"{who}: ", bold)
        plain = QTextCharFormat()
        plain.setFontItalic(italic)
        cursor.insertText(text, plain)
        self.transcript.setTextCursor(cursor)

    def _on_token(self, token: str) -> None:
        cursor = self._cursor()
        cursor.insertText(token, QTextCharFormat())
        self.transcript.setTextCursor(cursor)

    def _on_finished(self, error: str) -> None:
        if error:
            self._line("Could not answer", error, italic=True)
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)
