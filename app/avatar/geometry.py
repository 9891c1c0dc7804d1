"""Small pure-Python mesh builders for the default avatar (no numpy: the generator must stay light).

Every builder returns a :class:`Piece` whose triangles are oriented by an explicit outward
reference, so winding never depends on hand-reasoned index order, and whose vertices are
shared (no UV seams), so averaged normals come out smooth.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Piece",
    "Vec3",
    "add",
    "cross",
    "dot",
    "ellipsoid",
    "ellipsoid_normal",
    "ellipsoid_surface_z",
    "length",
    "normalize",
    "scale",
    "snap",
    "snap3",
    "sub",
    "tube",
]

Vec3 = tuple[float, float, float]


def snap(x: float) -> float:
    """Round to 6 decimals (micrometres), so last-bit differences between libm builds
    (sin, cos, pow) cannot reach the output bytes; never returns -0.0."""
    r = round(x, 6)
    return 0.0 if r == 0.0 else r


def snap3(v: Vec3) -> Vec3:
    return (snap(v[0]), snap(v[1]), snap(v[2]))


def add(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def scale(a: Vec3, s: float) -> Vec3:
    return (a[0] * s, a[1] * s, a[2] * s)


def dot(a: Vec3, b: Vec3) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Vec3, b: Vec3) -> Vec3:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def length(a: Vec3) -> float:
    return math.sqrt(dot(a, a))


def normalize(a: Vec3) -> Vec3:
    n = length(a)
    return (0.0, 1.0, 0.0) if n < 1e-12 else scale(a, 1.0 / n)


@dataclass
class Piece:
    """One connected surface: shared vertices, oriented triangles, optional fixed normals."""

    positions: list[Vec3] = field(default_factory=list)
    triangles: list[tuple[int, int, int]] = field(default_factory=list)
    fixed_normals: list[Vec3] | None = None

    def vertex(self, p: Vec3) -> int:
        self.positions.append(p)
        return len(self.positions) - 1

    def face(self, a: int, b: int, c: int, outward: Vec3) -> None:
        """Add a triangle wound counter-clockwise when seen from the ``outward`` side."""
        pa, pb, pc = self.positions[a], self.positions[b], self.positions[c]
        n = cross(sub(pb, pa), sub(pc, pa))
        if length(n) < 1e-14:
            return
        self.triangles.append((a, b, c) if dot(n, outward) >= 0.0 else (a, c, b))

    def normals(self) -> list[Vec3]:
        if self.fixed_normals is not None:
            return list(self.fixed_normals)
        acc: list[Vec3] = [(0.0, 0.0, 0.0)] * len(self.positions)
        for a, b, c in self.triangles:
            pa, pb, pc = self.positions[a], self.positions[b], self.positions[c]
            n = cross(sub(pb, pa), sub(pc, pa))  # area-weighted
            for i in (a, b, c):
                acc[i] = add(acc[i], n)
        return [normalize(n) for n in acc]


def ellipsoid_normal(center: Vec3, radii: Vec3, p: Vec3) -> Vec3:
    d = sub(p, center)
    return normalize((d[0] / radii[0] ** 2, d[1] / radii[1] ** 2, d[2] / radii[2] ** 2))


def ellipsoid_surface_z(center: Vec3, radii: Vec3, x: float, y: float) -> float:
    """Front (+Z) surface of an ellipsoid above the point (x, y)."""
    u = ((x - center[0]) / radii[0]) ** 2 + ((y - center[1]) / radii[1]) ** 2
    return center[2] + radii[2] * math.sqrt(max(0.0, 1.0 - u))


def ellipsoid(
    center: Vec3,
    radii: Vec3,
    *,
    rings: int,
    segments: int,
    theta_max: Callable[[float], float] | None = None,
) -> Piece:
    """An ellipsoid, or an open cap of one when ``theta_max(phi)`` (radians from +Y) is given.

    ``phi`` is the azimuth measured from +Z towards +X, so ``phi == 0`` is the front.
    """
    piece = Piece()
    top = piece.vertex(add(center, (0.0, radii[1], 0.0)))
    closed = theta_max is None
    last_ring = rings - 1 if closed else rings
    phis = [2.0 * math.pi * j / segments for j in range(segments)]
    grid: list[list[int]] = []
    for i in range(1, last_ring + 1):
        row = []
        for phi in phis:
            limit = math.pi if theta_max is None else theta_max(phi)
            theta = limit * i / rings
            d = (math.sin(theta) * math.sin(phi), math.cos(theta), math.sin(theta) * math.cos(phi))
            p = (d[0] * radii[0], d[1] * radii[1], d[2] * radii[2])
            row.append(piece.vertex(add(center, p)))
        grid.append(row)

    def out(*idx: int) -> Vec3:
        c = (0.0, 0.0, 0.0)
        for i in idx:
            c = add(c, piece.positions[i])
        return sub(scale(c, 1.0 / len(idx)), center)

    first = grid[0]
    for j in range(segments):
        k = (j + 1) % segments
        piece.face(top, first[j], first[k], out(top, first[j], first[k]))
    for upper, lower in itertools.pairwise(grid):
        for j in range(segments):
            k = (j + 1) % segments
            piece.face(upper[j], lower[j], lower[k], out(upper[j], lower[j], lower[k]))
            piece.face(upper[j], lower[k], upper[k], out(upper[j], lower[k], upper[k]))
    if closed:
        bottom = piece.vertex(add(center, (0.0, -radii[1], 0.0)))
        lastrow = grid[-1]
        for j in range(segments):
            k = (j + 1) % segments
            piece.face(bottom, lastrow[k], lastrow[j], out(bottom, lastrow[j], lastrow[k]))
    return piece


def tube(
    path: Sequence[Vec3],
    radii: Sequence[tuple[float, float]],
    *,
    segments: int,
    side_hint: Vec3 = (1.0, 0.0, 0.0),
    caps: tuple[bool, bool] = (True, True),
    cap_bulge: float = 0.35,
) -> Piece:
    """A generalised cylinder along ``path``; ring ``k`` has half-axes ``radii[k]``.

    The first half-axis lies along ``side_hint`` (made perpendicular to the path), so a
    vertical torso gets its width on X and its depth on Z.
    """
    piece = Piece()
    rings: list[list[int]] = []
    tangents: list[Vec3] = []
    n = len(path)
    for k, p in enumerate(path):
        t = normalize(sub(path[min(k + 1, n - 1)], path[max(k - 1, 0)]))
        a = normalize(sub(side_hint, scale(t, dot(side_hint, t))))
        b = cross(t, a)
        ra, rb = radii[k]
        ring = []
        for j in range(segments):
            ang = 2.0 * math.pi * j / segments
            offset = add(scale(a, ra * math.cos(ang)), scale(b, rb * math.sin(ang)))
            ring.append(piece.vertex(add(p, offset)))
        rings.append(ring)
        tangents.append(t)
    for k in range(n - 1):
        mid = scale(add(path[k], path[k + 1]), 0.5)
        for j in range(segments):
            m = (j + 1) % segments
            r0, r1 = rings[k], rings[k + 1]
            for tri in ((r0[j], r1[j], r1[m]), (r0[j], r1[m], r0[m])):
                c = scale(add(add(piece.positions[tri[0]], piece.positions[tri[1]]),
                              piece.positions[tri[2]]), 1.0 / 3.0)
                piece.face(*tri, outward=sub(c, mid))
    for end, enabled in ((0, caps[0]), (n - 1, caps[1])):
        if not enabled:
            continue
        direction = scale(tangents[end], -1.0 if end == 0 else 1.0)
        bulge = cap_bulge * min(radii[end])
        pole = piece.vertex(add(path[end], scale(direction, bulge)))
        ring = rings[end]
        for j in range(segments):
            piece.face(pole, ring[j], ring[(j + 1) % segments], outward=direction)
    return piece
