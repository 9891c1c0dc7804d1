"""Settings > Privacy: the one place analytics consent is asked and changed.

The question is asked once: until the user answers, the page shows it with two equal
buttons; afterwards a checkbox shows the answer and can change it. Nothing is sent
before a "yes" (see app/analytics).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.analytics.client import grant_consent
from app.settings import SettingsStore

__all__ = ["PrivacyPage"]

EXPLANATION = (
    "Companion Stage can send anonymous usage events (app started, a model imported with its "
    "VRM version and size bucket, import time, the speech transport in use, whether a shortcut "
    "could be registered). Never your text, file names, voices or models. An anonymous install "
    "id is created only if you agree."
)


class PrivacyPage(QWidget):
    #: True when the user agreed; the shell restarts analytics with the new answer.
    consent_changed = Signal(bool)

    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("privacyPage")
        self.store = store
        title = QLabel("Privacy")
        title.setObjectName("pageTitle")
        text = QLabel(EXPLANATION)
        text.setWordWrap(True)
        self.question = QWidget()
        ask = QHBoxLayout(self.question)
        ask.setContentsMargins(0, 0, 0, 0)
        self.allow_button = QPushButton("Share anonymous usage data")
        self.deny_button = QPushButton("Don't share")
        self.allow_button.clicked.connect(lambda: self.answer(True))
        self.deny_button.clicked.connect(lambda: self.answer(False))
        ask.addWidget(self.allow_button)
        ask.addWidget(self.deny_button)
        ask.addStretch(1)
        self.checkbox = QCheckBox("Share anonymous usage data")
        self.checkbox.toggled.connect(self._toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.question)
        layout.addWidget(self.checkbox)
        layout.addStretch(1)
        self._show(self.store.load().settings.privacy.analytics_consent)

    @property
    def asked(self) -> bool:
        return self.store.load().settings.privacy.analytics_consent != "unasked"

    def answer(self, granted: bool) -> None:
        grant_consent(self.store, granted)
        self._show("granted" if granted else "denied")
        self.consent_changed.emit(granted)

    def _toggled(self, checked: bool) -> None:
        if checked != (self.store.load().settings.privacy.analytics_consent == "granted"):
            self.answer(checked)

    def _show(self, consent: str) -> None:
        self.question.setVisible(consent == "unasked")
        self.checkbox.setVisible(consent != "unasked")
        self.checkbox.blockSignals(True)
        self.checkbox.setChecked(consent == "granted")
        self.checkbox.blockSignals(False)
