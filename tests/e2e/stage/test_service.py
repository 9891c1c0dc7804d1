"""The façade the shell uses: start, select, expressions, state changes, stop."""

from __future__ import annotations

import json
import os
import queue
import time
from pathlib import Path

import pytest

from app.avatar import default_avatar_path
from app.errors import GodotRuntimeError
from app.godot.locator import GODOT_ENV, save_godot_choice
from app.paths import DataPaths
from app.settings import SettingsStore
from app.stage.bridge import BridgeEvent, Message
from app.stage.protocol import Log, Ping
from app.stage.runtime import Runtime
from app.stage.service import StageService
from app.stage.supervisor import StageState, StateChange
from tests.conftest import real_vrm_files
from tests.e2e.stage.vrm_craft import without_vrm
from tests.godot_stand_ins import wrapped_godot

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


@pytest.mark.expected_log(r"^stage: expression: aa is not an expression of this avatar$")
def test_service_round_trip(godot_runtime: Runtime, data_dir: DataPaths) -> None:
    store = SettingsStore(data_dir.settings_file)
    service = StageService(data_dir, store, headless=True, runtime=godot_runtime)
    states: list[StageState] = []
    lines: list[str] = []
    frames: queue.Queue[BridgeEvent] = queue.Queue()
    service.add_state_listener(lambda change: states.append(change.state))
    service.add_output_listener(lambda stream, line: lines.append(line))
    service.add_bridge_listener(frames.put)
    with service:
        service.wait_until_running(30)
        result = service.apply(real_vrm_files()[0]).result(30)
        assert result.status == "applied"
        for weight in (0.0, 0.5, 1.0, 7.0):  # out-of-range weights are clamped, never refused
            service.set_expression("aa", weight)
        _, pong = service.bridge.request(Ping())  # the bridge stays usable directly
        assert pong.result(10).type == "pong"
    assert states == [
        StageState.STARTING,
        StageState.RUNNING,
        StageState.STOPPING,
        StageState.STOPPED,
    ]
    assert any("Godot Engine" in line for line in lines)
    # No frame the host sent was refused by the stage.
    errors = []
    while not frames.empty():
        event = frames.get()
        if isinstance(event, Message) and event.envelope.type == "error":
            errors.append(event.envelope)
    assert errors == []


@pytest.mark.expected_log(
    r"^no GPU here$",
    r"^Godot exited with 1; last output:\nno GPU here$",
    r"^stage error: Godot exited unexpectedly 5 times within 60 s \(last exit code 1\); "
    r"giving up\. Last output:\nno GPU here$",
)
def test_service_reports_a_stage_that_cannot_start(data_dir: DataPaths) -> None:
    from app.errors import StageError
    from app.stage.runtime import SimpleRuntime

    store = SettingsStore(data_dir.settings_file)
    service = StageService(
        data_dir,
        store,
        headless=True,
        runtime=SimpleRuntime(["sh", "-c", "echo no GPU here >&2; exit 1", "x"]),
    )
    pending = service.apply(real_vrm_files()[0])
    changes: list[StateChange] = []
    service.add_state_listener(changes.append)
    with service, pytest.raises(StageError) as exc:
        service.wait_until_running(30)
    assert exc.value.reason == "stage-failed" and "no GPU here" in exc.value.message
    with pytest.raises(StageError):
        pending.result(5)


def _expression_logs(frames: queue.Queue[BridgeEvent], count: int) -> list[Log]:
    """The next ``count`` log replies to avatar.expression (each answers one by ``re``)."""
    found: list[Log] = []
    deadline = time.monotonic() + 20
    while len(found) < count:
        event = frames.get(timeout=max(deadline - time.monotonic(), 0.01))
        payload = event.envelope.payload if isinstance(event, Message) else None
        if isinstance(payload, Log) and payload.message.startswith("expression: "):
            assert isinstance(event, Message) and event.envelope.re, "answers by re"
            found.append(payload)
    return found


@pytest.mark.expected_log(
    r"^stage: expression: no-such-expression is not an expression of this avatar$",
)
def test_set_expression_reaches_the_avatar(godot_runtime: Runtime, data_dir: DataPaths) -> None:
    """avatar.expression drives the shown avatar's blend shapes; the stage reads them back."""
    store = SettingsStore(data_dir.settings_file)
    service = StageService(
        data_dir,
        store,
        headless=True,
        runtime=godot_runtime,
        extra_user_args=("--trace-expressions",),
    )
    frames: queue.Queue[BridgeEvent] = queue.Queue()
    service.add_bridge_listener(frames.put)
    with service:
        service.wait_until_running(30)
        assert service.apply(default_avatar_path("1.0")).result(30).status == "applied"
        service.set_expression("aa", 0.0)
        service.set_expression("aa", 1.0)
        service.set_expression("a", 0.5)  # the VRM 0.x name reaches the same expression
        rest, full, half = _expression_logs(frames, 3)
        for name in ("no-such-expression", "no-such-expression"):
            service.set_expression(name, 1.0)
        service.set_expression("aa", 0.0)
        unknown, reset = _expression_logs(frames, 2)
    assert rest.level == full.level == "debug"
    values = {
        log.message.split(" values ")[0]: json.loads(log.message.split(" values ")[1])
        for log in (rest, full, half, reset)
    }
    assert values["expression: aa=0.000 -> aa"] == [0.0] * len(values["expression: aa=1.000 -> aa"])
    assert values["expression: aa=1.000 -> aa"] and all(
        v == 1.0 for v in values["expression: aa=1.000 -> aa"]
    )
    assert all(v == 0.5 for v in values["expression: a=0.500 -> aa"])
    # An unknown name is reported once (lip sync sends 30-60 a second), then stays quiet.
    assert unknown.level == "warning" and "no-such-expression" in unknown.message
    assert reset.message.startswith("expression: aa=0.000")


