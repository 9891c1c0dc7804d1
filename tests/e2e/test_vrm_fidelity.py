"""VRM fidelity in the real Godot: every real fixture and both built-in avatars, probed.

Each file is imported once by engines/stage-godot/scripts/vrm/probe.gd (through
app.stage.inspect); the assertions check what a user would see: the avatar faces the
camera, stands on the floor, has humanoid bone names, normalised expression names whose
blend shapes really move, toon materials where the file asks for them, and hair that hangs
and settles after a jump at 30, 60 and 144 fps.
"""

from __future__ import annotations

import itertools
import json
import struct
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from app.cli import main as cli_main
from app.errors import StageError
from app.stage.inspect import inspect_vrm, run_godot_script
from app.stage.runtime import find_runtime
from tests.conftest import REAL_FIXTURES, real_vrm_files
from tests.e2e.stage.vrm_facts import gltf_json

pytestmark = [pytest.mark.godot, pytest.mark.e2e]

REQUIRED_PROFILE_BONES = {"Hips", "Spine", "Head", "LeftUpperArm", "RightUpperArm",
                          "LeftUpperLeg", "RightUpperLeg", "LeftFoot", "RightFoot"}
VRM1_VOCABULARY = {"neutral", "aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight",
                   "happy", "angry", "sad", "relaxed", "surprised", "lookUp", "lookDown",
                   "lookLeft", "lookRight"}
VRM0_ONLY_NAMES = {"a", "i", "u", "e", "o", "joy", "sorrow", "fun", "blink_l", "blink_r"}


@cache
def probe(path: Path) -> dict[str, Any]:
    report = inspect_vrm(path)
    assert report.get("ok"), report
    return report


def all_avatars() -> list[Path]:
    return [*real_vrm_files(), *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)]


@pytest.mark.parametrize("path", all_avatars(), ids=lambda p: p.name)
def test_imports_with_version_and_humanoid_bone_map(path: Path) -> None:
    report = probe(path)
    info = report["info"]
    extensions = gltf_json(path)["extensions"]
    assert info["vrmVersion"] == ("0.x" if "VRM" in extensions else "1.0")
    assert info["meshCount"] > 0 and info["boneCount"] > 0
    assert set(report["boneMap"]) >= REQUIRED_PROFILE_BONES
    assert info["humanoidBones"] == len(report["boneMap"])
    vrm = extensions.get("VRM") or extensions["VRMC_vrm"]
    assert info["humanoidBones"] == len(vrm["humanoid"]["humanBones"])


@pytest.mark.parametrize("path", all_avatars(), ids=lambda p: p.name)
def test_faces_the_camera_and_stands_on_the_floor(path: Path) -> None:
    report = probe(path)
    z = report["facing"][2]
    assert z > 0.99, f"{path.name} faces {report['facing']}, not +Z (towards the camera)"
    assert abs(report["feetY"]) < 0.005, f"{path.name} feet at y={report['feetY']}"
    # Upright: the head is well above the feet, and the reported bounds agree with the mesh.
    assert report["headPosition"][1] > 0.4 * report["topY"]
    bounds = report["info"]["bounds"]
    assert bounds["min"][1] == 0.0
    assert bounds["max"][1] == pytest.approx(report["topY"], abs=0.01)


@pytest.mark.parametrize("path", all_avatars(), ids=lambda p: p.name)
def test_stands_relaxed_with_its_left_hand_on_the_viewers_right(path: Path) -> None:
    arms = probe(path)["arms"]
    # Arms lowered from the T-pose (sin 68 degrees of the arm's length below the shoulder) ...
    assert 0.8 < arms["Left"]["drop"] < 1.0 and 0.8 < arms["Right"]["drop"] < 1.0, arms
    # ... and the avatar's own left hand on +X, the viewer's right: not mirrored.
    assert arms["Left"]["handX"] > 0.05 and arms["Right"]["handX"] < -0.05, arms


