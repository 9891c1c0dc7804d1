"""The VRM 1.0 variant carries the VRMC_vrm, VRMC_springBone and MToon extensions correctly."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from app.avatar import default_avatar_path
from tests.unit.avatar._glb import Glb, read_glb, world_translations

#: From the VRM 1.0 humanoid specification.
REQUIRED_BONES = {
    "hips", "spine", "head", "leftUpperLeg", "leftLowerLeg", "leftFoot", "rightUpperLeg",
    "rightLowerLeg", "rightFoot", "leftUpperArm", "leftLowerArm", "leftHand", "rightUpperArm",
    "rightLowerArm", "rightHand",
}
#: bone -> the humanoid bone that must be its ancestor (VRM 1.0 humanoid parent table).
HUMANOID_PARENTS = {
    "spine": "hips", "chest": "spine", "upperChest": "chest", "neck": "upperChest",
    "head": "neck", "leftEye": "head", "rightEye": "head", "leftShoulder": "upperChest",
    "rightShoulder": "upperChest", "leftUpperArm": "leftShoulder",
    "rightUpperArm": "rightShoulder", "leftLowerArm": "leftUpperArm",
    "rightLowerArm": "rightUpperArm", "leftHand": "leftLowerArm", "rightHand": "rightLowerArm",
    "leftUpperLeg": "hips", "rightUpperLeg": "hips", "leftLowerLeg": "leftUpperLeg",
    "rightLowerLeg": "rightUpperLeg", "leftFoot": "leftLowerLeg", "rightFoot": "rightLowerLeg",
    "leftToes": "leftFoot", "rightToes": "rightFoot",
}


@pytest.fixture(scope="module")
def glb() -> Glb:
    return read_glb(default_avatar_path("1.0"))


def _parents(doc: dict[str, Any]) -> dict[int, int]:
    return {c: i for i, n in enumerate(doc["nodes"]) for c in n.get("children", [])}


def _ancestors(doc: dict[str, Any], node: int) -> set[int]:
    parents, out = _parents(doc), set()
    while node in parents:
        node = parents[node]
        out.add(node)
    return out


def test_declares_its_extensions(glb: Glb) -> None:
    used = set(glb.json["extensionsUsed"])
    assert {"VRMC_vrm", "VRMC_springBone", "VRMC_materials_mtoon"} <= used
    assert "VRM" not in glb.json["extensions"]
    assert glb.vrm["specVersion"] == "1.0"


def test_meta_names_the_default_and_its_licence(glb: Glb) -> None:
    meta = glb.vrm["meta"]
    assert meta["name"] == "Companion Stage Default"
    assert meta["authors"] and meta["licenseUrl"] == "https://vrm.dev/licenses/1.0/"
    assert meta["avatarPermission"] == "everyone"
    image = glb.json["images"][meta["thumbnailImage"]]
    assert image["mimeType"] == "image/png"
    assert glb.view_bytes(image["bufferView"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_humanoid_covers_required_bones_in_a_valid_hierarchy(glb: Glb) -> None:
    bones = {name: spec["node"] for name, spec in glb.vrm["humanoid"]["humanBones"].items()}
    assert set(bones) >= REQUIRED_BONES
    assert {"chest", "upperChest", "neck", "leftShoulder", "leftToes", "leftEye"} <= set(bones)
    assert len(set(bones.values())) == len(bones), "two humanoid bones share a node"
    skin_joints = set(glb.json["skins"][0]["joints"])
    for name, node in bones.items():
        assert node in skin_joints
        if name in HUMANOID_PARENTS:
            assert bones[HUMANOID_PARENTS[name]] in _ancestors(glb.json, node), name


def test_faces_plus_z_with_its_left_hand_on_plus_x(glb: Glb) -> None:
    bones = {n: s["node"] for n, s in glb.vrm["humanoid"]["humanBones"].items()}
    world = world_translations(glb.json)
    assert world[bones["leftHand"]][0] > 0.3 > -0.3 > world[bones["rightHand"]][0]
    assert world[bones["leftToes"]][2] > world[bones["leftFoot"]][2]
    assert world[bones["head"]][1] > world[bones["hips"]][1] > world[bones["leftFoot"]][1]


def test_expressions_bind_existing_morph_targets(glb: Glb) -> None:
    preset = glb.vrm["expressions"]["preset"]
    wanted = {"aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy", "angry",
              "sad", "relaxed", "surprised"}
    assert set(preset) >= wanted
    assert any(e["isBinary"] for e in preset.values()), "one binary expression is exercised"
    assert preset["happy"]["overrideBlink"] == "block" and preset["aa"]["overrideBlink"] == "none"
    for name, expr in preset.items():
        (bind,) = expr["morphTargetBinds"]
        node = glb.json["nodes"][bind["node"]]
        mesh = glb.json["meshes"][node["mesh"]]
        assert 0 <= bind["index"] < len(mesh["primitives"][0]["targets"])
        assert mesh["extras"]["targetNames"][bind["index"]] == name
        assert 0.0 < bind["weight"] <= 1.0
        assert expr["overrideBlink"] in {"none", "block", "blend"}


def test_lookat_and_first_person_are_set(glb: Glb) -> None:
    look = glb.vrm["lookAt"]
    assert look["type"] == "bone"
    for key in ("rangeMapHorizontalInner", "rangeMapHorizontalOuter", "rangeMapVerticalDown",
                "rangeMapVerticalUp"):
        assert 0 < look[key]["inputMaxValue"] <= 180 and look[key]["outputScale"] > 0
    for annotation in glb.vrm["firstPerson"]["meshAnnotations"]:
        assert "mesh" in glb.json["nodes"][annotation["node"]]


def test_every_material_is_mtoon(glb: Glb) -> None:
    assert len(glb.json["materials"]) >= 3
    colours = set()
    for material in glb.json["materials"]:
        mtoon = material["extensions"]["VRMC_materials_mtoon"]
        assert mtoon["specVersion"] == "1.0"
        assert len(mtoon["shadeColorFactor"]) == 3
        assert mtoon["outlineWidthMode"] in {"none", "worldCoordinates", "screenCoordinates"}
        colours.add(tuple(material["pbrMetallicRoughness"]["baseColorFactor"]))
    assert len(colours) == len(glb.json["materials"]), "materials should look different"
    modes = {m.get("alphaMode", "OPAQUE") for m in glb.json["materials"]}
    assert modes == {"OPAQUE", "MASK", "BLEND"}, "exercise every MToon alpha mode"
    assert any(m.get("doubleSided") for m in glb.json["materials"])
    assert any(any(m.get("emissiveFactor", [0.0])) for m in glb.json["materials"])
    assert any(any(m["extensions"]["VRMC_materials_mtoon"]["parametricRimColorFactor"])
               for m in glb.json["materials"])


def _segment_distance(p: list[float], a: list[float], b: list[float]) -> float:
    ab = [b[k] - a[k] for k in range(3)]
    denom = sum(c * c for c in ab) or 1.0
    t = max(0.0, min(1.0, sum((p[k] - a[k]) * ab[k] for k in range(3)) / denom))
    return sum((p[k] - a[k] - ab[k] * t) ** 2 for k in range(3)) ** 0.5


def test_twin_tails_are_spring_chains_that_collide_with_head_and_body(glb: Glb) -> None:
    spring = glb.json["extensions"]["VRMC_springBone"]
    assert spring["specVersion"] == "1.0"
    bones = {n: s["node"] for n, s in glb.vrm["humanoid"]["humanBones"].items()}
    kinds = {next(iter(c["shape"])) for c in spring["colliders"]}
    assert kinds == {"sphere", "capsule"}, "exercise both collider shapes"
    head_colliders = [c for c in spring["colliders"] if c["node"] == bones["head"]]
    assert head_colliders and head_colliders[0]["shape"]["sphere"]["radius"] > 0.1
    for group in spring["colliderGroups"]:
        assert all(0 <= i < len(spring["colliders"]) for i in group["colliders"])
    parents = _parents(glb.json)
    world = world_translations(glb.json)
    assert len(spring["springs"]) == 2
    for chain in spring["springs"]:
        nodes = [j["node"] for j in chain["joints"]]
        assert len(nodes) >= 3
        assert bones["head"] in _ancestors(glb.json, nodes[0])
        for parent, child in itertools.pairwise(nodes):
            assert parents[child] == parent
        for joint in chain["joints"]:
            assert joint["gravityDir"] == [0.0, -1.0, 0.0] and joint["stiffness"] > 0
        assert sorted(chain["colliderGroups"]) == list(range(len(spring["colliderGroups"])))
        # at rest every joint but the root is clear of every collider (no startup jolt)
        for collider in spring["colliders"]:
            origin = world[collider["node"]]
            shape = collider["shape"].get("sphere") or collider["shape"]["capsule"]
            a = [origin[k] + shape["offset"][k] for k in range(3)]
            b = [origin[k] + shape.get("tail", shape["offset"])[k] for k in range(3)]
            reach = shape["radius"] + chain["joints"][0]["hitRadius"]
            for node in nodes[1:]:
                assert _segment_distance(list(world[node]), a, b) > reach
