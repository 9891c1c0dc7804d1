"""Linear blend skinning of the figure into a simple pose, for the thumbnail.

The shipped rest pose is a T-pose (VRM requires it), but a portrait with arms sticking out
sideways reads poorly at thumbnail size, so the thumbnail lowers the arms first. Rotations
are about Z only, which is all a front-facing portrait needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.avatar.figure import Primitive
from app.avatar.geometry import Vec3, normalize, snap3
from app.avatar.rig import BONES, bone_index

__all__ = ["ARMS_DOWN", "Affine", "pose_positions", "skinning_matrices"]

#: Bone -> rotation about Z in degrees, applied at the bone's head (arms lowered ~65 degrees).
ARMS_DOWN: dict[str, float] = {"LeftUpperArm": -65.0, "RightUpperArm": 65.0}


@dataclass(frozen=True)
class Affine:
    """x' = m @ x + t, with m a row-major 3x3 matrix."""

    m: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    t: Vec3 = (0.0, 0.0, 0.0)

    def apply(self, p: Vec3) -> Vec3:
        m = self.m
        return (m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + self.t[0],
                m[3] * p[0] + m[4] * p[1] + m[5] * p[2] + self.t[1],
                m[6] * p[0] + m[7] * p[1] + m[8] * p[2] + self.t[2])

    def rotate(self, v: Vec3) -> Vec3:
        m = self.m
        return (m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
                m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
                m[6] * v[0] + m[7] * v[1] + m[8] * v[2])

    def then(self, other: Affine) -> Affine:
        """``other`` applied after ``self``."""
        a, b = other.m, self.m
        m = tuple(sum(a[3 * r + k] * b[3 * k + c] for k in range(3))
                  for r in range(3) for c in range(3))
        return Affine(m, other.apply(self.t))


def _about_z(degrees: float, pivot: Vec3) -> Affine:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rot = Affine((c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0))
    return Affine(t=(-pivot[0], -pivot[1], -pivot[2])).then(rot).then(Affine(t=pivot))


def skinning_matrices(pose: dict[str, float]) -> list[Affine]:
    """Per bone: rest world position -> posed world position (rest rotations are identity)."""
    out: list[Affine] = []
    for bone in BONES:
        parent = out[bone_index(bone.parent)] if bone.parent else Affine()
        local = _about_z(pose[bone.name], bone.head) if bone.name in pose else Affine()
        out.append(local.then(parent))
    return out


def pose_positions(prim: Primitive, pose: dict[str, float]) -> tuple[list[Vec3], list[Vec3]]:
    """Posed positions and normals of one primitive, snapped like the mesh data."""
    mats = skinning_matrices(pose)
    positions, normals = [], []
    for p, n, joints, weights in zip(prim.positions, prim.normals, prim.joints, prim.weights,
                                     strict=True):
        px = py = pz = nx = ny = nz = 0.0
        for j, w in zip(joints, weights, strict=True):
            if w == 0.0:
                continue
            q, r = mats[j].apply(p), mats[j].rotate(n)
            px, py, pz = px + w * q[0], py + w * q[1], pz + w * q[2]
            nx, ny, nz = nx + w * r[0], ny + w * r[1], nz + w * r[2]
        positions.append(snap3((px, py, pz)))
        normals.append(snap3(normalize((nx, ny, nz))))
    return positions, normals
