"""The VRM 0.x variant carries a complete UniVRM-style ``VRM`` extension and faces -Z."""

from __future__ import annotations

import pytest

from app.avatar import default_avatar_path
from tests.unit.avatar._glb import Glb, read_glb, world_translations

#: Required by the VRM 0.x humanoid specification.
REQUIRED_BONES = {
    "hips", "leftUpperLeg", "rightUpperLeg", "leftLowerLeg", "rightLowerLeg", "leftFoot",
    "rightFoot", "spine", "chest", "neck", "head", "leftUpperArm", "rightUpperArm",
    "leftLowerArm", "rightLowerArm", "leftHand", "rightHand",
}
PRESETS = {"unknown", "neutral", "a", "i", "u", "e", "o", "blink", "joy", "angry", "sorrow",
           "fun", "lookup", "lookdown", "lookleft", "lookright", "blink_l", "blink_r"}


@pytest.fixture(scope="module")
def glb() -> Glb:
    return read_glb(default_avatar_path("0.x"))


def _bones(glb: Glb) -> dict[str, int]:
    return {b["bone"]: b["node"] for b in glb.vrm["humanoid"]["humanBones"]}


def test_declares_the_vrm_extension(glb: Glb) -> None:
    assert glb.json["extensionsUsed"] == ["VRM"]
    assert glb.vrm["specVersion"] == "0.0" and glb.vrm["exporterVersion"]


def test_meta_points_at_the_thumbnail_texture(glb: Glb) -> None:
    meta = glb.vrm["meta"]
    assert meta["title"] == "Companion Stage Default"
    assert meta["author"] and meta["licenseName"] == "CC0"
    image = glb.json["images"][glb.json["textures"][meta["texture"]]["source"]]
    assert glb.view_bytes(image["bufferView"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_humanoid_lists_every_required_bone_once(glb: Glb) -> None:
    names = [b["bone"] for b in glb.vrm["humanoid"]["humanBones"]]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_BONES
    nodes = list(_bones(glb).values())
    assert len(nodes) == len(set(nodes))
    assert all(0 <= n < len(glb.json["nodes"]) for n in nodes)


def test_faces_minus_z_with_its_left_hand_on_minus_x(glb: Glb) -> None:
    bones = _bones(glb)
    world = world_translations(glb.json)
    assert world[bones["leftHand"]][0] < -0.3 < 0.3 < world[bones["rightHand"]][0]
    assert world[bones["leftToes"]][2] < world[bones["leftFoot"]][2]


def test_blend_shape_groups_bind_existing_morphs(glb: Glb) -> None:
    groups = glb.vrm["blendShapeMaster"]["blendShapeGroups"]
    presets = {g["presetName"] for g in groups}
    wanted = {"a", "i", "u", "e", "o", "blink", "blink_l", "blink_r", "joy", "angry", "sorrow",
              "fun", "neutral"}
    assert wanted <= presets <= PRESETS
    assert any(g["isBinary"] for g in groups)
    for group in groups:
        for bind in group["binds"]:
            mesh = glb.json["meshes"][bind["mesh"]]
            assert 0 <= bind["index"] < len(mesh["primitives"][0]["targets"])
            assert 0 < bind["weight"] <= 100
    by_preset = {g["presetName"]: g for g in groups}
    assert by_preset["a"]["binds"][0]["weight"] == 100


def test_material_properties_are_mtoon_in_material_order(glb: Glb) -> None:
    props = glb.vrm["materialProperties"]
    assert [p["name"] for p in props] == [m["name"] for m in glb.json["materials"]]
    render_types = {"OPAQUE": "Opaque", "MASK": "TransparentCutout", "BLEND": "Transparent"}
    for p, material in zip(props, glb.json["materials"], strict=True):
        assert p["shader"] == "VRM/MToon"
        assert {"_ShadeShift", "_ShadeToony", "_OutlineWidth"} <= set(p["floatProperties"])
        assert len(p["vectorProperties"]["_Color"]) == 4
        assert len(p["vectorProperties"]["_ShadeColor"]) == 4
        mode = material.get("alphaMode", "OPAQUE")
        assert p["tagMap"]["RenderType"] == render_types[mode]
        assert p["floatProperties"]["_BlendMode"] == list(render_types).index(mode)
        assert p["vectorProperties"]["_Color"][3] == material["pbrMetallicRoughness"][
            "baseColorFactor"][3]
    # the default exercises every MToon blend mode and at least one double-sided material
    assert {m.get("alphaMode", "OPAQUE") for m in glb.json["materials"]} == set(render_types)
    assert any(p["floatProperties"]["_CullMode"] == 0 for p in props)


def test_secondary_animation_swings_the_twin_tails_off_the_head(glb: Glb) -> None:
    bones = _bones(glb)
    sec = glb.vrm["secondaryAnimation"]
    (group,) = sec["boneGroups"]
    assert group["stiffiness"] > 0 and group["gravityDir"] == {"x": 0.0, "y": -1.0, "z": 0.0}
    assert len(group["bones"]) == 2
    for root in group["bones"]:
        assert glb.json["nodes"][root]["name"].startswith("HairTail")
        assert len(glb.json["nodes"][root].get("children", [])) == 1
        assert root in glb.json["nodes"][bones["head"]]["children"]
    groups = sec["colliderGroups"]
    assert groups[0]["node"] == bones["head"] and groups[0]["colliders"][0]["radius"] > 0.1
    assert {g["node"] for g in groups} >= {bones["upperChest"], bones["leftUpperArm"]}
    assert sorted(group["colliderGroups"]) == list(range(len(groups)))
    for g in groups:
        for c in g["colliders"]:
            assert set(c["offset"]) == {"x", "y", "z"} and c["radius"] > 0


def test_first_person_and_look_at(glb: Glb) -> None:
    fp = glb.vrm["firstPerson"]
    assert fp["firstPersonBone"] == _bones(glb)["head"]
    assert fp["lookAtTypeName"] in {"Bone", "BlendShape"}
    assert {a["mesh"] for a in fp["meshAnnotations"]} == set(range(len(glb.json["meshes"])))
