"""Mesh builders give closed, outward-facing surfaces (no holes, no inside-out triangles)."""

from __future__ import annotations

import math
from collections import Counter

from app.avatar.geometry import Piece, cross, dot, ellipsoid, sub, tube


def _signed_volume(piece: Piece) -> float:
    total = 0.0
    for a, b, c in piece.triangles:
        pa, pb, pc = piece.positions[a], piece.positions[b], piece.positions[c]
        total += dot(pa, cross(pb, pc)) / 6.0
    return total


def _assert_closed_and_consistent(piece: Piece) -> None:
    directed = Counter((t[i], t[(i + 1) % 3]) for t in piece.triangles for i in range(3))
    assert max(directed.values()) == 1, "two triangles wind the same edge the same way"
    for (a, b) in directed:
        assert (b, a) in directed, f"edge {a}-{b} borders a hole"


def test_closed_ellipsoid_is_watertight_and_has_the_right_volume() -> None:
    radii = (0.2, 0.15, 0.1)
    piece = ellipsoid((0.3, 1.0, -0.2), radii, rings=16, segments=24)
    _assert_closed_and_consistent(piece)
    exact = 4.0 / 3.0 * math.pi * radii[0] * radii[1] * radii[2]
    assert 0.93 * exact < _signed_volume(piece) < exact  # inscribed polyhedron, outward


def test_open_cap_keeps_consistent_winding_and_faces_out() -> None:
    centre = (0.0, 1.0, 0.0)
    piece = ellipsoid(centre, (0.2, 0.2, 0.2), rings=6, segments=16,
                      theta_max=lambda phi: 1.2 + 0.3 * math.cos(phi))
    edges = Counter((t[i], t[(i + 1) % 3]) for t in piece.triangles for i in range(3))
    assert max(edges.values()) == 1
    for a, b, c in piece.triangles:
        pa, pb, pc = piece.positions[a], piece.positions[b], piece.positions[c]
        n = cross(sub(pb, pa), sub(pc, pa))
        assert dot(n, sub(pa, centre)) > 0


def test_tube_with_caps_is_watertight_and_outward() -> None:
    path = [(0.0, 1.0, 0.0), (0.0, 0.8, 0.05), (0.1, 0.6, 0.1), (0.15, 0.5, 0.1)]
    piece = tube(path, [(0.05, 0.04), (0.06, 0.05), (0.04, 0.03), (0.01, 0.01)], segments=10)
    _assert_closed_and_consistent(piece)
    assert _signed_volume(piece) > 0


def test_smooth_normals_point_away_from_the_centre() -> None:
    centre = (0.0, 0.0, 0.0)
    piece = ellipsoid(centre, (0.1, 0.1, 0.1), rings=8, segments=12)
    for p, n in zip(piece.positions, piece.normals(), strict=True):
        assert dot(n, p) > 0.95 * math.sqrt(dot(p, p))
