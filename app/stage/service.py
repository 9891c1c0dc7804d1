"""The stage as the shell and the CLI use it: one object to start, select, observe, stop.

It wires the supervisor (child process), the applier (latest selection wins, re-applied
after restarts) and the window memory together, so callers never juggle them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from app.errors import StageError
from app.godot.locator import GodotRuntime, save_godot_choice
from app.paths import DataPaths
from app.settings import SettingsStore
from app.settings.sections.godot import GodotSettings
from app.settings.sections.stage import StageSettings
from app.stage.apply import ApplyResult, StageApplier
from app.stage.bridge import Listener, StageBridge
from app.stage.process import OutputListener
from app.stage.protocol import AvatarExpression
from app.stage.remote_debug import resolve_remote_debug
from app.stage.runtime import Runtime
from app.stage.supervisor import StageState, StageSupervisor, StateChange, StateListener
from app.stage.window import WindowMemory

__all__ = ["StageService"]


class StageService:
    """Start/stop the stage, select models on it, set expressions, and watch its state."""

    def __init__(
        self,
        paths: DataPaths,
        store: SettingsStore,
        *,
        headless: bool = False,
        remote_debug_flag: str | None = None,
        settings: StageSettings | None = None,
        rendering_driver: str | None = None,
        extra_user_args: Sequence[str] = (),
        runtime: Runtime | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        self._store = store
        self._environ = environ
        saved = store.load().settings
        stage_settings = settings or saved.stage
        self.supervisor = StageSupervisor(
            settings=stage_settings,
            godot=saved.godot,
            logs_dir=paths.logs_dir,
            headless=headless,
            remote_debug=resolve_remote_debug(
                remote_debug_flag, environ, stage_settings.remote_debug
            ),
            rendering_driver=rendering_driver,
            extra_user_args=extra_user_args,
            runtime=runtime,
            environ=environ,
        )
        self.applier = StageApplier(self.supervisor.bridge, paths.stage_dir / "models")
        self.supervisor.add_ready_hook(self.applier.on_stage_ready)
        self.supervisor.add_listener(self._on_state)
        if settings is None:  # a one-off window (screenshots) must not move the user's
            WindowMemory(store, on_saved=self._window_saved).attach(self.supervisor.bridge)

    @property
    def godot_path(self) -> str:
        """The saved ``godot.path`` ("" = found automatically)."""
        return self._store.load().settings.godot.path

    def use_godot(self, value: str) -> tuple[str, GodotRuntime | None]:
        """Check and save the Godot to run (``godot.path``; "" finds one automatically); the
        stage's next start uses it. GodotRuntimeError ``godot-unusable`` changes nothing.
        Returns what was saved and the checked Godot, as ``save_godot_choice``."""
        saved, runtime = save_godot_choice(self._store, value, self._environ)
        self.supervisor.use_godot(GodotSettings(path=saved), runtime)
        return saved, runtime

    def _window_saved(self, stage: StageSettings) -> None:
        """Stop/Start and crash restarts reopen the window where the user left it."""
        self.supervisor.settings = dataclasses.replace(
            self.supervisor.settings,
            window_x=stage.window_x,
            window_y=stage.window_y,
            window_width=stage.window_width,
            window_height=stage.window_height,
        )

    @property
    def bridge(self) -> StageBridge:
        return self.supervisor.bridge

    @property
    def state(self) -> StageState:
        return self.supervisor.state

    def start(self) -> None:
        """Start the stage on the saved Godot, also when `godot use` changed it meanwhile."""
        saved = self._store.load().settings.godot
        if saved != self.supervisor.godot:
            self.supervisor.use_godot(saved)
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()

    def __enter__(self) -> StageService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until_running(self, timeout: float) -> None:
        """Block until the stage is ready; StageError with Godot's output if it fails."""
        state = self.supervisor.wait_for(StageState.RUNNING, StageState.ERROR, timeout=timeout)
        if state is StageState.ERROR:
            raise StageError(
                f"the stage did not start: {self.supervisor.reason}", reason="stage-failed"
            )

    def apply(
        self, source: Path, *, model_id: str | None = None, name: str = ""
    ) -> concurrent.futures.Future[ApplyResult]:
        """Show ``source``; also works before the stage is up (applied once it is ready)."""
        return self.applier.apply(source, model_id=model_id, name=name)

    def set_expression(self, name: str, weight: float) -> None:
        """Fire and forget (lip sync calls this 30-60 times a second); dropped when no stage."""
        # The stage may go away between the check and the send: nothing to do then.
        with contextlib.suppress(StageError):
            if self.bridge.connected:
                self.bridge.send(AvatarExpression(name, min(max(weight, 0.0), 1.0)))

    def add_state_listener(self, listener: StateListener) -> None:
        self.supervisor.add_listener(listener)

    def add_output_listener(self, listener: OutputListener) -> None:
        self.supervisor.add_output_listener(listener)

    def add_bridge_listener(self, listener: Listener) -> None:
        self.bridge.add_listener(listener)

    def _on_state(self, change: StateChange) -> None:
        if change.state in (StageState.ERROR, StageState.STOPPED):
            self.applier.fail_waiting(
                StageError(
                    ("the stage stopped with an error" if change.state is StageState.ERROR
                     else "the stage was stopped")
                    + (f": {change.reason}" if change.reason else ""),
                    reason="stage-" + change.state.value,
                )
            )
