"""The default avatar's design: a friendly chibi girl with pink twin tails and a blue dress.

This module decides shapes, colours and facial expressions; it knows nothing about glTF.
Everything is built in the canonical frame of :mod:`app.avatar.rig`. The face features are
thin decals fitted onto the head ellipsoid, so every expression is a morph target that only
moves decal vertices along the face surface.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.avatar.geometry import (
    Piece,
    Vec3,
    add,
    ellipsoid,
    ellipsoid_normal,
    ellipsoid_surface_z,
    scale,
    snap3,
    sub,
    tube,
)
from app.avatar.rig import BONES, HAIR_CHAINS, HEAD_CENTER, HEAD_RADII, bone_index, skin_weights

__all__ = [
    "EXPRESSIONS",
    "MATERIALS",
    "Figure",
    "MaterialSpec",
    "MeshSpec",
    "Primitive",
    "build_figure",
]


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    base: tuple[float, float, float]  # sRGB, 0..1
    shade: tuple[float, float, float]  # sRGB, 0..1
    double_sided: bool = False
    outline: bool = True
    shading_shift: float = -0.05
    shading_toony: float = 0.9
    rim: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alpha_mode: str = "OPAQUE"  # glTF alphaMode: OPAQUE, MASK (cutout) or BLEND
    alpha: float = 1.0
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)  # sRGB, 0..1


def _hex(code: str) -> tuple[float, float, float]:
    return (int(code[0:2], 16) / 255.0, int(code[2:4], 16) / 255.0, int(code[4:6], 16) / 255.0)


MATERIALS: tuple[MaterialSpec, ...] = (
    MaterialSpec("Skin", _hex("FBD0B9"), _hex("E89C86"), rim=(0.12, 0.06, 0.05)),
    MaterialSpec("Dress", _hex("4C8FE8"), _hex("2D5DB0"), rim=(0.1, 0.12, 0.2)),
    MaterialSpec("Collar", _hex("FDFBF7"), _hex("C9CCE0")),
    MaterialSpec("Accent", _hex("FFCF4D"), _hex("E39A2A")),
    MaterialSpec("Shoes", _hex("8E3B46"), _hex("5A2330")),
    MaterialSpec("Hair", _hex("F49AC1"), _hex("C9628F"), double_sided=True, rim=(0.2, 0.1, 0.15)),
    MaterialSpec("Eye", _hex("4A2C6E"), _hex("2E1A48"), outline=False, shading_toony=1.0),
    # cutout and emissive: the sparkle in the eyes stays bright in a dim scene
    MaterialSpec("EyeHighlight", _hex("FFFFFF"), _hex("FFFFFF"), outline=False,
                 alpha_mode="MASK", emissive=(0.55, 0.55, 0.55)),
    MaterialSpec("Mouth", _hex("C94A5E"), _hex("A4364A"), outline=False),
    # blended, so the cheeks blush softly over whatever skin tone is under them
    MaterialSpec("Blush", _hex("FF8AA0"), _hex("F27A92"), outline=False, alpha_mode="BLEND",
                 alpha=0.55),
)

#: Face morph targets in mesh order; the canonical names are the VRM 1.0 preset names.
EXPRESSIONS: tuple[str, ...] = (
    "aa", "ih", "ou", "ee", "oh",
    "blink", "blinkLeft", "blinkRight",
    "happy", "angry", "sad", "relaxed", "surprised",
)


@dataclass
class Primitive:
    material: str
    positions: list[Vec3] = field(default_factory=list)
    normals: list[Vec3] = field(default_factory=list)
    joints: list[tuple[int, int, int, int]] = field(default_factory=list)
    weights: list[tuple[float, float, float, float]] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    morphs: dict[str, list[Vec3]] = field(default_factory=dict)


@dataclass
class MeshSpec:
    name: str
    primitives: list[Primitive] = field(default_factory=list)
    morph_names: tuple[str, ...] = ()


@dataclass
class Figure:
    meshes: list[MeshSpec]
    materials: tuple[MaterialSpec, ...]


# --------------------------------------------------------------------------- assembly


class _MeshBuilder:
    def __init__(self, name: str, morph_names: Sequence[str] = ()) -> None:
        self.spec = MeshSpec(name, morph_names=tuple(morph_names))
        self._by_material: dict[str, Primitive] = {}

    def add(
        self,
        piece: Piece,
        material: str,
        bones: Sequence[str],
        morphs: dict[str, list[Vec3]] | None = None,
    ) -> None:
        prim = self._by_material.get(material)
        if prim is None:
            prim = Primitive(material, morphs={m: [] for m in self.spec.morph_names})
            self._by_material[material] = prim
            self.spec.primitives.append(prim)
        base = len(prim.positions)
        positions = [snap3(p) for p in piece.positions]
        prim.positions += positions
        prim.normals += [snap3(n) for n in piece.normals()]
        for p in positions:
            (j0, j1), (w0, w1) = skin_weights(p, bones)
            prim.joints.append((j0, j1, 0, 0))
            prim.weights.append((w0, w1, 0.0, 0.0))
        for tri in piece.triangles:
            prim.indices += [base + i for i in tri]
        for name in self.spec.morph_names:
            deltas = (morphs or {}).get(name)
            prim.morphs[name] += ([snap3(d) for d in deltas] if deltas
                                  else [(0.0, 0.0, 0.0)] * len(piece.positions))


# --------------------------------------------------------------------------- body


def _dress() -> Piece:
    profile = [  # (y, half-width, half-depth)
        (0.832, 0.038, 0.036), (0.815, 0.052, 0.046), (0.800, 0.085, 0.065), (0.775, 0.108, 0.078),
        (0.740, 0.112, 0.082), (0.700, 0.106, 0.080), (0.655, 0.095, 0.075),
        (0.610, 0.092, 0.072), (0.575, 0.098, 0.078), (0.540, 0.118, 0.095),
        (0.490, 0.145, 0.120), (0.430, 0.172, 0.145), (0.380, 0.190, 0.160),
        (0.355, 0.195, 0.165),
    ]
    return tube([(0.0, y, 0.0) for y, _, _ in profile], [(a, b) for _, a, b in profile],
                segments=24, cap_bulge=0.0)


def _body(mesh: _MeshBuilder) -> None:
    torso = ["Hips", "Spine", "Chest", "UpperChest", "Neck"]
    mesh.add(_dress(), "Dress", torso)
    mesh.add(ellipsoid((0.0, 0.806, 0.005), (0.08, 0.022, 0.068), rings=6, segments=20),
             "Collar", ["UpperChest"])
    for wing in (1.0, -1.0):
        mesh.add(ellipsoid((0.03 * wing, 0.782, 0.078), (0.03, 0.018, 0.012), rings=6,
                           segments=12), "Accent", ["UpperChest"])
    mesh.add(ellipsoid((0.0, 0.782, 0.086), (0.013, 0.013, 0.01), rings=5, segments=10),
             "Accent", ["UpperChest"])
    mesh.add(tube([(0.0, 0.78, 0.0), (0.0, 0.83, 0.0), (0.0, 0.89, 0.0)],
                  [(0.034, 0.032)] * 3, segments=12), "Skin", ["Neck", "Head"])
    head = ellipsoid(HEAD_CENTER, HEAD_RADII, rings=18, segments=28)
    mesh.add(head, "Skin", ["Head"])

    for s in (1.0, -1.0):
        side = "Left" if s > 0 else "Right"
        arm = [f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"]
        mesh.add(ellipsoid((0.125 * s, 0.765, 0.0), (0.052, 0.048, 0.048), rings=8, segments=14),
                 "Dress", [f"{side}Shoulder", f"{side}UpperArm"])
        xs = [0.09, 0.15, 0.20, 0.235, 0.255, 0.275, 0.31, 0.36, 0.40]
        radii = [0.027, 0.026, 0.025, 0.024, 0.0235, 0.023, 0.022, 0.021, 0.021]
        mesh.add(tube([(x * s, 0.765, 0.0) for x in xs], [(r, r) for r in radii], segments=12,
                      side_hint=(0.0, 0.0, 1.0)), "Skin", arm)
        mesh.add(ellipsoid((0.432 * s, 0.765, 0.0), (0.04, 0.034, 0.028), rings=8, segments=14),
                 "Skin", [f"{side}Hand"])
        mesh.add(ellipsoid((0.415 * s, 0.772, 0.028), (0.012, 0.012, 0.02), rings=5, segments=8),
                 "Skin", [f"{side}Hand"])

        leg = [f"{side}UpperLeg", f"{side}LowerLeg", f"{side}Foot"]
        ys = [0.50, 0.42, 0.34, 0.295, 0.27, 0.245, 0.20]
        radii = [0.044, 0.042, 0.038, 0.035, 0.034, 0.034, 0.032]
        mesh.add(tube([(0.065 * s, y, 0.0) for y in ys], [(r, r) for r in radii], segments=12),
                 "Skin", leg)
        # knee socks: a slightly wider tube over the shin, its top cuff overlapping the skin
        ys = [0.225, 0.215, 0.17, 0.12, 0.06]
        radii = [0.0375, 0.0375, 0.034, 0.031, 0.03]
        mesh.add(tube([(0.065 * s, y, 0.0) for y in ys], [(r, r) for r in radii], segments=12,
                      cap_bulge=0.0), "Collar", leg)
        mesh.add(ellipsoid((0.065 * s, 0.042, 0.028), (0.05, 0.042, 0.088), rings=8, segments=16),
                 "Shoes", [f"{side}Foot", f"{side}Toes"])


# --------------------------------------------------------------------------- hair


def _hair_cap_limit(phi: float) -> float:
    front = (1.0 + math.cos(phi)) / 2.0  # 1 at the face, 0 at the back
    base = math.radians(132.0) - math.radians(76.0) * front
    column = round(phi / (2.0 * math.pi / 48.0))
    if math.cos(phi) > 0.2 and column % 2 == 0:  # fringe: every other column hangs lower
        base += math.radians(15.0) * math.cos(phi) ** 2
    return base


def _hair(mesh: _MeshBuilder) -> None:
    cap = ellipsoid((0.0, 1.046, -0.006), (0.223, 0.213, 0.206), rings=10, segments=48,
                    theta_max=_hair_cap_limit)
    mesh.add(cap, "Hair", ["Head"])
    mesh.add(tube([(0.0, 1.24, 0.0), (0.004, 1.285, 0.012), (0.028, 1.312, 0.03),
                   (0.052, 1.302, 0.048)],
                  [(0.013, 0.011), (0.011, 0.009), (0.008, 0.007), (0.004, 0.004)], segments=8),
             "Hair", ["Head"])
    for s in (1.0, -1.0):
        lock = [(0.198 * s, 1.09, 0.045), (0.212 * s, 0.99, 0.058), (0.202 * s, 0.905, 0.055),
                (0.186 * s, 0.85, 0.048)]
        mesh.add(tube(lock, [(0.02, 0.03), (0.018, 0.027), (0.013, 0.019), (0.006, 0.008)],
                      segments=10), "Hair", ["Head"])
        chain = HAIR_CHAINS["TwinTailL" if s > 0 else "TwinTailR"]
        joints = [BONES[bone_index(n)].head for n in chain]
        path: list[Vec3] = []
        for a, b in itertools.pairwise(joints):
            path += [a, scale(add(a, b), 0.5)]
        path.append(joints[-1])
        profile = [0.026, 0.042, 0.054, 0.06, 0.058, 0.052, 0.042, 0.026, 0.008]
        mesh.add(tube(path, [(r, r * 0.85) for r in profile], segments=14), "Hair", list(chain))
        mesh.add(ellipsoid(add(joints[0], (0.008 * s, 0.0, 0.006)), (0.026, 0.03, 0.03),
                           rings=6, segments=12), "Accent", [chain[0]])


# --------------------------------------------------------------------------- face

Shape = Callable[[float], tuple[float, float]]  # rim angle -> offset from the feature centre


def _decal(center: tuple[float, float], shapes: dict[str, Shape], *, lift: float,
           rim: int = 24,
           rings: tuple[float, ...] = (0.5, 1.0)) -> tuple[Piece, dict[str, list[Vec3]]]:
    """A flat feature lying on the face; returns the neutral piece and per-shape deltas."""

    def layout(shape: Shape) -> list[Vec3]:
        ring = [shape(2.0 * math.pi * j / rim) for j in range(rim)]
        cx = sum(p[0] for p in ring) / rim
        cy = sum(p[1] for p in ring) / rim
        flat = [(cx, cy)]
        for r in rings:
            flat += [(cx + (px - cx) * r, cy + (py - cy) * r) for px, py in ring]
        out = []
        for dx, dy in flat:
            x, y = center[0] + dx, center[1] + dy
            z = ellipsoid_surface_z(HEAD_CENTER, HEAD_RADII, x, y)
            n = ellipsoid_normal(HEAD_CENTER, HEAD_RADII, (x, y, z))
            out.append(add((x, y, z), scale(n, lift)))
        return out

    neutral = layout(shapes["neutral"])
    piece = Piece(positions=list(neutral))
    piece.fixed_normals = [ellipsoid_normal(HEAD_CENTER, HEAD_RADII, p) for p in neutral]
    ref = piece.fixed_normals[0]
    inner = [1 + j for j in range(rim)]
    for j in range(rim):
        piece.face(0, inner[j], inner[(j + 1) % rim], ref)
    for ring in range(1, len(rings)):
        outer = [1 + ring * rim + j for j in range(rim)]
        for j in range(rim):
            k = (j + 1) % rim
            piece.face(inner[j], outer[j], outer[k], ref)
            piece.face(inner[j], outer[k], inner[k], ref)
        inner = outer
    deltas = {
        name: [sub(q, p) for p, q in zip(neutral, layout(shape), strict=True)]
        for name, shape in shapes.items() if name != "neutral"
    }
    return piece, deltas


def _ellipse(rx: float, ry: float, dy: float = 0.0) -> Shape:
    return lambda t: (rx * math.cos(t), ry * math.sin(t) + dy)


def _lid_line(rx: float, bow: float, drop: float, thick: float = 0.0048) -> Shape:
    """A thin curved line: the eye drawn closed (bow < 0: like a smile, bow > 0: like ^)."""
    return lambda t: (rx * math.cos(t), drop + bow * (1.0 - math.cos(t) ** 2) + thick * math.sin(t))


def _half_eye(rx: float, ry: float) -> Shape:
    def shape(t: float) -> tuple[float, float]:
        s = math.sin(t)
        return (rx * math.cos(t), (ry * s if s < 0 else 0.25 * ry * s) - 0.006)
    return shape


def _slanted_lid(rx: float, ry: float, height: float, tilt: float, outward: float) -> Shape:
    """The open eye cut by a straight upper lid; ``tilt`` > 0 lifts the outer corner (angry),
    < 0 lets it droop (sad). ``outward`` is +1 when the outer corner lies towards +x."""

    def shape(t: float) -> tuple[float, float]:
        dx, dy = rx * math.cos(t), ry * math.sin(t)
        lid = ry * (height + tilt * outward * dx / rx)
        return (dx, min(dy, lid) - 0.004)
    return shape


def _eye_shapes(outward: float) -> dict[str, Shape]:
    rx, ry = 0.027, 0.037
    return {
        "neutral": _ellipse(rx, ry),
        "blink": _lid_line(rx * 1.05, -0.006, -0.012),
        "happy": _lid_line(rx * 1.05, 0.011, -0.006),
        "relaxed": _half_eye(rx * 1.02, ry),
        "surprised": _ellipse(rx * 1.12, ry * 1.12, 0.002),
        "angry": _slanted_lid(rx, ry, 0.2, 0.45, outward),
        "sad": _slanted_lid(rx, ry, 0.3, -0.4, outward),
    }


def _highlight_shapes(r: float, off: tuple[float, float]) -> dict[str, Shape]:
    ox, oy = off

    def dot_at(radius: float, x: float, y: float) -> Shape:
        return lambda t: (x + radius * math.cos(t), y + radius * math.sin(t))

    return {
        "neutral": dot_at(r, ox, oy),
        "blink": dot_at(0.0, ox * 0.5, -0.012),
        "happy": dot_at(0.0, ox * 0.5, -0.004),
        "relaxed": dot_at(r * 0.5, ox, -0.012),
        "surprised": dot_at(r * 1.15, ox * 1.12, oy * 1.12 + 0.002),
        "angry": dot_at(r * 0.6, ox, -0.012),
        "sad": dot_at(r * 0.75, ox, -0.01),
    }


def _mouth_shape(half_width: float, top: float, bottom: float, smile: float) -> Shape:
    def shape(t: float) -> tuple[float, float]:
        u, s = math.cos(t), math.sin(t)
        centre = smile * (u * u - 1.0)
        return (half_width * u, centre + (top if s > 0 else bottom) * s)
    return shape


def _mouth_shapes() -> dict[str, Shape]:
    return {
        "neutral": _mouth_shape(0.021, 0.0025, 0.004, 0.007),
        "aa": _mouth_shape(0.024, 0.006, 0.036, 0.004),
        "ih": _mouth_shape(0.029, 0.004, 0.013, 0.006),
        "ou": _mouth_shape(0.011, 0.011, 0.014, 0.0),
        "ee": _mouth_shape(0.028, 0.003, 0.019, 0.009),
        "oh": _mouth_shape(0.018, 0.012, 0.026, 0.0),
        "happy": _mouth_shape(0.027, 0.002, 0.021, 0.012),
        "relaxed": _mouth_shape(0.022, 0.0025, 0.0045, 0.008),
        "surprised": _mouth_shape(0.017, 0.016, 0.024, 0.0),
        "angry": _mouth_shape(0.023, 0.004, 0.008, -0.011),
        "sad": _mouth_shape(0.021, 0.003, 0.0045, -0.011),
    }


#: Which per-eye shape each eye expression uses ("blinkLeft" only moves the left eye).
_EYE_EXPRESSIONS = {
    "blink": ("blink", "blink"), "blinkLeft": ("blink", None), "blinkRight": (None, "blink"),
    "happy": ("happy", "happy"), "relaxed": ("relaxed", "relaxed"),
    "surprised": ("surprised", "surprised"), "angry": ("angry", "angry"), "sad": ("sad", "sad"),
}


def _face(mesh: _MeshBuilder) -> None:
    eye_y = 0.985
    for s in (1.0, -1.0):
        left = s > 0
        bone = "LeftEye" if left else "RightEye"
        features = [
            ("Eye", _eye_shapes(s), 0.0025, 24, (0.5, 1.0)),
            ("EyeHighlight", _highlight_shapes(0.0095, (-0.008, 0.015)), 0.0045, 14, (1.0,)),
            ("EyeHighlight", _highlight_shapes(0.0045, (0.009, -0.014)), 0.0045, 10, (1.0,)),
        ]
        for material, shapes, lift, rim, rings in features:
            piece, deltas = _decal((0.07 * s, eye_y), shapes, lift=lift, rim=rim, rings=rings)
            morphs = {}
            for expr, (left_shape, right_shape) in _EYE_EXPRESSIONS.items():
                chosen = left_shape if left else right_shape
                if chosen is not None:
                    morphs[expr] = deltas[chosen]
            mesh.add(piece, material, [bone], morphs)
        blush, _ = _decal((0.118 * s, 0.93), {"neutral": _ellipse(0.024, 0.012)}, lift=0.0015,
                           rim=16, rings=(1.0,))
        mesh.add(blush, "Blush", ["Head"])
    mouth, deltas = _decal((0.0, 0.905), _mouth_shapes(), lift=0.0025)
    mesh.add(mouth, "Mouth", ["Head"], deltas)


def build_figure() -> Figure:
    """The whole avatar in the canonical frame; pure and deterministic."""
    body = _MeshBuilder("Body")
    _body(body)
    hair = _MeshBuilder("Hair")
    _hair(hair)
    face = _MeshBuilder("Face", EXPRESSIONS)
    _face(face)
    return Figure([body.spec, face.spec, hair.spec], MATERIALS)