def test_vrm0_expression_names_are_mapped_to_the_vrm1_vocabulary() -> None:
    report = probe(REAL_FIXTURES / "godette_vrm0.vrm")
    names = set(report["info"]["expressions"])
    assert {"aa", "ih", "ou", "ee", "oh", "blink", "happy", "angry", "sad", "relaxed",
            "blinkLeft", "blinkRight", "lookUp", "lookDown", "lookLeft", "lookRight"} <= names
    assert not names & VRM0_ONLY_NAMES
    # The 0.x weights (0..100) become 0..1: godette's "Joy" binds morph 9 at 50 and 10 at 25.
    happy = {(b["index"], b["weight"]) for b in report["expressionBinds"]["happy"]}
    assert happy == {(9, 0.5), (10, 0.25)}


def test_vrm1_expression_names_are_kept() -> None:
    path = REAL_FIXTURES / "debug_robot_vrm1.vrm"
    report = probe(path)
    presets = set(gltf_json(path)["extensions"]["VRMC_vrm"]["expressions"]["preset"])
    assert set(report["info"]["expressions"]) == presets
    assert set(report["info"]["expressions"]) <= VRM1_VOCABULARY


@pytest.mark.parametrize("path", [REAL_FIXTURES / "godette_vrm0.vrm",
                                  *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)],
                         ids=lambda p: p.name)
def test_set_expression_aa_moves_its_bound_blend_shape(path: Path) -> None:
    effect = probe(path)["setExpressionAa"]
    assert effect["bound"] and effect["accepted"]
    assert effect["before"] == 0.0
    assert effect["after"] == pytest.approx(1.0)
    assert effect["reset"] == 0.0


def test_binary_expressions_snap_and_override_blink_blends_blinking_out() -> None:
    # The VRM specification's own isBinary/overrides sample drives texture transforms.
    effects = probe(REAL_FIXTURES / "isBinary_overrides_vrm1.vrm")["expressionEffects"]
    happy, blink = effects["happy"], effects["blink"]
    assert happy["0.4"] == happy["rest"] == happy["reset"]  # binary: below 0.5 is off
    assert happy["0.6"] == happy["1.0"] != happy["rest"]  # ... above it fully on
    assert blink["rest"] != blink["0.4"] != blink["0.6"] != blink["1.0"]  # blink is continuous
    # happy has overrideBlink "blend": at happy 1 the blink-only meter stays at rest.
    assert happy["blinkWithIt"][1] == blink["rest"][1] != blink["1.0"][1]
    # godette (VRM 0.x) marks Blink_L/Blink_R isBinary.
    godette = probe(REAL_FIXTURES / "godette_vrm0.vrm")["expressionEffects"]
    assert godette["blinkLeft"]["0.4"] == [0.0] and godette["blinkLeft"]["0.6"] == [1.0]
    assert godette["blink"]["0.4"] == [0.4, 0.4]


@pytest.mark.parametrize("path", all_avatars(), ids=lambda p: p.name)
def test_the_avatar_blinks_breathes_and_looks_at_the_camera(path: Path) -> None:
    report = probe(path)
    life, info = report["life"], report["info"]
    blinks = life["blinkTimes"]
    if "blink" in info["expressions"]:
        # Natural blinking: every few seconds, never on a fixed beat (the probe seeds it).
        assert 2 <= len(blinks) <= 12, blinks
        gaps = [b - a for a, b in itertools.pairwise(blinks)]
        assert max(gaps) - min(gaps) > 0.2, f"blinks on a fixed beat: {blinks}"
    else:
        assert blinks == []
    low, high = life["breathDegrees"]
    assert low < 0.1 and 0.3 < high < 2.0, life["breathDegrees"]  # subtle, but there
    turn_x, _turn_y, turn_z = life["headTurn"]
    if info["lookAt"] == "none":
        assert abs(turn_x) < 0.01
    else:
        # The camera stands at the avatar's left (+X): the head turns that way, not all the way.
        assert 0.15 < turn_x < 0.7 and turn_z > 0.7, life["headTurn"]
    if info["lookAt"] == "expression":
        looks = life["lookExpressions"]
        assert looks["lookLeft"] > 0.05 and looks["lookRight"] == 0.0, looks
    elif info["lookAt"] == "bone" and life["eyeDegrees"]:
        assert all(0.5 < angle < 15.0 for angle in life["eyeDegrees"].values()), life["eyeDegrees"]


