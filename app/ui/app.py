"""Starting the shell: one instance per data folder, a tray icon, the settings window.

``run_app`` is what ``companion-stage`` runs without a sub-command. A later launch
hands its arguments to the running shell and exits 0. Everything the rest of the app
reacts to goes through :class:`ShellActions`, which :class:`Shell` exposes so the
stage supervisor can be wired to it.
"""

from __future__ import annotations

import signal
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app import log
from app.analytics import (
    Analytics,
    ModelImported,
    ShortcutRegistered,
    SpeechSessionStarted,
    size_bucket,
)
from app.context import AppContext
from app.errors import CompanionError
from app.models.library import ModelLibrary
from app.settings import LoadResult
from app.settings.sections.speech import SpeechSettings
from app.shortcuts.actions import ActionShortcuts
from app.shortcuts.select import open_service
from app.shortcuts.types import Result as ShortcutResult
from app.shortcuts.types import TriggerEvent
from app.speech.account import fetch_account
from app.speech.lipsync import MOUTH_EXPRESSION, on_change
from app.speech.playback import Playback
from app.speech.speaker import Speaker
from app.stage.service import StageService
from app.ui.actions import ShellActions
from app.ui.app_shortcuts_page import AppShortcutsPage
from app.ui.audio_output import best_sink
from app.ui.chat_panel import ChatPanel
from app.ui.gc_guard import GuiThreadCollector
from app.ui.inapp_keys import InAppKeyFeeder
from app.ui.models_page import ModelsPage
from app.ui.outside_changes import OutsideChanges
from app.ui.privacy_page import PrivacyPage
from app.ui.resources import ICON_NAME, icon_path
from app.ui.settings_window import SettingsWindow
from app.ui.shortcuts_page import ShortcutsDevPage, TriggerRelay
from app.ui.single_instance import SingleInstance
from app.ui.speech_page import SpeechPage
from app.ui.stage_link import StageLink
from app.ui.stage_page import StagePage
from app.ui.tray import build_tray
from app.ui.workers import ImportResult

__all__ = ["Shell", "run_app"]

#: How often Python gets the chance to run signal handlers while Qt's loop runs.
SIGNAL_POLL_MS = 250
#: Quit lets the sentence already playing finish for at most this long, then cuts it.
QUIT_DRAIN_S = 3.0


