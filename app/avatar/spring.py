"""Spring-bone tuning and colliders shared by both VRM versions, so the twin tails sway alike.

Offsets are bone-local in the canonical frame; since every bone has an identity rest
rotation that is also the world offset from the bone's head. VRM 1.0 gets a sphere on the
head and capsules on the chest and upper arms; VRM 0.x, which only knows spheres, gets each
capsule as a short row of spheres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.avatar.geometry import Vec3, add, scale, sub
from app.avatar.rig import BONES, HEAD_CENTER, bone_index

__all__ = ["COLLIDERS", "COLLIDER_GROUPS", "JOINT_SETTINGS", "Collider"]


@dataclass(frozen=True)
class Collider:
    bone: str
    offset: Vec3
    radius: float
    tail: Vec3 | None = None  # a capsule from offset to tail; a sphere when None

    def spheres(self, count: int = 3) -> list[Vec3]:
        """Centres of ``count`` spheres along the capsule (one for a sphere)."""
        if self.tail is None:
            return [self.offset]
        step = sub(self.tail, self.offset)
        return [add(self.offset, scale(step, i / (count - 1))) for i in range(count)]


_HEAD = BONES[bone_index("Head")].head

COLLIDERS: tuple[Collider, ...] = (
    # a little inside the skin, so the tails (hit radius below) rest on the hair
    Collider("Head", sub(HEAD_CENTER, _HEAD), 0.18),
    Collider("UpperChest", (-0.09, 0.03, 0.0), 0.075, tail=(0.09, 0.03, 0.0)),
    Collider("LeftUpperArm", (0.0, 0.0, 0.0), 0.035, tail=(0.15, 0.0, 0.0)),
    Collider("RightUpperArm", (0.0, 0.0, 0.0), 0.035, tail=(-0.15, 0.0, 0.0)),
)

#: Named groups of indices into COLLIDERS; every hair spring collides with all of them.
COLLIDER_GROUPS: dict[str, tuple[int, ...]] = {"Head": (0,), "Body": (1, 2, 3)}

#: Per-joint settings in VRM 1.0 names; the 0.x writer maps them onto its bone group.
JOINT_SETTINGS: dict[str, Any] = {
    "hitRadius": 0.04,
    "stiffness": 0.8,
    "gravityPower": 0.35,
    "gravityDir": [0.0, -1.0, 0.0],
    "dragForce": 0.35,
}
