"""The supervisor keeps the real Godot alive, restarts it, gives up, and leaves no orphan."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.paths import DataPaths
from app.settings.sections.stage import StageSettings
from app.stage.bridge import Message
from app.stage.protocol import SceneApplied
from app.stage.runtime import Runtime, SimpleRuntime
from app.stage.supervisor import CRASH_LIMIT, StageState, StageSupervisor, StateChange
from tests.conftest import REPO_ROOT, real_vrm_files
from tests.e2e.stage.conftest import Stage

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.expected_log(r"^Godot exited with -9; last output:\n")
def test_kill_9_restarts_and_reapplies(stage: Stage) -> None:
    changes: queue.Queue[StateChange] = queue.Queue()
    stage.supervisor.add_listener(changes.put)
    path = real_vrm_files()[0]
    first = stage.applier.apply(path).result(60)
    assert first.status == "applied"
    pid = stage.supervisor.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)

    seen = [changes.get(timeout=15).state for _ in range(3)]
    assert seen == [StageState.RESTARTING, StageState.STARTING, StageState.RUNNING]
    assert stage.supervisor.pid not in (None, pid)
    # Once ready, the current avatar is applied again without anyone asking.
    deadline = time.monotonic() + 30
    while True:
        event = stage.events.get(timeout=max(0.1, deadline - time.monotonic()))
        if (
            isinstance(event, Message)
            and isinstance(event.envelope.payload, SceneApplied)
            and event.envelope.re != first.request_id
        ):
            assert event.envelope.payload.sha256 == first.applied.sha256  # type: ignore[union-attr]
            break
    assert stage.applier.shown is not None


@pytest.mark.expected_log(r"^Godot exited with 0; last output:\n")
def test_godot_quits_when_its_bridge_closes(stage: Stage) -> None:
    pid = stage.supervisor.pid
    assert pid is not None
    stage.supervisor.bridge.disconnect_peer()
    assert wait_dead(pid, 10)


def test_stop_asks_godot_to_shut_down(stage: Stage) -> None:
    pid = stage.supervisor.pid
    assert pid is not None
    stage.supervisor.stop()
    assert stage.supervisor.state is StageState.STOPPED
    assert stage.supervisor.last_exit_code == 0  # quit on stage.shutdown, not SIGTERM/SIGKILL
    assert not alive(pid)


def test_no_orphan_when_the_shell_is_killed(godot_runtime: Runtime, tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys, time
        from app.settings.sections.stage import StageSettings
        from app.stage.supervisor import StageState, StageSupervisor
        supervisor = StageSupervisor(settings=StageSettings(), headless=True)
        supervisor.start()
        supervisor.wait_for(StageState.RUNNING, timeout=30)
        print(supervisor.pid, flush=True)
        time.sleep(600)
    """)
    # ``with``: the pipe to the shell is closed (and the shell reaped) however the test ends.
    with subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as shell:
        try:
            assert shell.stdout is not None
            pid = int(shell.stdout.readline())
            assert alive(pid)
            shell.kill()
            shell.wait(10)
            assert wait_dead(pid, 10), "Godot outlived the killed shell"
        finally:
            shell.kill()