class Shell:
    """The running shell's parts; built once the single-instance check passed."""

    def __init__(self, context: AppContext, loaded: LoadResult) -> None:
        self.context = context
        self.actions = ShellActions()
        self.icon = QIcon(str(icon_path()))
        models = loaded.settings.models
        self.library = ModelLibrary(context.paths.models_dir, max_bytes=models.max_import_bytes)
        self.window = SettingsWindow()
        self.window.setWindowIcon(self.icon)
        self.models_page = ModelsPage(self.library, context.settings, selected=models.selected)
        self.models_page.model_selected.connect(self.actions.model_selected)
        self.window.add_page("Models", self.models_page)
        self.outside = OutsideChanges(context.paths)
        self.outside.changed.connect(self.models_page.follow_outside_changes)
        self.window.show_settings_notices(loaded.notices)
        self.actions.settings_requested.connect(self.show_settings)
        self.window.quit_requested.connect(self.actions.quit_requested)

        self.analytics = Analytics.from_settings(context.settings)
        self.stage = StageLink(
            StageService(context.paths, context.settings,
                         remote_debug_flag=getattr(context.args, "godot_remote_debug", None)),
            self.library, self.analytics,
        )
        self.actions.model_selected.connect(self.stage.select)
        self.models_page.import_finished.connect(self._model_imported)
        self.stage.apply_started.connect(self.models_page.show_stage_loading)
        self.stage.apply_finished.connect(
            lambda outcome: self.models_page.show_stage_outcome(
                outcome.ok, outcome.summary, outcome.reason))
        self.actions.show_stage_requested.connect(self.stage.start)
        self.window.add_page("Stage", StagePage(self.stage))

        speech = loaded.settings.speech
        #: Read by the playback thread; the Speech page's checkbox changes it while running.
        self.lip_sync = speech.lip_sync
        self._mouth = on_change(lambda weight: self.stage.set_expression(MOUTH_EXPRESSION, weight))
        self.playback = Playback(best_sink(), on_mouth=self._move_mouth)
        self.speaker = Speaker(speech, self.playback, on_started=self._speech_started)
        self.speech_page = SpeechPage(context.settings, self.speaker)
        self.speech_page.settings_changed.connect(self._speech_settings_changed)
        self.window.add_page("Speech", self.speech_page)
        self.window.add_page("Chat", ChatPanel(self.speaker))

        self.privacy_page = PrivacyPage(context.settings)
        self.privacy_page.consent_changed.connect(self._consent_changed)
        self.window.add_page("Privacy", self.privacy_page)

        self.shortcuts = open_service(loaded.settings.shortcuts.backend)
        self.trigger_relay = TriggerRelay()
        self.shortcuts.subscribe(self.trigger_relay.forward)
        self.trigger_relay.triggered.connect(self._shortcut_triggered)
        self.action_shortcuts = ActionShortcuts(self.shortcuts, context.settings)
        info = self.shortcuts.info
        self.app_shortcuts_page = AppShortcutsPage(
            self.action_shortcuts, f"Backend: {info.name} — {info.why}")
        self.window.add_page("Shortcuts", self.app_shortcuts_page)
        self.shortcuts_page = ShortcutsDevPage(self.shortcuts)
        self.window.add_page("Developer › Shortcuts", self.shortcuts_page)
        self._bind_action_shortcuts()
        self.app_shortcuts_page.changed.connect(lambda *_: self.shortcuts_page.refresh_bindings())
        self.outside.changed.connect(self._follow_shortcut_settings)
        self.key_feeder = InAppKeyFeeder(self.shortcuts)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.key_feeder)
        self.shortcuts_page.refresh_bindings()  # list the app's own bindings too
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = build_tray(self.actions, self.icon)
            self.tray.show()
        else:
            log.ui.warning("No system tray is available; showing the settings window instead.")
            self.window.show_notice(
                "No system tray was found, so Companion Stage shows this window instead.",
                "Closing it keeps the app running; `companion-stage --settings` brings it back.",
                reason="no-system-tray",
            )
            self.show_settings()
        if loaded.notices:
            self.show_settings()

    def start_stage(self) -> None:
        """Launch Godot and show the selected avatar (the built-in one until the user picks)."""
        self.stage.start()
        self.stage.select(self.context.settings.load().settings.models.selected)

    def _bind_action_shortcuts(self) -> None:
        self._report_bound(self.action_shortcuts.bind_saved())

    def _follow_shortcut_settings(self) -> None:
        """``companion-stage shortcuts set/clear/reset`` changed the settings: follow them."""
        self._report_bound(self.action_shortcuts.follow_saved())  # the page shows them too
        self.shortcuts_page.refresh_bindings()  # a cleared action has no result but is gone

    def _report_bound(self, bound: dict[str, ShortcutResult]) -> None:
        for action_id, result in bound.items():
            self.analytics.capture(ShortcutRegistered(ok=result.ok, backend=result.backend,
                                                      reason=result.reason or ""))
            if not result.ok:
                self.window.notices.add(
                    "warning", f"The shortcut for {action_id} does not work", result.message,
                    reason=result.reason,
                )
        self.app_shortcuts_page.show_bound(bound)

    def _shortcut_triggered(self, event: TriggerEvent, _emitted_at: float) -> None:
        if event.phase != "down":
            return
        if event.id == "toggle-stage":
            self.stage.toggle()
        elif event.id == "open-settings":
            self.show_settings()

    def _speech_started(self, transport: str, provider: str) -> None:
        if transport in ("segmenter", "streaming"):
            self.analytics.capture(SpeechSessionStarted(transport=transport,  # type: ignore[arg-type]
                                                        provider=provider))
        else:
            log.ui.info("speech session with unknown transport %r not reported", transport)

    def _model_imported(self, result: ImportResult) -> None:
        entry = result.entry
        if entry is not None and result.added and entry.vrm_version in ("0.x", "1.0"):
            self.analytics.capture(ModelImported(vrm_version=entry.vrm_version,  # type: ignore[arg-type]
                                                 size_bucket=size_bucket(entry.size)))

    def identify_on_speech_server(self, speech: SpeechSettings) -> None:
        """Signed in to a speech server (URL + token): join analytics on its person id."""
        if not (self.analytics.active and speech.stream_url and speech.stream_token):
            return
        analytics = self.analytics

        def work() -> None:
            try:
                account = fetch_account(speech.stream_url, speech.stream_token)
            except CompanionError as exc:
                log.ui.info("speech server account not known (%s): %s", exc.reason, exc.message)
                return
            analytics.identify(account.person_id)

        threading.Thread(target=work, name="speech-account", daemon=True).start()
    def _move_mouth(self, weight: float) -> None:
        if self.lip_sync:
            self._mouth(weight)

    def _speech_settings_changed(self, speech: SpeechSettings) -> None:
        """Lip sync follows its checkbox at once, not at the next start."""
        if self.lip_sync and not speech.lip_sync:
            self.stage.set_expression(MOUTH_EXPRESSION, 0.0)  # never leave the mouth open
        self.lip_sync = speech.lip_sync
        self.identify_on_speech_server(speech)  # a new server or token is a new sign-in

    def _consent_changed(self, _granted: bool) -> None:
        self.analytics.shutdown()
        self.analytics = Analytics.from_settings(self.context.settings)
        self.stage.analytics = self.analytics
        self.analytics.app_started()
        self.identify_on_speech_server(self.context.settings.load().settings.speech)

    def show_settings(self) -> None:
        self.window.bring_to_front()
        log.ui.info("Settings window shown")

    def handle_arguments(self, argv: list[str]) -> None:
        """A later launch's argv: ``--settings`` opens settings, a plain launch shows the stage."""
        if "--settings" in argv:
            self.show_settings()
        else:
            self.actions.show_stage_requested.emit()

    def shutdown(self) -> None:
        """Quit order: vanish, finish the words already queued, release keys, stop Godot, flush.

        The window and tray go first so the bounded drain never looks like a frozen app.
        """
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.key_feeder)
        self.window.hide()
        if self.tray is not None:
            self.tray.hide()
        self.speaker.close(drain=True, timeout=QUIT_DRAIN_S)  # cancels, then drains the queue
        self.shortcuts.close()
        self.stage.stop()
        self.analytics.shutdown()
        self.models_page.shutdown()


