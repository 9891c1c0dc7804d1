"""The façade the shell uses: start, select, expressions, state changes, stop."""

from __future__ import annotations

import queue

import pytest

from app.paths import DataPaths
from app.settings import SettingsStore
from app.stage.bridge import BridgeEvent, Message
from app.stage.protocol import Ping
from app.stage.runtime import Runtime
from app.stage.service import StageService
from app.stage.supervisor import StageState, StateChange
from tests.conftest import real_vrm_files

pytestmark = [pytest.mark.godot, pytest.mark.e2e]


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