@pytest.mark.expected_log(
    r"^stage: plain refused \(not-vrm\): plain is a glTF file but has neither a VRM 0\.x "
    r"nor a VRM 1\.0 extension\.$",
    r"^the stage refused plain \(not-vrm\): plain is a glTF file but has neither a VRM 0\.x "
    r"nor a VRM 1\.0 extension\.$",
)
def test_a_refused_model_leaves_the_avatar_and_its_expressions(
    godot_runtime: Runtime, data_dir: DataPaths, tmp_path: Path
) -> None:
    """A plain glTF is refused (not-vrm); the avatar shown before still takes expressions."""
    avatar = default_avatar_path("1.0")
    plain = without_vrm(avatar, tmp_path / "plain.glb")
    store = SettingsStore(data_dir.settings_file)
    service = StageService(
        data_dir,
        store,
        headless=True,
        runtime=godot_runtime,
        extra_user_args=("--trace-expressions",),
    )
    frames: queue.Queue[BridgeEvent] = queue.Queue()
    service.add_bridge_listener(frames.put)
    with service:
        service.wait_until_running(30)
        assert service.apply(avatar).result(30).status == "applied"
        refused = service.apply(plain).result(30)
        service.set_expression("aa", 1.0)
        (traced,) = _expression_logs(frames, 1)
    assert refused.status == "error" and refused.error is not None
    assert refused.error.code == "not-vrm" and "plain" in refused.error.message
    assert traced.message.startswith("expression: aa=1.000 -> aa values [1")


def _noting_godot(folder: Path, runtime: Runtime) -> tuple[Path, Path]:
    """A Godot that notes each run's arguments in a file, then runs the real one."""
    notes = folder / "runs"
    return wrapped_godot(folder / "godot", runtime.command, notes), notes


def _runs(notes: Path, marker: str) -> int:
    """How often the Godot was run for the stage ("--bridge-url=") or checked ("--version")."""
    if not notes.exists():
        return 0
    return sum(marker in line for line in notes.read_text().splitlines())


def test_the_godot_path_setting_is_the_godot_the_stage_runs(
        godot_runtime: Runtime, data_dir: DataPaths, tmp_path: Path) -> None:
    first, first_runs = _noting_godot(tmp_path / "my godot", godot_runtime)
    second, second_runs = _noting_godot(tmp_path / "other godot", godot_runtime)
    store = SettingsStore(data_dir.settings_file)
    store.update(lambda s: setattr(s.godot, "path", str(first)))
    environ = {**os.environ, "PATH": "/usr/bin:/bin"}
    environ.pop(GODOT_ENV, None)  # the setting comes first anyway; keep the test plain
    service = StageService(data_dir, store, headless=True, environ=environ)
    with service:
        service.wait_until_running(30)
        assert service.apply(default_avatar_path()).result(30).status == "applied"
        assert (_runs(first_runs, "--version"), _runs(first_runs, "--bridge-url=")) == (1, 1)

        # Choosing another Godot while the stage runs: checked and saved now, used next start.
        with pytest.raises(GodotRuntimeError) as refused:
            service.use_godot(str(tmp_path / "missing" / "godot"))
        assert refused.value.reason == "godot-unusable"
        assert store.load().settings.godot.path == str(first)  # a refused choice saves nothing
        saved, runtime = service.use_godot(str(second))
        assert saved == str(second) and runtime is not None
        assert runtime.version.startswith("4.")
        assert store.load().settings.godot.path == str(second)
        assert _runs(second_runs, "--bridge-url=") == 0  # the running stage keeps its Godot
        service.stop()
        service.start()
        service.wait_until_running(30)
        assert _runs(second_runs, "--bridge-url=") == 1
        assert _runs(second_runs, "--version") == 1  # checked once: the start did not again

        # `companion-stage godot use` from outside while the shell runs: the next start follows.
        save_godot_choice(store, str(first))
        service.stop()
        service.start()
        service.wait_until_running(30)
    assert _runs(first_runs, "--bridge-url=") == 2 and _runs(second_runs, "--bridge-url=") == 1