def run_app(context: AppContext) -> int:
    """Run the tray app until Quit; returns the process exit code."""
    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qt_app, QApplication)
    qt_app.setQuitOnLastWindowClosed(False)
    qt_app.setApplicationName("Companion Stage")
    qt_app.setDesktopFileName(ICON_NAME)

    argv = sys.argv[1:]
    instance = SingleInstance(context.paths.root)
    if not instance.claim():
        if instance.send(argv):
            log.ui.info(
                "Companion Stage already runs for %s; handed it %s", context.paths.root, argv
            )
            return 0
        print(
            f"companion-stage: another instance holds {context.paths.root} but does not answer "
            "[instance-unreachable]",
            file=sys.stderr,
        )
        return 1

    collector = GuiThreadCollector()
    loaded = context.settings.load()
    shell = Shell(context, loaded)
    instance.arguments_received.connect(shell.handle_arguments)
    shell.actions.quit_requested.connect(qt_app.quit)
    if getattr(context.args, "settings", False):
        shell.show_settings()
    shell.analytics.app_started()
    shell.identify_on_speech_server(loaded.settings.speech)
    if not shell.privacy_page.asked and shell.tray is not None:
        shell.tray.showMessage("Companion Stage", "Settings › Privacy asks whether you want to "
                               "share anonymous usage data. Nothing is sent unless you agree.")
    shell.start_stage()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: qt_app.quit())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(SIGNAL_POLL_MS)

    log.ui.info("Companion Stage shell is running (data folder %s)", context.paths.root)
    try:
        return qt_app.exec()
    finally:
        ticker.stop()
        shell.shutdown()
        collector.stop()
        instance.release()
        log.ui.info("Companion Stage shell stopped")
