"""Old settings layouts, brought forward before the file is read into dataclasses.

Each step takes the raw JSON object of one schema version to the next, in place, and
says what it changed; unknown keys are dropped by ``from_dict`` anyway, so a step only
has to carry values whose home moved. Steps never raise: the file is user data and a
half-understood old layout must still load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["migrate"]

Step = Callable[[dict[str, Any]], list[str]]


def _godot_path_to_own_section(data: dict[str, Any]) -> list[str]:
    """1 -> 2: ``stage.godot_path`` became ``godot.path``."""
    stage = data.get("stage")
    if not isinstance(stage, dict) or "godot_path" not in stage:
        return []
    old = stage.pop("godot_path")
    godot = data.get("godot")
    if not isinstance(godot, dict):
        godot = data["godot"] = {}
    if godot.get("path"):
        return [f"stage.godot_path {old!r} dropped: godot.path is already set"]
    godot["path"] = old
    return [f"stage.godot_path moved to godot.path ({old!r})"]


#: STEPS[n - 1] takes version n to n + 1.
STEPS: tuple[Step, ...] = (_godot_path_to_own_section,)


def migrate(data: dict[str, Any], target: int) -> list[str]:
    """Bring ``data`` from its ``schema_version`` (1 when absent) up to ``target``."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        version = 1
    changes: list[str] = []
    while version < target and version - 1 < len(STEPS):
        changes += STEPS[version - 1](data)
        version += 1
    return changes
