"""The thumbnail is a valid PNG portrait of the avatar, and both variants share it."""

from __future__ import annotations

import struct
import zlib

import pytest

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from app.avatar.thumbnail import encode_png
from tests.unit.avatar._glb import Glb, read_glb


def _decode(png: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Minimal RGB8 PNG decoder written independently of the encoder (all five filters)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width, height = 8, b"", 0, 0
    while at < len(png):
        (length,) = struct.unpack_from(">I", png, at)
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        (crc,) = struct.unpack_from(">I", png, at + 8 + length)
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, kind
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data)
            assert (depth, colour, interlace) == (8, 2, 0)
        elif kind == b"IDAT":
            idat += data
        at += 12 + length
        if kind == b"IEND":
            break
    assert at == len(png)
    raw = zlib.decompress(idat)
    stride = width * 3
    assert len(raw) == height * (stride + 1)
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
            else:
                assert kind == 0
        rows.append([tuple(line[x * 3:x * 3 + 3]) for x in range(width)])  # type: ignore[misc]
        prev = line
    return width, height, rows  # type: ignore[return-value]


def _thumbnail(glb: Glb) -> bytes:
    vrm = glb.vrm
    image = vrm["meta"]["thumbnailImage"] if "thumbnailImage" in vrm["meta"] else \
        glb.json["textures"][vrm["meta"]["texture"]]["source"]
    return glb.view_bytes(glb.json["images"][image]["bufferView"])


@pytest.fixture(scope="module")
def thumbnails() -> dict[str, bytes]:
    return {v: _thumbnail(read_glb(default_avatar_path(v))) for v in DEFAULT_AVATAR_VERSIONS}


def test_both_variants_carry_the_same_thumbnail(thumbnails: dict[str, bytes]) -> None:
    assert thumbnails["0.x"] == thumbnails["1.0"]


def test_thumbnail_is_a_centred_portrait(thumbnails: dict[str, bytes]) -> None:
    width, height, rows = _decode(thumbnails["1.0"])
    assert (width, height) == (256, 256)
    corner = rows[0][0]

    def far(p: tuple[int, int, int]) -> bool:
        return sum(abs(p[k] - corner[k]) for k in range(3)) > 60

    xs = [x for row in rows for x, p in enumerate(row) if far(p)]
    assert len(xs) > 0.3 * width * height, "the figure should fill the portrait"
    assert abs((min(xs) + max(xs)) / 2 - width / 2) < 0.1 * width
    assert len({p for row in rows for p in row}) > 200, "shaded, not a flat silhouette"


def test_encoder_round_trips_through_the_decoder() -> None:
    rows = [bytes((x * 7 + y) % 256 for x in range(3 * 5)) for y in range(4)]
    width, height, decoded = _decode(encode_png(5, 4, rows))
    assert (width, height) == (5, 4)
    assert [bytes(c for p in row for c in p) for row in decoded] == rows
