"""The Godot the stage runs on, as the stage needs it: a command and its environment.

Where Godot is found is the godot concern's business (``app.godot.locator``: setting,
env ``COMPANION_STAGE_GODOT``, the fetched runtime, PATH); the stage, the probe and
the renderers only depend on the small ``Runtime`` shape, so tests can hand in a
stand-in process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from app.godot.locator import locate_godot
from app.settings.sections.godot import GodotSettings

__all__ = ["Runtime", "SimpleRuntime", "find_runtime"]


class Runtime(Protocol):
    """What the stage needs of a located Godot: how to start it and with which env."""

    @property
    def command(self) -> list[str]: ...

    @property
    def env(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class SimpleRuntime:
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)


def find_runtime(
    settings: GodotSettings | None = None, environ: Mapping[str, str] | None = None
) -> Runtime:
    """The Godot to run (GodotRuntimeError ``godot-not-found`` lists where it looked)."""
    return locate_godot(
        settings if settings is not None else GodotSettings(),
        os.environ if environ is None else environ,
    )
