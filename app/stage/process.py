"""Starting one Godot stage child and carrying its output to the logs and the UI.

The child gets the bridge URL on its command line but the token only in its
environment (argv is readable by every local user). Its stdout and stderr are read
line by line into ``log.godot`` (at the severity Godot gave each line: godot_output.py), a
rotating ``logs/godot.log`` and any listeners (the UI's live view), and the last lines are kept
for error reports.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from app import log
from app.errors import StageError
from app.settings.sections.stage import StageSettings
from app.stage.bridge import TOKEN_ENV
from app.stage.godot_output import LineClassifier
from app.stage.runtime import Runtime

__all__ = [
    "PROJECT_DIR",
    "TAIL_LINES",
    "GodotProcess",
    "LaunchOptions",
    "OutputListener",
    "build_argv",
    "window_args",
]

PROJECT_DIR: Final = Path(__file__).resolve().parents[2] / "engines" / "stage-godot"
TAIL_LINES: Final = 60
GODOT_LOG_BYTES: Final = 2 * 1024 * 1024
GODOT_LOG_COUNT: Final = 3
_PR_SET_PDEATHSIG: Final = 1
_PR_SET_TIMERSLACK: Final = 29
#: Timer slack of the Godot process, in ns (Linux's default is 50 µs): see _prepare_child.
STAGE_TIMER_SLACK_NS: Final = 1_000

OutputListener = Callable[[str, str], None]
"""Called with (stream name "stdout"|"stderr", line) on a reader thread."""


@dataclass(frozen=True)
class LaunchOptions:
    """Everything that shapes one Godot start, apart from the runtime itself."""

    bridge_url: str
    token: str
    headless: bool = False
    remote_debug: str | None = None
    rendering_driver: str | None = None
    project_dir: Path = PROJECT_DIR
    window: Sequence[str] = ()
    extra_user_args: Sequence[str] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)


def window_args(settings: StageSettings) -> list[str]:
    """User arguments that make the stage a companion window, from the stage settings."""
    args: list[str] = []
    if settings.borderless:
        args.append("--borderless")
    if settings.transparent:
        args.append("--transparent")
    if settings.always_on_top:
        args.append("--always-on-top")
    if settings.window_width > 0 and settings.window_height > 0:
        args.append(f"--size={settings.window_width}x{settings.window_height}")
    if settings.window_x >= 0 and settings.window_y >= 0:
        args.append(f"--position={settings.window_x},{settings.window_y}")
    return args


def build_argv(runtime: Runtime, options: LaunchOptions) -> list[str]:
    """Engine arguments first, then ``--`` and the stage's own arguments."""
    # The stage makes no sound (speech plays in the host): the dummy driver saves start-up time.
    argv = [*runtime.command, "--path", str(options.project_dir), "--audio-driver", "Dummy"]
    if options.headless:
        argv.append("--headless")
    if options.rendering_driver:
        argv += ["--rendering-driver", options.rendering_driver]
    if options.remote_debug:
        argv += ["--remote-debug", options.remote_debug]
    argv += ["--", f"--bridge-url={options.bridge_url}"]
    if not options.headless:
        argv += list(options.window)
    argv += list(options.extra_user_args)
    return argv


class GodotProcess:
    """One running Godot child; ``wait``/``terminate``/``kill`` act on it alone."""

    def __init__(
        self,
        runtime: Runtime,
        options: LaunchOptions,
        *,
        logs_dir: Path | None = None,
        listeners: Sequence[OutputListener] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = build_argv(runtime, options)
        env = dict(os.environ if environ is None else environ)
        env.update(runtime.env)
        env.update(options.extra_env)
        env[TOKEN_ENV] = options.token
        self._listeners = list(listeners)
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._tail_lock = threading.Lock()
        self._file = _godot_log_handler(logs_dir) if logs_dir is not None else None
        log.stage.info("starting Godot: %s", " ".join(self.argv))
        try:
            self._popen = subprocess.Popen(
                self.argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=str(options.project_dir),
                preexec_fn=_prepare_child if sys.platform.startswith("linux") else None,
            )
        except OSError as exc:
            raise StageError(
                f"cannot start Godot ({self.argv[0]}): {exc}", reason="godot-start-failed"
            ) from exc
        self._readers = [
            threading.Thread(
                target=self._pump, args=(name, stream), name=f"godot-{name}", daemon=True
            )
            for name, stream in (("stdout", self._popen.stdout), ("stderr", self._popen.stderr))
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit and for the output to be fully read; raises TimeoutExpired."""
        code = self._popen.wait(timeout)
        for reader in self._readers:
            reader.join(timeout=2)
        if self._file is not None:
            self._file.close()
        return code

    def terminate(self) -> None:
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self._popen.poll() is None:
            self._popen.kill()

    def tail(self, lines: int = 20) -> list[str]:
        with self._tail_lock:
            return list(self._tail)[-lines:]

    def _pump(self, name: str, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        levels = LineClassifier(name)
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    continue
                level = levels.level(line)
                with self._tail_lock:
                    self._tail.append(line)
                log.godot.log(level, "%s", line)
                if self._file is not None:
                    self._file.handle(
                        log.godot.makeRecord(
                            log.godot.name, level, __file__, 0, "%s %s", (name, line), None
                        )
                    )
                for listener in self._listeners:
                    try:
                        listener(name, line)
                    except Exception:
                        log.stage.exception("a Godot output listener failed")


def _godot_log_handler(logs_dir: Path) -> logging.Handler:
    logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        logs_dir / "godot.log",
        maxBytes=GODOT_LOG_BYTES,
        backupCount=GODOT_LOG_COUNT,
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    return handler


def _prepare_child() -> None:
    """In the child before exec (Linux): tie it to its parent, and sharpen its sleeps.

    PDEATHSIG asks Linux to SIGTERM Godot when its parent thread dies: the second line
    of defence against orphans (the first is that the stage quits as soon as its bridge
    closes). It follows the *thread* that forked, so the supervisor spawns from its own
    long-lived thread.

    The timer slack (kept across exec, inherited by Godot's threads) lets the bridge's
    poll thread, which sleeps 20 µs between polls while traffic flows, wake after ~25 µs
    instead of ~75 µs: that sleep was the largest share of a bridge round trip.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    libc.prctl(_PR_SET_TIMERSLACK, STAGE_TIMER_SLACK_NS, 0, 0, 0)
