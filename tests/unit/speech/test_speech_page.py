from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from pytestqt.qtbot import QtBot

from app.paths import DataPaths
from app.settings import SettingsStore
from app.settings.sections.speech import SpeechSettings
from app.speech.playback import Playback, PlayedItem
from app.speech.session import Sentence
from app.speech.sinks import NullSink
from app.speech.speaker import Speaker
from app.ui.audio_output import best_sink
from app.ui.chat_panel import ChatPanel
from app.ui.speech_page import PREVIEW_TEXT, SpeechPage
from tests.unit.speech.engines import running
from tests.unit.speech.local_http import serve_api
from tests.unit.speech.wavcheck import rms


class Heard:
    def __init__(self) -> None:
        self.sentences: list[tuple[str, Sentence]] = []
        self.played: list[PlayedItem] = []

    def speaker(self, settings: SpeechSettings) -> Speaker:
        return Speaker(
            settings,
            Playback(NullSink(), on_played=self.played.append),
            on_sentence=lambda i, s: self.sentences.append((i, s)),
        )


def test_preview_speaks_through_the_offline_voice(qtbot: QtBot, data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    heard = Heard()
    speaker = heard.speaker(store.load().settings.speech)
    page = SpeechPage(store, speaker)
    qtbot.addWidget(page)
    assert [page.provider.itemData(i) for i in range(page.provider.count())] == [
        "piper",
        "espeak-ng",
        "openai-compatible",
        "streaming",
    ]
    qtbot.waitUntil(lambda: page.voice.findData("en_US-joe-medium") >= 0, timeout=10000)
    assert not page.server_url.isVisibleTo(page), "the offline voice needs no server"
    page.voice.setCurrentIndex(page.voice.findData("en_US-joe-medium"))
    page.voice.activated.emit(page.voice.currentIndex())
    assert store.load().settings.speech.voice == "en_US-joe-medium"
    qtbot.mouseClick(page.preview, qtbot_left())
    qtbot.waitUntil(lambda: page.preview.isEnabled(), timeout=30000)
    assert "Preview spoken" in page.status.text() and "segmenter" in page.status.text()
    assert " ".join(s.text for _, s in heard.sentences) == PREVIEW_TEXT
    assert all(rms(s.audio) > 0.03 for _, s in heard.sentences)
    qtbot.waitUntil(lambda: len(heard.played) == len(heard.sentences), timeout=30000)
    speaker.close(drain=False)


def test_switching_provider_saves_and_lists_its_voices(qtbot: QtBot, data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    heard = Heard()
    speaker = heard.speaker(SpeechSettings())
    page = SpeechPage(store, speaker)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.settings_changed, timeout=5000):
        page.provider.setCurrentIndex(page.provider.findData("espeak-ng"))
    assert store.load().settings.speech.provider == "espeak-ng"
    assert speaker.settings.provider == "espeak-ng"
    qtbot.waitUntil(lambda: page.voice.count() > 50, timeout=10000)
    assert page.voice.findData("en-gb") >= 0

    page.provider.setCurrentIndex(page.provider.findData("openai-compatible"))
    assert page.server_url.isVisibleTo(page)
    qtbot.mouseClick(page.preview, qtbot_left())
    qtbot.waitUntil(lambda: page.preview.isEnabled(), timeout=10000)
    assert "[provider-not-configured]" in page.status.text()
    speaker.close(drain=False)


def test_streaming_fields_are_saved_separately(qtbot: QtBot, data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    speaker = Heard().speaker(SpeechSettings())
    page = SpeechPage(store, speaker)
    qtbot.addWidget(page)
    page.provider.setCurrentIndex(page.provider.findData("streaming"))
    assert page.buffer_session.isVisibleTo(page)
    page.server_url.setText("ws://127.0.0.1:8787/api/v1/audio/speech/ws")
    page.server_key.setText("tok")
    page.server_url.editingFinished.emit()
    saved = json.loads(data_dir.settings_file.read_text())["speech"]
    assert saved["stream_url"].endswith("/speech/ws") and saved["stream_token"] == "tok"
    assert saved["rest_base_url"] == ""
    speaker.close(drain=False)


def _sse(_body: Any) -> tuple[int, str, Iterator[bytes]]:
    def events() -> Iterator[bytes]:
        for token in ["Sure", ",", " I", " can", " do", " that", ".", " Here", " it", " is", "!"]:
            yield f"data: {json.dumps({'choices': [{'delta': {'content': token}}]})}\n\n".encode()
            time.sleep(0.02)
        yield b"data: [DONE]\n\n"

    return 200, "text/event-stream", events()


def test_chat_panel_streams_the_reply_into_speech(qtbot: QtBot) -> None:
    heard = Heard()
    with serve_api({("POST", "/v1/chat/completions"): _sse}) as api:
        speaker = heard.speaker(SpeechSettings(chat_base_url=api.base + "/v1", chat_model="m"))
        panel = ChatPanel(speaker)
        qtbot.addWidget(panel)
        panel.input.setText("Can you help?")
        qtbot.mouseClick(panel.send_button, qtbot_left())
        assert panel.stop_button.isEnabled()
        qtbot.waitUntil(lambda: panel.send_button.isEnabled(), timeout=15000)
    assert (
        panel.transcript.toPlainText()
        == "You: Can you help?\nCompanion: Sure, I can do that. Here it is!"
    )
    assert speaker.current is not None and speaker.current.wait(30)
    assert " ".join(s.text for _, s in heard.sentences) == "Sure, I can do that. Here it is!"
    assert len({i for i, _ in heard.sentences}) == 1
    speaker.close(drain=False)


def test_chat_panel_without_endpoint_speaks_the_typed_text(qtbot: QtBot) -> None:
    heard = Heard()
    speaker = heard.speaker(SpeechSettings())
    panel = ChatPanel(speaker)
    qtbot.addWidget(panel)
    panel.input.setText("Read this aloud.")
    panel.input.returnPressed.emit()
    qtbot.waitUntil(lambda: bool(heard.sentences), timeout=15000)
    assert heard.sentences[0][1].text == "Read this aloud."
    speaker.close(drain=False)


def test_no_sound_device_here_means_the_real_time_null_sink(qtbot: QtBot) -> None:
    sink = best_sink()
    assert isinstance(sink, NullSink) and not sink.audible


def qtbot_left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_preview_streams_through_a_bidirectional_provider(
    qtbot: QtBot, data_dir: DataPaths
) -> None:
    store = SettingsStore(data_dir.settings_file)
    heard = Heard()
    speaker = heard.speaker(SpeechSettings())
    page = SpeechPage(store, speaker)
    qtbot.addWidget(page)
    with running() as engine:
        page.provider.setCurrentIndex(page.provider.findData("streaming"))
        page.server_url.setText(engine.url)
        page.server_url.editingFinished.emit()
        qtbot.waitUntil(lambda: page.voice.findData("en_US-joe-medium") >= 0, timeout=10000)
        page.voice.setCurrentIndex(page.voice.findData("en_US-joe-medium"))
        page.voice.activated.emit(page.voice.currentIndex())
        qtbot.mouseClick(page.preview, qtbot_left())
        qtbot.waitUntil(lambda: page.preview.isEnabled(), timeout=30000)
        assert "Preview spoken" in page.status.text() and "streaming" in page.status.text()
        assert engine.engine.sessions_finished == 1  # one socket for the whole preview
    assert " ".join(s.text for _, s in heard.sentences) == PREVIEW_TEXT
    assert all(rms(s.audio) > 0.03 for _, s in heard.sentences)
    speaker.close(drain=False)