def test_files_without_binds_still_accept_known_names() -> None:
    effect = probe(REAL_FIXTURES / "debug_robot_vrm1.vrm")["setExpressionAa"]
    assert effect == {"bound": False, "accepted": True}
    effect = probe(REAL_FIXTURES / "sphere_vrm0.vrm")["setExpressionAa"]
    assert effect == {"bound": False, "accepted": False}


def test_material_kinds_follow_the_file() -> None:
    godette = probe(REAL_FIXTURES / "godette_vrm0.vrm")
    assert godette["materials"] == {"Face": "mtoon", "Body": "mtoon", "GodotLogo": "unlit",
                                    "Backpack": "pbr"}
    assert godette["info"]["mtoonMaterials"] == 2
    uv = probe(REAL_FIXTURES / "mtoon_uv_animation_vrm1.vrm")
    assert set(uv["materials"].values()) == {"mtoon"} and uv["info"]["mtoonMaterials"] == 3
    robot = probe(REAL_FIXTURES / "debug_robot_vrm1.vrm")
    assert set(robot["materials"].values()) == {"unlit"} and robot["info"]["mtoonMaterials"] == 0


@pytest.mark.parametrize("version", DEFAULT_AVATAR_VERSIONS)
def test_default_avatar_exercises_the_runtime(version: str) -> None:
    report = probe(default_avatar_path(version))  # type: ignore[arg-type]
    info = report["info"]
    assert {"aa", "blink"} <= set(info["expressions"])
    assert info["mtoonMaterials"] > 0 and set(report["materials"].values()) == {"mtoon"}
    assert info["springChains"] >= 1


def test_both_default_avatars_speak_the_same_expression_vocabulary() -> None:
    names = {v: set(probe(default_avatar_path(v))["info"]["expressions"])
             for v in DEFAULT_AVATAR_VERSIONS}
    assert names["1.0"] <= names["0.x"] <= VRM1_VOCABULARY


@pytest.mark.parametrize("path", [REAL_FIXTURES / "godette_vrm0.vrm",
                                  *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)],
                         ids=lambda p: p.name)
def test_spring_chains_hang_under_gravity_and_settle_after_a_jump(path: Path) -> None:
    springs = probe(path)["springs"]
    assert springs["chains"] == probe(path)["info"]["springChains"] > 0
    rest, hanging = springs["hang"]["restDrop"], springs["hang"]["gravityDrop"]
    assert all(h >= r - 1e-3 for r, h in zip(rest, hanging, strict=True)), (rest, hanging)
    assert sum(hanging) > sum(rest) + 0.01, "gravity did not pull any chain down"
    # The jump moves every joint 0.3 m within one 1/60 s step: no tail may swing faster than
    # twice that, so the energy stays under joints * (2 * 0.3 * 60)^2 / 2.
    bound = springs["joints"] * (2 * 0.3 * 60) ** 2 / 2
    for fps, run in springs["settle"].items():
        assert run["finite"], f"{fps} fps: the simulation blew up"
        assert run["peakEnergy"] < bound, f"{fps} fps: energy {run['peakEnergy']} > {bound}"
        assert run["peakEnergy"] > 1.0, f"{fps} fps: the jump did not move the chains"
        assert run["finalEnergy"] <= 1e-3 * run["peakEnergy"], f"{fps} fps: still swinging {run}"
    assert set(springs["settle"]) == {"30", "60", "144"}


