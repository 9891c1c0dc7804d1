"""The stage as the Qt shell sees it: StageService events turned into GUI-thread signals.

StageService calls its listeners from its own threads; widgets may only be touched
from the GUI thread, so every event crosses over as a queued Qt signal here. The
shell's requests (select a model, toggle the stage) arrive as plain method calls and
never block: applying returns a future whose answer comes back as a signal.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app import log
from app.analytics import Analytics, AvatarApplied
from app.errors import CompanionError
from app.models.library import ModelLibrary
from app.stage.apply import ApplyResult
from app.stage.service import StageService
from app.stage.supervisor import StageState, StateChange

__all__ = ["ApplyOutcome", "GodotChoice", "StageLink"]


@dataclass(frozen=True)
class GodotChoice:
    """The answer to choosing a Godot: saved (``path``, and ``text`` to show) or refused
    (``text`` says why)."""

    ok: bool
    text: str
    reason: str = ""
    path: str = ""


class ApplyOutcome:
    """What the page shows about the last selection: ok, a short line, and the reason."""

    def __init__(self, ok: bool, summary: str, reason: str = "") -> None:
        self.ok = ok
        self.summary = summary
        self.reason = reason


class StageLink(QObject):
    """Owns the shell's StageService for the lifetime of the app."""

    state_changed = Signal(str, str)  # state value, reason
    output_line = Signal(str, str)  # stream (stdout/stderr), line
    apply_started = Signal(str)  # model title
    apply_finished = Signal(object)  # ApplyOutcome
    godot_chosen = Signal(object)  # GodotChoice

    def __init__(self, service: StageService, library: ModelLibrary, analytics: Analytics,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.library = library
        self.analytics = analytics
        service.add_state_listener(self._on_state)
        service.add_output_listener(self.output_line.emit)
        self.godot_chosen.connect(self._after_godot_choice)

    @property
    def state(self) -> StageState:
        return self.service.state

    def start(self) -> None:
        if self.service.state in (StageState.STOPPED, StageState.ERROR):
            self.service.start()

    def stop(self) -> None:
        self.service.stop()

    def toggle(self) -> None:
        """The toggle-stage shortcut and the tray: show a stopped stage, hide a shown one."""
        if self.service.state in (StageState.STOPPED, StageState.ERROR):
            self.service.start()
        else:
            self.service.stop()

    def select(self, model_id: str) -> None:
        """Show the library model ``model_id`` ("" = built-in default) on the stage."""
        try:
            entry = self.library.get(model_id) if model_id else self.library.list()[0]
        except CompanionError as exc:
            self.apply_finished.emit(ApplyOutcome(False, exc.message, exc.reason))
            return
        self.apply_started.emit(entry.title)
        try:
            future = self.service.apply(Path(entry.path), model_id=entry.id, name=entry.title)
        except CompanionError as exc:
            self.apply_finished.emit(_failure(entry.title, exc))
            return
        future.add_done_callback(lambda done: self._answered(done, entry.title))

    def choose_godot(self, value: str) -> None:
        """Check and save the Godot to run ("" = find one automatically); never blocks.

        The check runs Godot's ``--version`` (up to seconds on a cold disk), so it runs on
        its own thread; the answer comes back as ``godot_chosen``.
        """
        def run() -> None:
            try:
                saved, runtime = self.service.use_godot(value)
            except CompanionError as exc:
                choice = GodotChoice(False, exc.message, exc.reason)
            except Exception as exc:  # a bug must still reach the user
                log.stage.exception("choosing Godot %r failed", value)
                choice = GodotChoice(False, str(exc), "internal-error")
            else:
                choice = GodotChoice(True, describe_godot(
                    saved, runtime.version if runtime else ""), path=saved)
            with contextlib.suppress(RuntimeError):  # the shell is already gone
                self.godot_chosen.emit(choice)

        threading.Thread(target=run, name="godot-check", daemon=True).start()

    def _after_godot_choice(self, choice: GodotChoice) -> None:
        """A stage that stopped with an error (usually: no Godot) tries again with the new one;
        a running stage keeps its Godot until the next start."""
        if choice.ok and self.service.state is StageState.ERROR:
            self.service.start()

    def set_expression(self, name: str, weight: float) -> None:
        """Thread-safe (the speech playback thread calls it for lip sync)."""
        self.service.set_expression(name, weight)

    def _answered(self, done: concurrent.futures.Future[ApplyResult], title: str) -> None:
        try:
            result = done.result()
        except CompanionError as exc:
            outcome = _failure(title, exc)
        except Exception as exc:  # a bug must still reach the user, not vanish in a thread
            log.stage.exception("applying %s failed", title)
            outcome = ApplyOutcome(False, f"{title}: {exc}", "internal-error")
        else:
            outcome = self._describe(result, title)
        with contextlib.suppress(RuntimeError):  # the shell is already gone
            self.apply_finished.emit(outcome)

    def _describe(self, result: ApplyResult, title: str) -> ApplyOutcome:
        if result.status == "superseded":
            return ApplyOutcome(True, f"{title}: replaced by a newer selection")
        if result.error is not None:
            self.analytics.capture(AvatarApplied(import_ms=0, ok=False, reason=result.error.code))
            return ApplyOutcome(False, f"{title}: {result.error.message}", result.error.code)
        applied = result.applied
        if applied is None:  # "applied"/"unchanged" always carry the stage's answer
            return ApplyOutcome(True, f"{title} is on the stage")
        import_ms, version = applied.importMs, applied.vrmVersion
        self.analytics.capture(AvatarApplied(import_ms=round(import_ms), ok=True))
        if result.status == "unchanged":
            return ApplyOutcome(True, f"{title} is on the stage (VRM {version})")
        return ApplyOutcome(True, f"{title} is on the stage (VRM {version}, imported in "
                                  f"{import_ms:.0f} ms)")

    def _on_state(self, change: StateChange) -> None:
        with contextlib.suppress(RuntimeError):
            self.state_changed.emit(change.state.value, change.reason)


def describe_godot(path: str, version: str = "") -> str:
    """One line for the Stage page: which Godot the stage is told to run."""
    if not path:
        return "found automatically (fetched runtime, then godot4/godot on PATH)"
    return f"{path} (Godot {version})" if version else path


def _failure(title: str, exc: CompanionError) -> ApplyOutcome:
    """A failed apply; when the stage itself is down, say so in a line, not its whole story.

    The supervisor's reason (for a missing Godot, every place it looked) is already on
    the Stage page; repeating it under the model read "the stage is error: …" twice over.
    """
    if exc.reason == "stage-error":
        return ApplyOutcome(False, f"{title} is not shown: the stage could not start "
                                   "(Settings › Stage says why)", exc.reason)
    if exc.reason == "stage-stopped":
        return ApplyOutcome(False, f"{title} is not shown: the stage is stopped", exc.reason)
    return ApplyOutcome(False, f"{title}: {exc.message}", exc.reason)
