"""The Godot stage sidecar: its wire protocol, bridge, child process and scene-apply flow.

Nothing here imports Qt; the shell and the command line drive the same objects.
"""

from __future__ import annotations

__all__: list[str] = []