def rewrite_glb(source: Path, target: Path, document: dict[str, Any]) -> Path:
    """source with its JSON chunk replaced by document (the binary chunk kept)."""
    data = source.read_bytes()
    (length,) = struct.unpack_from("<I", data, 12)
    chunk = json.dumps(document).encode()
    chunk += b" " * (-len(chunk) % 4)
    rest = data[20 + length:]
    target.write_bytes(struct.pack("<III", 0x46546C67, 2, 20 + len(chunk) + len(rest))
                       + struct.pack("<II", len(chunk), 0x4E4F534A) + chunk + rest)
    return target


@pytest.mark.parametrize("version", DEFAULT_AVATAR_VERSIONS)
def test_first_person_only_meshes_are_hidden_on_stage(version: str, tmp_path: Path) -> None:
    source = default_avatar_path(version)  # type: ignore[arg-type]
    document = gltf_json(source)
    hair_node = next(i for i, n in enumerate(document["nodes"]) if n.get("name") == "Hair")
    if version == "0.x":
        document["extensions"]["VRM"]["firstPerson"]["meshAnnotations"] = [
            {"mesh": document["nodes"][hair_node]["mesh"], "firstPersonFlag": "FirstPersonOnly"}]
    else:
        document["extensions"]["VRMC_vrm"]["firstPerson"] = {
            "meshAnnotations": [{"node": hair_node, "type": "firstPersonOnly"}]}
    hidden = inspect_vrm(rewrite_glb(source, tmp_path / source.name, document), springs=False)
    shown = probe(source)
    assert hidden["info"]["firstPersonOnlyHidden"] == 1
    assert shown["info"]["firstPersonOnlyHidden"] == 0
    assert hidden["topY"] < shown["topY"] - 0.01  # the hair was the top of the avatar
    assert hidden["info"]["bounds"]["max"][1] == pytest.approx(hidden["topY"], abs=0.01)


def _break_vrm0(vrm: dict[str, Any]) -> None:
    vrm["humanoid"]["humanBones"] += [{"bone": "leftEye", "node": 9999}, {"bone": 7}, "junk"]
    groups = vrm["blendShapeMaster"]["blendShapeGroups"]
    groups[1]["binds"] += [{"mesh": 99, "index": 0, "weight": 100}, {"mesh": 0, "index": 999}]
    groups[1]["materialValues"] = [{"materialName": "nope", "propertyName": "_Color",
                                    "targetValue": [1, 0, 0, 1]}, {"propertyName": "_MainTex_ST"}]
    groups.append({"name": "Broken", "presetName": 12, "binds": "all of them"})
    secondary = vrm["secondaryAnimation"]
    secondary["boneGroups"].append({"bones": [-5, 9999], "colliderGroups": [42]})
    secondary["colliderGroups"].append({"node": 9999, "colliders": [{"radius": 0.1}]})
    vrm["materialProperties"][0]["floatProperties"]["_BlendMode"] = 17
    vrm["materialProperties"][0]["textureProperties"]["_MainTex"] = 4242


def _break_vrm1(extensions: dict[str, Any]) -> None:
    vrm = extensions["VRMC_vrm"]
    vrm["humanoid"]["humanBones"]["leftEye"] = {"node": 9999}
    vrm["humanoid"]["humanBones"]["jaw"] = "no"
    preset = vrm["expressions"]["preset"]
    preset["aa"]["morphTargetBinds"].append({"node": 9999, "index": 0, "weight": 1})
    preset["aa"]["materialColorBinds"] = [{"material": 77, "type": "color",
                                           "targetValue": [1, 0, 0, 1]}]
    preset["aa"]["textureTransformBinds"] = [{"material": 0}]
    vrm["expressions"]["custom"] = {"odd": {"morphTargetBinds": [{"node": 0, "index": 999}]}}
    springs = extensions["VRMC_springBone"]
    springs["springs"].append({"joints": [{"node": 9999}, {"node": -1}], "colliderGroups": [42]})
    springs["colliders"].append({"node": 9999, "shape": {"capsule": {"radius": 0.1}}})


