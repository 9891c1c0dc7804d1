"""Keeping the Godot stage alive: start, watch, restart with back-off, stop cleanly.

One long-lived thread owns the state machine and every child process it starts
(Linux's parent-death signal follows the spawning thread, so that thread must
outlive its children). Everything else talks to it through a queue; observers get
each state change through listener callbacks.

    stopped -> starting -> running -> stopping -> stopped
                  |           |
                  |           +-> restarting -> starting   (unexpected exit)
                  +-> error       (ready timeout, too many crashes, the stage's stage.fatal)

Stop escalates: stage.shutdown over the bridge, STOP_GRACE_S for Godot to quit by itself,
SIGTERM, STOP_GRACE_S more, SIGKILL. A stage that sends stage.fatal is ended the same way
(its bridge closed instead of stage.shutdown) and the state turns ``error`` with its message;
it is not restarted, because a fault it found at start-up would only be found again.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app import log
from app.errors import StageError
from app.settings.sections.godot import GodotSettings
from app.settings.sections.stage import StageSettings
from app.stage.bridge import BridgeEvent, Message, PeerConnected, PeerDisconnected, StageBridge
from app.stage.process import GodotProcess, LaunchOptions, OutputListener, window_args
from app.stage.protocol import StageFatal, StageReady, StageShutdown
from app.stage.runtime import Runtime, find_runtime

__all__ = [
    "CRASH_LIMIT",
    "CRASH_WINDOW_S",
    "STOP_GRACE_S",
    "StageState",
    "StageSupervisor",
    "StateChange",
]

CRASH_LIMIT: Final = 5
CRASH_WINDOW_S: Final = 60.0
STOP_GRACE_S: Final = 2.0
BACKOFF_FIRST_S: Final = 0.5
BACKOFF_MAX_S: Final = 8.0


class StageState(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    RESTARTING = "restarting"
    ERROR = "error"


@dataclass(frozen=True)
class StateChange:
    state: StageState
    previous: StageState
    #: Why: the error text (with Godot's last output lines) or the crash being recovered.
    reason: str = ""
    ready: StageReady | None = None


StateListener = Callable[[StateChange], None]
ReadyHook = Callable[[StageReady], None]


@dataclass(frozen=True)
class _Start:
    pass


@dataclass(frozen=True)
class _Stop:
    done: threading.Event


@dataclass(frozen=True)
class _Exited:
    process: GodotProcess
    code: int


_Command = _Start | _Stop | _Exited | PeerConnected | PeerDisconnected | Message
#: Envelope types the state machine acts on (the rest never wake its thread).
_STATE_TYPES: Final = frozenset({"stage.ready", "stage.fatal"})


class StageSupervisor:
    """Runs the stage child against one bridge, restarting it when it dies unasked."""

    def __init__(
        self,
        *,
        settings: StageSettings,
        godot: GodotSettings | None = None,  # None: find Godot automatically
        logs_dir: Path | None = None,
        headless: bool = False,
        remote_debug: str | None = None,
        rendering_driver: str | None = None,
        extra_user_args: Sequence[str] = (),
        runtime: Runtime | None = None,
        environ: Mapping[str, str] | None = None,
        bridge: StageBridge | None = None,
    ) -> None:
        self.settings = settings
        self.godot = godot or GodotSettings()
        self.bridge = bridge or StageBridge()
        self._runtime = runtime
        self._runtime_given = runtime is not None
        self._environ = environ
        self._logs_dir = logs_dir
        self._headless = headless
        self._remote_debug = remote_debug
        self._rendering_driver = rendering_driver
        self._extra_user_args = list(extra_user_args)
        self._state = StageState.STOPPED
        self._reason = ""
        self._ready: StageReady | None = None
        self._state_listeners: list[StateListener] = []
        self._ready_hooks: list[ReadyHook] = []
        self._output_listeners: list[OutputListener] = []
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._changed = threading.Condition()
        self._process: GodotProcess | None = None
        self._crashes: list[float] = []
        self._thread: threading.Thread | None = None
        self._last_exit: int | None = None
        self.bridge.add_listener(self._on_bridge_event)

    # --- observing -----------------------------------------------------------------------

    @property
    def state(self) -> StageState:
        return self._state

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def ready_info(self) -> StageReady | None:
        return self._ready

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def last_exit_code(self) -> int | None:
        """Exit code of the last Godot child that ended (None while none has)."""
        return self._last_exit

    def use_godot(self, godot: GodotSettings, checked: Runtime | None = None) -> None:
        """The next start (or restart) runs the Godot these settings name: ``checked`` when
        the caller has just checked it, else located again; a running stage keeps its
        Godot. A runtime handed in at construction (tests) is never dropped."""
        self.godot = godot
        if not self._runtime_given:
            self._runtime = checked

    def add_listener(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def add_ready_hook(self, hook: ReadyHook) -> None:
        """Called on the supervisor thread each time a (re)started stage is ready."""
        self._ready_hooks.append(hook)

    def add_output_listener(self, listener: OutputListener) -> None:
        """Godot's output, line by line (for a live view); applies from the next start."""
        self._output_listeners.append(listener)

    def wait_for(self, *states: StageState, timeout: float) -> StageState:
        """Block until the state is one of ``states``; raises StageError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._state not in states:
                left = deadline - time.monotonic()
                if left <= 0:
                    wanted = "/".join(s.value for s in states)
                    raise StageError(
                        f"the stage is {self._state.value}, not {wanted}, after {timeout:.0f} s"
                        + (f": {self._reason}" if self._reason else ""),
                        reason="stage-timeout",
                    )
                self._changed.wait(left)
            return self._state

    # --- commands ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the bridge and the stage (returns at once; watch the state)."""
        if self._thread is None:
            self.bridge.start()
            self._thread = threading.Thread(target=self._run, name="stage-supervisor", daemon=True)
            self._thread.start()
        self._commands.put(_Start())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the stage (shutdown, 2 s grace, terminate, kill) and close the bridge."""
        if self._thread is None:
            return
        done = threading.Event()
        self._commands.put(_Stop(done))
        done.wait(timeout)
        self._thread.join(timeout)
        self._thread = None
        self.bridge.close()

    def __enter__(self) -> StageSupervisor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the supervisor thread -----------------------------------------------------------

    def _run(self) -> None:
        ready_deadline: float | None = None
        restart_at: float | None = None
        while True:
            now = time.monotonic()
            timers = [t for t in (ready_deadline, restart_at) if t is not None]
            try:
                command = self._commands.get(
                    timeout=max(0.0, min(timers) - now) if timers else None
                )
            except queue.Empty:
                command = None
            now = time.monotonic()
            if command is None:
                if (
                    ready_deadline is not None
                    and now >= ready_deadline
                    and self._state is StageState.STARTING
                ):
                    ready_deadline = None
                    self._fail_ready_timeout()
                if restart_at is not None and now >= restart_at:
                    restart_at = None
                    if self._state is StageState.RESTARTING:
                        ready_deadline = self._launch()
                continue
            if isinstance(command, _Start):
                if self._state in (StageState.STOPPED, StageState.ERROR):
                    self._crashes.clear()
                    restart_at = None
                    ready_deadline = self._launch()
            elif isinstance(command, _Stop):
                self._shutdown()
                command.done.set()
                return
            elif isinstance(command, Message):
                if isinstance(command.envelope.payload, StageFatal):
                    if self._on_fatal(command.envelope.payload.message):
                        ready_deadline = restart_at = None
                elif (
                    isinstance(command.envelope.payload, StageReady)
                    and self._state is StageState.STARTING
                ):
                    ready_deadline = None
                    self._ready = command.envelope.payload
                    self._set(StageState.RUNNING, ready=self._ready)
                    for hook in list(self._ready_hooks):
                        try:
                            hook(self._ready)
                        except Exception:
                            log.stage.exception("a stage ready hook failed")
            elif isinstance(command, _Exited):
                if command.process is not self._process:
                    continue
                self._process = None
                self._last_exit = command.code
                restart_at = self._on_exit(command.code, command.process)
                if restart_at is not None:
                    ready_deadline = None

    def _on_bridge_event(self, event: BridgeEvent) -> None:
        # Only what the state machine acts on: waking this thread for every pong or log
        # line would cost the callers' round trips for nothing.
        if not isinstance(event, Message) or event.envelope.type in _STATE_TYPES:
            self._commands.put(event)

    def _launch(self) -> float | None:
        """Start a child; returns its ready deadline (None if it could not start)."""
        self._set(StageState.STARTING)
        try:
            runtime = self._runtime or find_runtime(self.godot, self._environ)
            self._runtime = runtime  # located once: restarts should not search again
            options = LaunchOptions(
                bridge_url=self.bridge.url,
                token=self.bridge.token,
                headless=self._headless,
                remote_debug=self._remote_debug,
                rendering_driver=self._rendering_driver,
                window=window_args(self.settings),
                extra_user_args=self._extra_user_args,
            )
            process = GodotProcess(
                runtime,
                options,
                logs_dir=self._logs_dir,
                listeners=self._output_listeners,
                environ=self._environ,
            )
        except StageError as exc:  # GodotRuntimeError is not a StageError: caught below
            self._set(StageState.ERROR, reason=exc.message)
            return None
        except Exception as exc:
            message = getattr(exc, "message", str(exc))
            self._set(StageState.ERROR, reason=message)
            return None
        self._process = process
        threading.Thread(
            target=self._watch, args=(process,), name="godot-watch", daemon=True
        ).start()
        return time.monotonic() + self.settings.ready_timeout_s

    def _watch(self, process: GodotProcess) -> None:
        self._commands.put(_Exited(process, process.wait()))

    def _on_exit(self, code: int, process: GodotProcess) -> float | None:
        """An exit we did not ask for: restart with back-off, or give up."""
        if self._state not in (StageState.STARTING, StageState.RUNNING):
            return None
        now = time.monotonic()
        self._crashes = [t for t in self._crashes if now - t < CRASH_WINDOW_S] + [now]
        tail = "\n".join(process.tail(12))
        if len(self._crashes) >= CRASH_LIMIT:
            self._set(
                StageState.ERROR,
                reason=(
                    f"Godot exited unexpectedly {len(self._crashes)} times within "
                    f"{CRASH_WINDOW_S:.0f} s (last exit code {code}); giving up. "
                    f"Last output:\n{tail}"
                ),
            )
            return None
        delay: float = min(BACKOFF_FIRST_S * 2.0 ** (len(self._crashes) - 1), BACKOFF_MAX_S)
        self._set(
            StageState.RESTARTING,
            reason=(f"Godot exited unexpectedly (exit code {code}); restarting in {delay:.1f} s"),
        )
        log.stage.warning("Godot exited with %s; last output:\n%s", code, tail)
        return now + delay

    def _on_fatal(self, message: str) -> bool:
        """The stage said it cannot go on: end it and stay in ``error`` (no restart loop)."""
        if self._state not in (StageState.STARTING, StageState.RUNNING, StageState.RESTARTING):
            return False  # already stopping, stopped or in error: nothing left to end
        process = self._process
        self._process = None
        if process is not None:
            # It waits for the bridge to close and then quits by itself (exit code 5).
            self.bridge.disconnect_peer(1000, "stage.fatal")
            self._end(process, steps=[None, process.terminate, process.kill])
        self._set(StageState.ERROR, reason=f"the stage reported a fatal error: {message}")
        return True

    def _fail_ready_timeout(self) -> None:
        process = self._process
        self._process = None
        tail = ""
        if process is not None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
            tail = "\n".join(process.tail(20))
        self._set(
            StageState.ERROR,
            reason=(
                f"Godot did not report stage.ready within {self.settings.ready_timeout_s:g} s. "
                f"Last output:\n{tail or '(none)'}"
            ),
        )

    def _shutdown(self) -> None:
        process = self._process
        self._process = None
        if process is None:
            if self._state is not StageState.STOPPED:
                self._set(StageState.STOPPED)
            return
        self._set(StageState.STOPPING)
        steps: list[Callable[[], None] | None] = [process.terminate, process.kill]
        try:
            self.bridge.send(StageShutdown())
            steps.insert(0, None)  # asked over the bridge: give it the grace to quit itself
        except StageError:
            # Not connected (e.g. stopped while still starting): nobody can ask it to quit,
            # so waiting the grace would only delay the terminate that has to come.
            log.stage.info("the stage is not connected; terminating Godot")
        self._end(process, steps=steps)
        self._set(StageState.STOPPED)

    def _end(self, process: GodotProcess, *, steps: list[Callable[[], None] | None]) -> None:
        """Run each step (None: only wait) and give Godot STOP_GRACE_S to exit after it."""
        for index, step in enumerate(steps):
            if step is not None:
                step()
            try:
                self._last_exit = process.wait(STOP_GRACE_S)
                return
            except subprocess.TimeoutExpired:
                if index + 1 < len(steps):
                    log.stage.warning(
                        "Godot did not quit within %g s; %s",
                        STOP_GRACE_S,
                        "terminating" if steps[index + 1] == process.terminate else "killing",
                    )
        log.stage.error("Godot (pid %s) did not end even when killed", process.pid)

    def _set(self, state: StageState, *, reason: str = "", ready: StageReady | None = None) -> None:
        previous = self._state
        with self._changed:
            self._state = state
            self._reason = reason
            self._changed.notify_all()
        if state is StageState.ERROR:
            log.stage.error("stage error: %s", reason)
        else:
            log.stage.info(
                "stage %s -> %s%s", previous.value, state.value, f" ({reason})" if reason else ""
            )
        change = StateChange(state, previous, reason, ready)
        for listener in list(self._state_listeners):
            try:
                listener(change)
            except Exception:
                log.stage.exception("a stage state listener failed")