def test_child_dies_with_the_shell_even_without_a_bridge(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG alone: a child that never connects still goes when the shell dies."""
    script = textwrap.dedent("""
        import time
        from app.settings.sections.stage import StageSettings
        from app.stage.runtime import SimpleRuntime
        from app.stage.supervisor import StageSupervisor
        runtime = SimpleRuntime(["sh", "-c", "echo $$; exec sleep 600", "stage"])
        supervisor = StageSupervisor(settings=StageSettings(ready_timeout_s=600), headless=True,
                                     runtime=runtime)
        supervisor.add_output_listener(lambda stream, line: print(line, flush=True))
        supervisor.start()
        time.sleep(600)
    """)
    # ``with``: the pipe to the shell is closed (and the shell reaped) however the test ends.
    with subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as shell:
        try:
            assert shell.stdout is not None
            pid = int(shell.stdout.readline())
            assert alive(pid)
            shell.kill()
            shell.wait(10)
            assert wait_dead(pid, 10), "the child outlived the killed shell"
        finally:
            shell.kill()


@pytest.mark.expected_log(
    r"^stage error: Godot did not report stage\.ready within 1 s\. "
    r"Last output:\nwarming up the stage$",
)
def test_ready_timeout_is_an_error_with_the_output_tail(data_dir: DataPaths) -> None:
    never_ready = SimpleRuntime(["sh", "-c", "echo warming up the stage; exec sleep 60", "stage"])
    supervisor = StageSupervisor(
        settings=StageSettings(ready_timeout_s=1.0),
        headless=True,
        runtime=never_ready,
        logs_dir=data_dir.logs_dir,
    )
    with supervisor:
        assert supervisor.wait_for(StageState.ERROR, timeout=15) is StageState.ERROR
        assert "did not report stage.ready within 1 s" in supervisor.reason
        assert "warming up the stage" in supervisor.reason
        assert supervisor.pid is None


@pytest.mark.expected_log(
    r"^renderer exploded$",
    r"^Godot exited with 3; last output:\nrenderer exploded$",
    r"^stage error: Godot exited unexpectedly 5 times within 60 s \(last exit code 3\); "
    r"giving up\. Last output:\nrenderer exploded$",
)
def test_crash_loop_gives_up_with_the_reason(data_dir: DataPaths) -> None:
    crashing = SimpleRuntime(["sh", "-c", "echo renderer exploded >&2; exit 3", "stage"])
    changes: list[StateChange] = []
    supervisor = StageSupervisor(
        settings=StageSettings(), headless=True, runtime=crashing, logs_dir=data_dir.logs_dir
    )
    supervisor.add_listener(changes.append)
    with supervisor:
        assert supervisor.wait_for(StageState.ERROR, timeout=30) is StageState.ERROR
        reason = supervisor.reason
    restarts = [c for c in changes if c.state is StageState.RESTARTING]
    assert len(restarts) == CRASH_LIMIT - 1
    assert f"{CRASH_LIMIT} times" in reason and "exit code 3" in reason
    assert "renderer exploded" in reason
    # Back-off grows: each restart waits longer than the one before.
    delays = [float(c.reason.rsplit("in ", 1)[1].split(" s")[0]) for c in restarts]
    assert delays == sorted(delays) and delays[-1] > delays[0]


@pytest.mark.expected_log(
    r"^stage error: cannot start Godot \(\S+/no-godot-here\): "
    r"\[Errno 2\] No such file or directory: '\S+/no-godot-here'$",
)
def test_missing_runtime_is_an_error_state(data_dir: DataPaths) -> None:
    supervisor = StageSupervisor(
        settings=StageSettings(),
        headless=True,
        runtime=SimpleRuntime([str(data_dir.root / "no-godot-here")]),
    )
    with supervisor:
        assert supervisor.wait_for(StageState.ERROR, timeout=10) is StageState.ERROR
        assert "cannot start Godot" in supervisor.reason


FATAL_VRM = (
    r"the VRM glTF extension is not registered with Godot's GLTFDocument \(VRM unsupported\), "
    r"so no VRM file could be imported"
)


@pytest.mark.expected_log(
    rf"^stage: fatal: {FATAL_VRM}$",
    rf"^stage error: the stage reported a fatal error: {FATAL_VRM}$",
)
def test_stage_fatal_is_an_error_state_without_restarts(
    godot_runtime: Runtime, data_dir: DataPaths
) -> None:
    """The real stage finds its VRM extension missing at start-up and says stage.fatal."""
    changes: list[StateChange] = []
    supervisor = StageSupervisor(
        settings=StageSettings(),
        headless=True,
        runtime=godot_runtime,
        logs_dir=data_dir.logs_dir,
        extra_user_args=["--debug-break-vrm-extension"],
    )
    supervisor.add_listener(changes.append)
    with supervisor:
        assert supervisor.wait_for(StageState.ERROR, timeout=30) is StageState.ERROR
        assert supervisor.reason == (
            "the stage reported a fatal error: the VRM glTF extension is not registered with "
            "Godot's GLTFDocument (VRM unsupported), so no VRM file could be imported"
        )
        # It quit by itself once the host closed its bridge (not SIGTERM/SIGKILL), and no
        # Godot is left; a restart would come after 0.5 s back-off: none comes in 3 s.
        assert supervisor.last_exit_code == 5
        assert supervisor.pid is None
        time.sleep(3)
        assert [c.state for c in changes] == [StageState.STARTING, StageState.ERROR]
        assert supervisor.state is StageState.ERROR
    assert "stage: fatal: the VRM glTF extension" in (data_dir.logs_dir / "godot.log").read_text()


def processes_naming(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (orphan check)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def stop_timed(
    supervisor: StageSupervisor, caplog: pytest.LogCaptureFixture
) -> tuple[float, list[StageState], list[tuple[float, str]]]:
    """Stop; returns how long it took, the states it went through, and each escalation step
    the supervisor logged with its time since the stop began."""
    seen: list[StageState] = []
    supervisor.add_listener(lambda change: seen.append(change.state))
    started = time.time()
    supervisor.stop()
    took = time.time() - started
    steps = [
        (record.created - started, record.getMessage())
        for record in caplog.records
        if record.created >= started and record.getMessage().startswith("Godot did not quit")
    ]
    return took, seen, steps


def _running_deaf_to_shutdown(
    runtime: Runtime, data_dir: DataPaths
) -> tuple[StageSupervisor, int]:
    """A running stage that logs stage.shutdown and ignores it, and its pid."""
    supervisor = StageSupervisor(
        settings=StageSettings(),
        headless=True,
        runtime=runtime,
        logs_dir=data_dir.logs_dir,
        extra_user_args=["--debug-ignore-shutdown"],
    )
    supervisor.start()
    assert supervisor.wait_for(StageState.RUNNING, StageState.ERROR, timeout=30) is (
        StageState.RUNNING
    ), supervisor.reason
    pid = supervisor.pid
    assert pid is not None
    return supervisor, pid


@pytest.mark.expected_log(r"^Godot did not quit within 2 s; terminating$")
def test_stop_terminates_a_stage_that_ignores_shutdown(
    godot_runtime: Runtime, data_dir: DataPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """stage.shutdown, 2 s grace, then SIGTERM, which the real Godot obeys."""
    supervisor, pid = _running_deaf_to_shutdown(godot_runtime, data_dir)
    url = supervisor.bridge.url
    took, seen, steps = stop_timed(supervisor, caplog)
    assert supervisor.last_exit_code == -signal.SIGTERM
    assert [message for _, message in steps] == ["Godot did not quit within 2 s; terminating"]
    assert 2.0 <= steps[0][0] < 2.8, steps  # the grace after stage.shutdown
    assert steps[0][0] <= took < steps[0][0] + 1.0, took  # SIGTERM ended it at once
    assert seen == [StageState.STOPPING, StageState.STOPPED]
    assert not alive(pid)
    assert processes_naming(url) == []
    assert "stage.shutdown ignored (--debug-ignore-shutdown)" in (
        data_dir.logs_dir / "godot.log"
    ).read_text()


@pytest.mark.expected_log(
    r"^Godot did not quit within 2 s; terminating$", r"^Godot did not quit within 2 s; killing$"
)
def test_stop_kills_a_stage_that_ignores_shutdown_and_sigterm(
    godot_runtime: Runtime, data_dir: DataPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole escalation: shutdown, 2 s, SIGTERM (ignored), 2 s, SIGKILL; no orphan left."""
    # The real Godot, started with SIGTERM ignored (an ignored signal stays ignored across exec).
    deaf = SimpleRuntime(
        ["sh", "-c", 'trap "" TERM; exec "$@"', "deaf-godot", *godot_runtime.command],
        dict(godot_runtime.env),
    )
    supervisor, pid = _running_deaf_to_shutdown(deaf, data_dir)
    with open(f"/proc/{pid}/status") as status:  # the stage itself, SIGTERM (bit 15) ignored
        ignored = next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn:"))
    assert ignored & (1 << (signal.SIGTERM - 1))
    url = supervisor.bridge.url
    took, seen, steps = stop_timed(supervisor, caplog)
    assert supervisor.last_exit_code == -signal.SIGKILL
    assert [message for _, message in steps] == [
        "Godot did not quit within 2 s; terminating",
        "Godot did not quit within 2 s; killing",
    ]
    assert 2.0 <= steps[0][0] < 2.8, steps  # the grace after stage.shutdown
    assert 2.0 <= steps[1][0] - steps[0][0] < 2.8, steps  # the grace after SIGTERM
    assert steps[1][0] <= took < steps[1][0] + 1.0, took  # SIGKILL ended it at once
    assert seen == [StageState.STOPPING, StageState.STOPPED]
    assert not alive(pid)
    assert processes_naming(url) == []