@pytest.mark.parametrize("version", DEFAULT_AVATAR_VERSIONS)
def test_broken_vrm_data_degrades_gracefully(version: str, tmp_path: Path) -> None:
    source = default_avatar_path(version)  # type: ignore[arg-type]
    document = gltf_json(source)
    if version == "0.x":
        _break_vrm0(document["extensions"]["VRM"])
    else:
        _break_vrm1(document["extensions"])
    # inspect_vrm fails on any Godot script error, so this proves none happened.
    report = inspect_vrm(rewrite_glb(source, tmp_path / source.name, document))
    intact = probe(source)
    assert report["ok"] and report["facing"] == intact["facing"]
    # Only leftEye, now pointing at a node that does not exist, is lost.
    assert "LeftEye" in intact["boneMap"] and "LeftEye" not in report["boneMap"]
    assert report["info"]["humanoidBones"] == intact["info"]["humanoidBones"] - 1
    assert report["setExpressionAa"] == intact["setExpressionAa"]
    assert report["info"]["springChains"] == intact["info"]["springChains"]


@pytest.mark.parametrize("version", DEFAULT_AVATAR_VERSIONS)
def test_vrm_extensions_of_the_wrong_shape_still_show_the_model(version: str,
                                                                tmp_path: Path) -> None:
    source = default_avatar_path(version)  # type: ignore[arg-type]
    document = gltf_json(source)
    if version == "0.x":
        document["extensions"]["VRM"] = {"humanoid": "x", "blendShapeMaster": [], "meta": 3,
                                         "secondaryAnimation": 5, "materialProperties": {},
                                         "firstPerson": []}
    else:
        document["extensions"]["VRMC_vrm"] = {"humanoid": [], "expressions": "x", "lookAt": 7,
                                              "firstPerson": {"meshAnnotations": "no"}}
        document["extensions"]["VRMC_springBone"] = [1, 2]
    report = inspect_vrm(rewrite_glb(source, tmp_path / source.name, document))
    info = report["info"]
    assert report["ok"] and info["vrmVersion"] == version and info["meshCount"] == 3
    assert info["humanoidBones"] == 0 and info["expressions"] == [] and info["springChains"] == 0
    assert abs(report["feetY"]) < 0.005


def test_a_gltf_without_vrm_extensions_is_refused_as_not_vrm(tmp_path: Path) -> None:
    source = REAL_FIXTURES / "sphere_vrm0.vrm"
    document = gltf_json(source)
    document.pop("extensions")
    document["extensionsUsed"] = [e for e in document.get("extensionsUsed", []) if e != "VRM"]
    plain = rewrite_glb(source, tmp_path / "plain.glb", document)
    report = inspect_vrm(plain, springs=False)
    assert report["ok"] is False and report["code"] == "not-vrm"
    garbage = tmp_path / "garbage.vrm"
    garbage.write_bytes(b"not a glTF at all" * 8)
    report = inspect_vrm(garbage, springs=False)
    assert report["ok"] is False and report["code"] == "import-failed"


def test_stage_inspect_command_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_avatar_path("1.0")
    assert cli_main(["stage", "inspect", str(path), "--json", "--no-springs"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["file"] == path.name and "springs" not in report
    assert report["info"]["vrmVersion"] == "1.0" and report["info"]["humanoidBones"] > 0
    assert find_runtime().command  # the same Godot the stage would use


def test_stage_inspect_refusal_is_a_json_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.vrm"
    garbage.write_bytes(b"not a glTF at all" * 8)
    assert cli_main(["stage", "inspect", str(garbage), "--json", "--no-springs"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body == {"ok": False, "reason": "import-failed", "message": body["message"]}
    assert "garbage.vrm" in body["message"]


def test_a_godot_run_without_a_result_is_a_clear_error() -> None:
    with pytest.raises(StageError) as raised:
        run_godot_script(find_runtime(), "res://scripts/vrm/no_such_probe.gd", [], timeout=60)
    assert raised.value.reason == "probe-failed"
    assert "printed no result" in raised.value.message
