"""Settings > Speech: provider, model and voice pickers, server fields and a Preview button.

Every change is saved at once (atomically, through the settings store) and handed to
the Speaker, which cancels an utterance in flight when the voice changed (hot swap).
Voice and model lists come from the provider on a worker thread, so a slow server or
a big espeak-ng list never freezes the window.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Final, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import log
from app.errors import CompanionError
from app.settings import SettingsStore
from app.settings.sections.speech import SpeechSettings
from app.speech.config import provider_config
from app.speech.providers.base import ProviderDefinition
from app.speech.registry import ProviderRegistry
from app.speech.speaker import Speaker
from app.ui.page_header import add_page_header

__all__ = ["PREVIEW_TEXT", "SpeechPage"]

PREVIEW_TEXT: Final = "Hello! This is how I will sound. Do you like my voice?"
DEFAULT_ENTRY: Final = "(default)"


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    """Object names let tests and style sheets find the widgets."""
    widget.setObjectName(name)
    return widget


class _Signals(QObject):
    listed = Signal(str, list, list, str)  # provider id, voices [(id, label)], models, error
    previewed = Signal(bool, str)  # ok, message


class SpeechPage(QWidget):
    settings_changed = Signal(object)  # SpeechSettings

    def __init__(
        self, store: SettingsStore, speaker: Speaker, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("speechPage")
        self.store = store
        self.speaker = speaker
        self.registry: ProviderRegistry = speaker.registry
        self._signals = _Signals()
        self._signals.listed.connect(self._on_listed)
        self._signals.previewed.connect(self._on_previewed)
        self._loading = False
        current = store.load().settings.speech

        self.provider = _named(QComboBox(), "provider")
        for definition in self.registry.definitions():
            self.provider.addItem(definition.name, definition.id)
            self.provider.setItemData(
                self.provider.count() - 1, definition.description, Qt.ItemDataRole.ToolTipRole
            )
        self.model = _named(QComboBox(editable=True), "model")
        self.voice = _named(QComboBox(editable=True), "voice")
        self.server_url = _named(QLineEdit(), "serverUrl")
        self.server_key = _named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "serverKey")
        self.buffer_session = _named(
            QCheckBox("Keep streamed audio whole (for voices whose subtitles lag)"), "bufferSession"
        )
        self.lip_sync = _named(QCheckBox("Move the avatar's mouth with the voice"), "lipSync")
        self.chat_url = _named(
            QLineEdit(placeholderText="e.g. http://127.0.0.1:11434/v1"), "chatUrl"
        )
        self.chat_model = _named(QLineEdit(), "chatModel")
        self.chat_key = _named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "chatKey")
        self.preview = _named(QPushButton("Preview"), "preview")
        self.status = _named(QLabel(wordWrap=True), "status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        voice_box = QGroupBox("Voice")
        form = QFormLayout(voice_box)
        form.addRow("Provider", self.provider)
        form.addRow("Model", self.model)
        form.addRow("Voice", self.voice)
        self._url_label = QLabel("Server URL")
        self._key_label = QLabel("API key / token")
        form.addRow(self._url_label, self.server_url)
        form.addRow(self._key_label, self.server_key)
        form.addRow(self.buffer_session)
        form.addRow(self.lip_sync)
        chat_box = QGroupBox("Chat (optional: replies are spoken as they are written)")
        chat_form = QFormLayout(chat_box)
        chat_form.addRow("Chat endpoint", self.chat_url)
        chat_form.addRow("Chat model", self.chat_model)
        chat_form.addRow("Chat API key", self.chat_key)
        row = QHBoxLayout()
        row.addWidget(self.preview)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        add_page_header(layout, "Speech", "The voice your companion speaks with. Preview says a "
                        "sample sentence with the chosen voice.")
        layout.addWidget(voice_box)
        layout.addWidget(chat_box)
        layout.addLayout(row)
        layout.addStretch(1)

        self._show(current)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self.model.activated.connect(lambda _i: self._save())
        self.voice.activated.connect(lambda _i: self._save())
        for combo in (self.model, self.voice):
            line = combo.lineEdit()
            if line is not None:
                line.editingFinished.connect(self._save)
        for edit in (self.server_url, self.server_key):
            edit.editingFinished.connect(self._server_edited)
        for edit in (
            self.chat_url,
            self.chat_model,
            self.chat_key,
        ):
            edit.editingFinished.connect(self._save)
        for box in (self.buffer_session, self.lip_sync):
            box.toggled.connect(lambda _on: self._save())
        self.preview.clicked.connect(self.start_preview)
        self.refresh_lists()

    # -- state <-> widgets -----------------------------------------------------------------

    def _definition(self) -> ProviderDefinition:
        return self.registry.definition(str(self.provider.currentData()))

    def _show(self, s: SpeechSettings) -> None:
        self._loading = True
        index = self.provider.findData(s.provider)
        self.provider.setCurrentIndex(max(0, index))
        self._set_combo(self.model, s.model)
        self._set_combo(self.voice, s.voice)
        self.buffer_session.setChecked(s.buffer_session)
        self.lip_sync.setChecked(s.lip_sync)
        self.chat_url.setText(s.chat_base_url)
        self.chat_model.setText(s.chat_model)
        self.chat_key.setText(s.chat_api_key)
        self._show_server_fields(s)
        self._loading = False

    def _show_server_fields(self, s: SpeechSettings) -> None:
        definition = self._definition()
        streaming = definition.transport == "bidirectional-ws"
        needs_server = streaming or "base_url" in definition.needs
        for widget in (self._url_label, self.server_url, self._key_label, self.server_key):
            widget.setVisible(needs_server)
        self.buffer_session.setVisible(streaming)
        self.server_url.setText(s.stream_url if streaming else s.rest_base_url)
        self.server_key.setText(s.stream_token if streaming else s.rest_api_key)
        self.server_url.setPlaceholderText(
            "ws://host:8787/api/v1/audio/speech/ws" if streaming else "https://host/v1"
        )

    @staticmethod
    def _set_combo(combo: QComboBox, value: str) -> None:
        if combo.findText(DEFAULT_ENTRY) < 0:
            combo.insertItem(0, DEFAULT_ENTRY, "")
        index = combo.findData(value) if value else 0
        if index < 0:
            combo.addItem(value, value)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    @staticmethod
    def _combo_value(combo: QComboBox) -> str:
        text = combo.currentText().strip()
        if text == DEFAULT_ENTRY or not text:
            return ""
        index = combo.findText(text)
        data = combo.itemData(index) if index >= 0 else None
        return str(data) if data else text

    def current_settings(self) -> SpeechSettings:
        base = self.store.load().settings.speech
        streaming = self._definition().transport == "bidirectional-ws"
        fields: dict[str, Any] = {
            "provider": str(self.provider.currentData()),
            "model": self._combo_value(self.model),
            "voice": self._combo_value(self.voice),
            "buffer_session": self.buffer_session.isChecked(),
            "lip_sync": self.lip_sync.isChecked(),
            "chat_base_url": self.chat_url.text().strip(),
            "chat_model": self.chat_model.text().strip(),
            "chat_api_key": self.chat_key.text(),
        }
        if streaming:
            fields |= {
                "stream_url": self.server_url.text().strip(),
                "stream_token": self.server_key.text(),
            }
        elif self.server_url.isVisibleTo(self):
            fields |= {
                "rest_base_url": self.server_url.text().strip(),
                "rest_api_key": self.server_key.text(),
            }
        return dataclasses.replace(base, **fields)

    def _save(self) -> None:
        if self._loading:
            return
        new = self.current_settings()

        def change(settings: object) -> None:
            settings.speech = new  # type: ignore[attr-defined]

        try:
            self.store.update(change)
        except CompanionError as exc:
            self._set_status(f"Could not save: {exc.message} [{exc.reason}]", error=True)
            return
        if self.speaker.apply_settings(new):
            self._set_status("Voice changed: the sentence in progress was stopped.")
        self.settings_changed.emit(new)

    def _server_edited(self) -> None:
        """A new server or token has other voices: list them, not the old server's."""
        before = self.speaker.settings
        self._save()
        after = self.current_settings()
        if (before.stream_url, before.stream_token, before.rest_base_url, before.rest_api_key) != (
            after.stream_url, after.stream_token, after.rest_base_url, after.rest_api_key
        ):
            self.refresh_lists()

    def _provider_changed(self) -> None:
        if self._loading:
            return
        self._loading = True
        saved = self.store.load().settings.speech
        self._set_combo(self.model, "")
        self._set_combo(self.voice, "")
        self._show_server_fields(saved)
        self._loading = False
        self._save()
        self.refresh_lists()

    # -- voice and model lists (worker thread) ---------------------------------------------

    def refresh_lists(self) -> None:
        settings = self.current_settings()
        definition = self._definition()
        self._set_status(f"Loading the voices of {definition.name}…")

        def work() -> None:
            voices: list[tuple[str, str]] = []
            models: list[str] = []
            error = ""
            try:
                provider = self.registry.create(
                    definition.id, provider_config(settings, definition)
                )
                voices = [
                    (v.id, v.name if v.name == v.id else f"{v.name} ({v.id})")
                    for v in provider.voices()
                ]
                models = provider.models()
            except CompanionError as exc:
                error = f"{exc.message} [{exc.reason}]"
            except Exception as exc:  # never let a provider bug kill the page
                log.ui.exception("listing voices failed")
                error = str(exc)
            self._signals.listed.emit(definition.id, voices, models, error)

        threading.Thread(target=work, name="speech-voices", daemon=True).start()

    def _on_listed(
        self, provider_id: str, voices: list[tuple[str, str]], models: list[str], error: str
    ) -> None:
        if provider_id != self.provider.currentData():
            return  # the user moved on
        self._loading = True
        chosen_voice, chosen_model = self._combo_value(self.voice), self._combo_value(self.model)
        self.voice.clear()
        self.model.clear()
        self.voice.addItem(DEFAULT_ENTRY, "")
        for voice_id, label in voices:
            self.voice.addItem(label, voice_id)
        self.model.addItem(DEFAULT_ENTRY, "")
        for model in models:
            self.model.addItem(model, model)
        self._set_combo(self.voice, chosen_voice)
        self._set_combo(self.model, chosen_model)
        self._loading = False
        if error:
            self._set_status(f"Could not list voices: {error}", error=True)
        else:
            count = len(voices)
            self._set_status(f"{count} voice{'' if count == 1 else 's'} available.")

    # -- preview ---------------------------------------------------------------------------

    def start_preview(self) -> None:
        self._save()
        self.preview.setEnabled(False)
        self._set_status("Speaking…")
        provider_name = self._definition().name  # widgets are read here, never in the worker

        def work() -> None:
            try:
                session = self.speaker.say(PREVIEW_TEXT)
            except CompanionError as exc:
                self._signals.previewed.emit(
                    False, f"Could not preview: {exc.message} [{exc.reason}]")
                return
            if not session.wait(60):
                session.cancel("preview-timeout")
                self._signals.previewed.emit(False, "The voice took too long to answer.")
            elif session.error is not None:
                self._signals.previewed.emit(
                    False, f"Could not preview: {session.error.message} "
                           f"[{session.error.reason}]"
                )
            elif session.state == "cancelled":
                self._signals.previewed.emit(False, "Preview stopped.")
            else:
                spoken = f"Preview spoken with {provider_name} ({session.transport})."
                if session.stand_in:  # the chosen voice could not speak: say who did
                    spoken = f"Preview spoken, but {session.stand_in}: check the voice."
                self._signals.previewed.emit(True, spoken)

        threading.Thread(target=work, name="speech-preview", daemon=True).start()

    def _on_previewed(self, ok: bool, message: str) -> None:
        self.preview.setEnabled(True)
        self._set_status(message, error=not ok)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.style().unpolish(self.status)  # the style sheet colours errors red
        self.status.style().polish(self.status)
