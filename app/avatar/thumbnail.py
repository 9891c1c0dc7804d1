"""A deterministic toon portrait of the figure, rasterised in pure Python and encoded as PNG.

The thumbnail is what the model library shows, so it is a real render of the shipped mesh
(orthographic, two-tone shading, depth-edge outlines), not a separate drawing that could drift
from it. Only IEEE arithmetic on rounded inputs is used, so the bytes are reproducible; the
PNG goes through the standard library's zlib.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

from app.avatar.figure import Figure, MaterialSpec
from app.avatar.geometry import Vec3, dot, normalize
from app.avatar.pose import ARMS_DOWN, pose_positions

__all__ = ["Portrait", "encode_png", "render_portrait"]

_LIGHT: Vec3 = normalize((-0.3, 0.5, 0.85))
_OUTLINE = (0.26, 0.17, 0.25)


@dataclass(frozen=True)
class Portrait:
    """Framing in canonical world units: a square window centred on (cx, cy), ``span`` wide."""

    cx: float = 0.0
    cy: float = 1.0
    span: float = 0.66
    size: int = 256
    supersample: int = 2


def _background(fy: float, fx: float) -> tuple[float, float, float]:
    # A soft pastel sky with a faint vignette: reads well behind pink hair and a blue dress.
    top, bottom = (0.86, 0.93, 0.99), (0.99, 0.93, 0.88)
    r2 = (fx - 0.5) ** 2 + (fy - 0.45) ** 2
    v = 1.0 - 0.18 * min(1.0, r2 * 2.2)
    return tuple((t + (b - t) * fy) * v for t, b in zip(top, bottom, strict=True))  # type: ignore[return-value]


def _shade(mat: MaterialSpec, n: Vec3) -> tuple[float, float, float]:
    ndl = dot(n, _LIGHT)
    edge = mat.shading_shift + 0.05
    width = 0.09 * (1.0 - mat.shading_toony) + 0.04
    t = min(1.0, max(0.0, (ndl - edge) / width + 0.5))
    t = t * t * (3.0 - 2.0 * t)
    rim = max(0.0, 1.0 - n[2]) ** 3 * 0.6
    return tuple(
        min(1.0, s + (b - s) * t + rc * rim + e)
        for s, b, rc, e in zip(mat.shade, mat.base, mat.rim, mat.emissive, strict=True)
    )  # type: ignore[return-value]


def render_portrait(figure: Figure, view: Portrait = Portrait()) -> bytes:
    """RGB portrait of the figure facing the viewer, arms lowered, as PNG bytes."""
    ss = view.supersample
    w = view.size * ss
    half = view.span / 2.0
    x0, y1 = view.cx - half, view.cy + half
    px_per_m = w / view.span
    depth = [-1e9] * (w * w)
    color: list[tuple[float, float, float] | None] = [None] * (w * w)
    materials = {m.name: m for m in figure.materials}
    prims = [p for mesh in figure.meshes for p in mesh.primitives]
    # blended surfaces last, over everything opaque, like a real renderer's transparent pass
    prims.sort(key=lambda p: materials[p.material].alpha_mode == "BLEND")
    for prim in prims:
        mat = materials[prim.material]
        posed, normals = pose_positions(prim, ARMS_DOWN)
        pts = [((p[0] - x0) * px_per_m, (y1 - p[1]) * px_per_m, p[2]) for p in posed]
        idx = prim.indices
        for t in range(0, len(idx), 3):
            _raster(pts, normals, idx[t], idx[t + 1], idx[t + 2], w, depth, color, mat)
    outlined = _outline(depth, w, ss)
    rows = []
    for y in range(view.size):
        row = bytearray()
        for x in range(view.size):
            acc = [0.0, 0.0, 0.0]
            for sy in range(ss):
                for sx in range(ss):
                    i = (y * ss + sy) * w + x * ss + sx
                    c = color[i]
                    if outlined[i]:
                        c = _OUTLINE
                    elif c is None:
                        c = _background((y * ss + sy) / w, (x * ss + sx) / w)
                    acc[0] += c[0]
                    acc[1] += c[1]
                    acc[2] += c[2]
            k = 255.0 / (ss * ss)
            row += bytes(min(255, int(a * k + 0.5)) for a in acc)
        rows.append(bytes(row))
    return encode_png(view.size, view.size, rows)


def _raster(
    pts: list[tuple[float, float, float]],
    normals: list[Vec3],
    a: int,
    b: int,
    c: int,
    w: int,
    depth: list[float],
    color: list[tuple[float, float, float] | None],
    mat: MaterialSpec,
) -> None:
    (ax, ay, az), (bx, by, bz), (cx, cy, cz) = pts[a], pts[b], pts[c]
    area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    # area >= 0: back-facing (screen y points down) or degenerate
    if area >= 0.0 and (not mat.double_sided or area == 0.0):
        return
    minx = max(0, math.floor(min(ax, bx, cx)))
    maxx = min(w - 1, math.ceil(max(ax, bx, cx)))
    miny = max(0, math.floor(min(ay, by, cy)))
    maxy = min(w - 1, math.ceil(max(ay, by, cy)))
    if minx > maxx or miny > maxy:
        return
    inv = 1.0 / area
    na, nb, nc = normals[a], normals[b], normals[c]
    for py in range(miny, maxy + 1):
        fy = py + 0.5
        for px in range(minx, maxx + 1):
            fx = px + 0.5
            wa = ((bx - fx) * (cy - fy) - (by - fy) * (cx - fx)) * inv
            wb = ((cx - fx) * (ay - fy) - (cy - fy) * (ax - fx)) * inv
            wc = 1.0 - wa - wb
            if wa < 0.0 or wb < 0.0 or wc < 0.0:
                continue
            z = wa * az + wb * bz + wc * cz
            i = py * w + px
            if z <= depth[i]:
                continue
            if mat.alpha_mode != "BLEND":
                depth[i] = z
            n = normalize((
                wa * na[0] + wb * nb[0] + wc * nc[0],
                wa * na[1] + wb * nb[1] + wc * nc[1],
                wa * na[2] + wb * nb[2] + wc * nc[2],
            ))
            if n[2] < 0.0:
                n = (-n[0], -n[1], -n[2])
            lit = _shade(mat, n)
            if mat.alpha_mode == "BLEND":
                under = color[i] or _background(py / w, px / w)
                k = mat.alpha
                lit = (lit[0] * k + under[0] * (1.0 - k), lit[1] * k + under[1] * (1.0 - k),
                       lit[2] * k + under[2] * (1.0 - k))
            color[i] = lit


def _outline(depth: list[float], w: int, ss: int) -> list[bool]:
    """Mark samples just outside a depth step (silhouettes and overlaps), ink-style."""
    r = ss
    rowmax: list[float] = []
    for y in range(w):
        row = depth[y * w:(y + 1) * w]
        rowmax += [max(row[max(0, x - r):x + r + 1]) for x in range(w)]
    out = [False] * (w * w)
    for x in range(w):
        col = rowmax[x::w]
        for y in range(w):
            if max(col[max(0, y - r):y + r + 1]) > depth[y * w + x] + 0.025:
                out[y * w + x] = True
    return out


def encode_png(width: int, height: int, rows: list[bytes]) -> bytes:
    """8-bit RGB PNG; every scanline uses the Sub filter."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = bytearray()
    for row in rows:
        raw.append(1)
        prev = b"\0\0\0"
        for x in range(width):
            pix = row[3 * x:3 * x + 3]
            raw += bytes((pix[k] - prev[k]) & 0xFF for k in range(3))
            prev = pix
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))
