"""The default avatar's skeleton: VRM humanoid bones plus two twin-tail hair chains.

Positions are world-space in the canonical frame (VRM 1.0: +Y up, the figure faces +Z, its
left hand is on +X). Every bone has an identity rotation, as VRM 1.0 asks of a rest T-pose,
so inverse bind matrices are plain translations. Skin weights come from the distance of a
vertex to each candidate bone's segment (head to tail), keeping the two nearest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.avatar.geometry import Vec3, dot, length, scale, sub

__all__ = [
    "BONES",
    "HAIR_CHAINS",
    "HEAD_CENTER",
    "HEAD_RADII",
    "Bone",
    "bone_index",
    "mirrored",
    "skin_weights",
]

#: The head ellipsoid the face decals and the hair are fitted to.
HEAD_CENTER: Vec3 = (0.0, 1.03, 0.0)
HEAD_RADII: Vec3 = (0.205, 0.195, 0.185)


@dataclass(frozen=True)
class Bone:
    name: str  # glTF node name
    parent: str | None
    head: Vec3  # world position of the joint
    tail: Vec3  # where the bone's influence segment ends
    humanoid: str | None  # VRM humanoid bone name (same in 0.x and 1.0 for these bones)


def _side(sign: float, name: str, human: str) -> tuple[str, str]:
    prefix = "Left" if sign > 0 else "Right"
    hprefix = "left" if sign > 0 else "right"
    return prefix + name, hprefix + human


def _limbs() -> list[Bone]:
    bones: list[Bone] = []
    for s in (1.0, -1.0):
        def n(name: str, human: str, sign: float = s) -> tuple[str, str]:
            return _side(sign, name, human)

        shoulder, h_shoulder = n("Shoulder", "Shoulder")
        upper, h_upper = n("UpperArm", "UpperArm")
        lower, h_lower = n("LowerArm", "LowerArm")
        hand, h_hand = n("Hand", "Hand")
        bones += [
            Bone(shoulder, "UpperChest", (0.03 * s, 0.765, 0.0), (0.105 * s, 0.765, 0.0),
                 h_shoulder),
            Bone(upper, shoulder, (0.105 * s, 0.765, 0.0), (0.255 * s, 0.765, 0.0), h_upper),
            Bone(lower, upper, (0.255 * s, 0.765, 0.0), (0.395 * s, 0.765, 0.0), h_lower),
            Bone(hand, lower, (0.395 * s, 0.765, 0.0), (0.455 * s, 0.765, 0.0), h_hand),
        ]
        uleg, h_uleg = n("UpperLeg", "UpperLeg")
        lleg, h_lleg = n("LowerLeg", "LowerLeg")
        foot, h_foot = n("Foot", "Foot")
        toes, h_toes = n("Toes", "Toes")
        bones += [
            Bone(uleg, "Hips", (0.065 * s, 0.47, 0.0), (0.065 * s, 0.27, 0.0), h_uleg),
            Bone(lleg, uleg, (0.065 * s, 0.27, 0.0), (0.065 * s, 0.075, 0.0), h_lleg),
            Bone(foot, lleg, (0.065 * s, 0.075, 0.0), (0.065 * s, 0.025, 0.07), h_foot),
            Bone(toes, foot, (0.065 * s, 0.025, 0.07), (0.065 * s, 0.025, 0.12), h_toes),
        ]
        eye, h_eye = n("Eye", "Eye")
        bones.append(Bone(eye, "Head", (0.07 * s, 0.985, 0.12), (0.07 * s, 0.985, 0.2), h_eye))
    return bones


def _hair_chain(s: float) -> list[Bone]:
    side = "L" if s > 0 else "R"
    points: list[Vec3] = [
        (0.19 * s, 1.15, -0.085),
        (0.275 * s, 1.10, -0.12),
        (0.315 * s, 0.99, -0.135),
        (0.318 * s, 0.875, -0.135),
        (0.298 * s, 0.765, -0.125),
    ]
    bones = []
    parent = "Head"
    for i, p in enumerate(points):
        tail = points[i + 1] if i + 1 < len(points) else (p[0], p[1] - 0.05, p[2])
        name = f"HairTail{side}{i + 1}" if i + 1 < len(points) else f"HairTail{side}End"
        bones.append(Bone(name, parent, p, tail, None))
        parent = name
    return bones


BONES: tuple[Bone, ...] = (
    Bone("Hips", None, (0.0, 0.50, 0.0), (0.0, 0.57, 0.0), "hips"),
    Bone("Spine", "Hips", (0.0, 0.57, 0.0), (0.0, 0.64, 0.0), "spine"),
    Bone("Chest", "Spine", (0.0, 0.64, 0.0), (0.0, 0.71, 0.0), "chest"),
    Bone("UpperChest", "Chest", (0.0, 0.71, 0.0), (0.0, 0.79, 0.0), "upperChest"),
    Bone("Neck", "UpperChest", (0.0, 0.79, 0.0), (0.0, 0.86, 0.0), "neck"),
    Bone("Head", "Neck", (0.0, 0.86, 0.0), (0.0, 1.2, 0.0), "head"),
    *_limbs(),
    *_hair_chain(1.0),
    *_hair_chain(-1.0),
)

#: Node names of each spring chain, root first (the last one is the tip).
HAIR_CHAINS: dict[str, tuple[str, ...]] = {
    "TwinTailL": tuple(b.name for b in BONES if b.name.startswith("HairTailL")),
    "TwinTailR": tuple(b.name for b in BONES if b.name.startswith("HairTailR")),
}

_INDEX = {b.name: i for i, b in enumerate(BONES)}


def bone_index(name: str) -> int:
    return _INDEX[name]


def _segment_distance(p: Vec3, a: Vec3, b: Vec3) -> float:
    ab = sub(b, a)
    denom = dot(ab, ab)
    t = 0.0 if denom < 1e-12 else max(0.0, min(1.0, dot(sub(p, a), ab) / denom))
    return length(sub(p, (a[0] + ab[0] * t, a[1] + ab[1] * t, a[2] + ab[2] * t)))


def skin_weights(p: Vec3, candidates: Sequence[str]) -> tuple[tuple[int, int], tuple[float, float]]:
    """The two most influential of ``candidates`` for ``p`` and their weights (sum exactly 1)."""
    if len(candidates) == 1:
        return (bone_index(candidates[0]), 0), (1.0, 0.0)
    scored = []
    for name in candidates:
        bone = BONES[bone_index(name)]
        d = _segment_distance(p, bone.head, bone.tail)
        scored.append((1.0 / math.pow(d + 0.004, 6.0), bone_index(name)))
    scored.sort(key=lambda s: (-s[0], s[1]))
    (w0, i0), (w1, i1) = scored[0], scored[1]
    first = round(w0 / (w0 + w1), 4)
    if first >= 0.9999:
        return (i0, 0), (1.0, 0.0)
    return (i0, i1), (first, round(1.0 - first, 4))


def mirrored(v: Vec3) -> Vec3:
    """Rotate 180 degrees about Y: the VRM 0.x frame (facing -Z) from the canonical one."""
    return scale((v[0], -v[1], v[2]), -1.0)
