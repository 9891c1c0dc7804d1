"""Executables that stand in for Godot in tests: real shell scripts the locator and the
supervisor run as they would run Godot (a version answer, or a wrapper around the real one)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

__all__ = ["script", "versioned_godot", "wrapped_godot"]


def script(path: Path, body: str) -> Path:
    """An executable ``/bin/sh`` script at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def versioned_godot(path: Path, version: str = "4.5.1.stable.custom") -> Path:
    """Answers ``--version`` (and anything else) with ``version``: enough for a check."""
    return script(path, f"echo {shlex.quote(version)}\n")


def wrapped_godot(path: Path, command: Sequence[str], notes: Path | None = None) -> Path:
    """Runs the real Godot ``command``; with ``notes``, first appends its arguments there."""
    note = f'echo "$*" >> {shlex.quote(str(notes))}\n' if notes is not None else ""
    return script(path, f'{note}exec {shlex.join(command)} "$@"\n')
