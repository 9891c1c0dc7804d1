"""Expression morphs really move the face: blink closes the eyes, aa opens the mouth."""

from __future__ import annotations

from typing import Any

import pytest

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from tests.unit.avatar._glb import Glb, read_glb, world_translations

Vec = tuple[float, ...]


@pytest.fixture(scope="module", params=DEFAULT_AVATAR_VERSIONS)
def glb(request: pytest.FixtureRequest) -> Glb:
    return read_glb(default_avatar_path(request.param))


def _face(glb: Glb) -> dict[str, Any]:
    (mesh,) = [m for m in glb.json["meshes"] if "extras" in m]
    return mesh


def _left_sign(glb: Glb) -> float:
    """+1 when the avatar's left is on +X (derived from its humanoid, not assumed)."""
    vrm = glb.vrm
    if "humanBones" in vrm["humanoid"] and isinstance(vrm["humanoid"]["humanBones"], dict):
        node = vrm["humanoid"]["humanBones"]["leftEye"]["node"]
    else:
        node = next(b["node"] for b in vrm["humanoid"]["humanBones"] if b["bone"] == "leftEye")
    return 1.0 if world_translations(glb.json)[node][0] > 0 else -1.0


def _primitive(glb: Glb, material: str) -> dict[str, Any]:
    (prim,) = [p for p in _face(glb)["primitives"]
               if glb.json["materials"][p["material"]]["name"] == material]
    return prim


def _shape(glb: Glb, prim: dict[str, Any], target: str | None) -> list[Vec]:
    base = glb.accessor(prim["attributes"]["POSITION"])
    if target is None:
        return base
    index = _face(glb)["extras"]["targetNames"].index(target)
    delta = glb.accessor(prim["targets"][index]["POSITION"])
    return [tuple(b[k] + d[k] for k in range(3)) for b, d in zip(base, delta, strict=True)]


def _height(points: list[Vec], side: float | None) -> float:
    ys = [p[1] for p in points if side is None or p[0] * side > 0]
    return max(ys) - min(ys)


def test_blink_closes_both_eyes(glb: Glb) -> None:
    eye, left = _primitive(glb, "Eye"), _left_sign(glb)
    open_, shut = _shape(glb, eye, None), _shape(glb, eye, "blink")
    for side in (left, -left):
        assert _height(shut, side) < 0.35 * _height(open_, side)


@pytest.mark.parametrize(("target", "closes"), [("blinkLeft", 1.0), ("blinkRight", -1.0)])
def test_one_eyed_blinks_close_only_their_eye(glb: Glb, target: str, closes: float) -> None:
    eye, left = _primitive(glb, "Eye"), _left_sign(glb)
    open_, shut = _shape(glb, eye, None), _shape(glb, eye, target)
    assert _height(shut, closes * left) < 0.35 * _height(open_, closes * left)
    assert _height(shut, -closes * left) == _height(open_, -closes * left)


def test_aa_opens_the_mouth_and_leaves_the_eyes(glb: Glb) -> None:
    mouth = _primitive(glb, "Mouth")
    assert _height(_shape(glb, mouth, "aa"), None) > 3.0 * _height(_shape(glb, mouth, None), None)
    eye = _primitive(glb, "Eye")
    assert _shape(glb, eye, "aa") == _shape(glb, eye, None)


@pytest.mark.parametrize("vowel", ["ih", "ou", "ee", "oh"])
def test_every_vowel_has_its_own_mouth_shape(glb: Glb, vowel: str) -> None:
    mouth = _primitive(glb, "Mouth")
    assert _shape(glb, mouth, vowel) != _shape(glb, mouth, None)
    assert _shape(glb, mouth, vowel) != _shape(glb, mouth, "aa")


def test_decals_sit_in_front_of_the_face(glb: Glb) -> None:
    """Facial features must be on the facing side of the head, or the avatar looks blank."""
    forward = -1.0 if "VRM" in glb.json["extensions"] else 1.0
    for material in ("Eye", "Mouth"):
        points = _shape(glb, _primitive(glb, material), None)
        assert all(p[2] * forward > 0.08 for p in points)
