"""Fixtures that start the real Godot stage: its runtime, a supervisor, the default avatar."""

from __future__ import annotations

import importlib
import queue
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.paths import DataPaths
from app.settings.sections.godot import GodotSettings
from app.settings.sections.stage import StageSettings
from app.stage.apply import StageApplier
from app.stage.bridge import BridgeEvent
from app.stage.runtime import Runtime, find_runtime
from app.stage.supervisor import StageState, StageSupervisor
from tests.conftest import real_vrm_files


@pytest.fixture(scope="session")
def godot_runtime() -> Runtime:
    """The Godot the app would use (fetched runtime or COMPANION_STAGE_GODOT); never skipped."""
    return find_runtime(GodotSettings())


def default_avatars() -> list[Path]:
    """The built-in default avatars once app.avatar exists, else the first real fixture."""
    try:
        avatar = importlib.import_module("app.avatar")
    except ModuleNotFoundError:
        return real_vrm_files()[:1]
    return [avatar.default_avatar_path(v) for v in avatar.DEFAULT_AVATAR_VERSIONS]


class Stage:
    """A running headless stage with its applier and a queue of every bridge event."""

    def __init__(self, supervisor: StageSupervisor, applier: StageApplier) -> None:
        self.supervisor = supervisor
        self.applier = applier
        self.events: queue.Queue[BridgeEvent] = queue.Queue()
        supervisor.bridge.add_listener(self.events.put)


@pytest.fixture
def stage(godot_runtime: Runtime, data_dir: DataPaths) -> Iterator[Stage]:
    supervisor = StageSupervisor(
        settings=StageSettings(), logs_dir=data_dir.logs_dir, headless=True, runtime=godot_runtime
    )
    applier = StageApplier(supervisor.bridge, data_dir.stage_dir / "models")
    supervisor.add_ready_hook(applier.on_stage_ready)
    running = Stage(supervisor, applier)
    supervisor.start()
    try:
        assert (
            supervisor.wait_for(StageState.RUNNING, StageState.ERROR, timeout=30)
            is StageState.RUNNING
        ), supervisor.reason
        yield running
    finally:
        supervisor.stop()
