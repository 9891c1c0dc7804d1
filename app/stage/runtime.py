"""Finding the Godot runtime for the stage, through the godot concern's locator.

The locator (``app.godot.locator``) owns the search order; until it is installed this
falls back to the developer override ``COMPANION_STAGE_GODOT`` so the stage can run.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from app.errors import GodotRuntimeError
from app.settings.sections.stage import StageSettings

__all__ = ["GODOT_ENV", "Runtime", "SimpleRuntime", "find_runtime"]

GODOT_ENV: Final = "COMPANION_STAGE_GODOT"


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


def find_runtime(settings: StageSettings, environ: Mapping[str, str] | None = None) -> Runtime:
    """The Godot to run: the locator's answer, or the env override while it is absent."""
    environ = os.environ if environ is None else environ
    try:
        locator = importlib.import_module("app.godot.locator")
    except ModuleNotFoundError as exc:
        if exc.name not in {"app.godot", "app.godot.locator"}:
            raise
    else:
        runtime: Runtime = locator.locate_godot(settings, environ)
        return runtime
    for candidate in (settings.godot_path, environ.get(GODOT_ENV, "")):
        if candidate and (shutil.which(candidate) or os.access(candidate, os.X_OK)):
            return SimpleRuntime([candidate])
    raise GodotRuntimeError(
        f"no Godot runtime found: setting stage.godot_path is {settings.godot_path!r}, "
        f"env {GODOT_ENV} is {environ.get(GODOT_ENV, '')!r}; run `companion-stage godot fetch` "
        f"or set {GODOT_ENV} to a Godot 4 executable",
        reason="godot-not-found",
    )
