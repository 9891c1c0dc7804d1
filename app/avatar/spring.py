"""Spring-bone tuning shared by both VRM versions, so the twin tails sway the same in each."""

from __future__ import annotations

from typing import Any

__all__ = ["HEAD_COLLIDER_RADIUS", "JOINT_SETTINGS"]

#: Sphere on the head bone, centred on the head ellipsoid; a little inside the skin so the
#: tails (hit radius below) rest on the hair rather than float off it.
HEAD_COLLIDER_RADIUS = 0.18

#: Per-joint settings in VRM 1.0 names; the 0.x writer maps them onto its bone group.
JOINT_SETTINGS: dict[str, Any] = {
    "hitRadius": 0.04,
    "stiffness": 0.8,
    "gravityPower": 0.35,
    "gravityDir": [0.0, -1.0, 0.0],
    "dragForce": 0.35,
}
