"""The default avatars are well-formed binary glTF with consistent skinning and morphs."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from tests.unit.avatar._glb import Glb, read_glb, world_translations

_SIZES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


@pytest.fixture(scope="module", params=DEFAULT_AVATAR_VERSIONS)
def glb(request: pytest.FixtureRequest) -> Glb:
    return read_glb(default_avatar_path(request.param))


def test_views_and_accessors_stay_inside_their_storage(glb: Glb) -> None:
    doc = glb.json
    assert len(doc["buffers"]) == 1 and "uri" not in doc["buffers"][0]
    assert doc["buffers"][0]["byteLength"] <= len(glb.bin)
    for view in doc["bufferViews"]:
        start = view.get("byteOffset", 0)
        assert start % 4 == 0
        assert start + view["byteLength"] <= doc["buffers"][0]["byteLength"]
    for i, acc in enumerate(doc["accessors"]):
        view = doc["bufferViews"][acc["bufferView"]]
        elem = _SIZES[acc["componentType"]] * _COMPONENTS[acc["type"]]
        assert acc.get("byteOffset", 0) + acc["count"] * elem <= view["byteLength"], i


def test_positions_match_their_declared_bounds(glb: Glb) -> None:
    for mesh in glb.json["meshes"]:
        for prim in mesh["primitives"]:
            targets = [t["POSITION"] for t in prim.get("targets", [])]
            for index in [prim["attributes"]["POSITION"], *targets]:
                acc = glb.json["accessors"][index]
                values = glb.accessor(index)
                for axis in range(3):
                    column = [struct.unpack("<f", struct.pack("<f", v[axis]))[0] for v in values]
                    assert min(column) == acc["min"][axis] and max(column) == acc["max"][axis]


def test_triangles_index_existing_vertices(glb: Glb) -> None:
    for mesh in glb.json["meshes"]:
        for prim in mesh["primitives"]:
            count = glb.json["accessors"][prim["attributes"]["POSITION"]]["count"]
            indices = [i[0] for i in glb.accessor(prim["indices"])]
            assert prim.get("mode", 4) == 4 and len(indices) % 3 == 0 and indices
            assert max(indices) < count
            for name in ("NORMAL", "JOINTS_0", "WEIGHTS_0"):
                assert glb.json["accessors"][prim["attributes"][name]]["count"] == count
            normals = glb.accessor(prim["attributes"]["NORMAL"])
            assert all(abs(math.sqrt(sum(c * c for c in n)) - 1.0) < 1e-3 for n in normals)


def test_skin_weights_sum_to_one_and_name_real_joints(glb: Glb) -> None:
    doc = glb.json
    (skin,) = doc["skins"]
    joints = skin["joints"]
    assert len(set(joints)) == len(joints) and all(0 <= j < len(doc["nodes"]) for j in joints)
    for mesh_node in (n for n in doc["nodes"] if "mesh" in n):
        assert mesh_node["skin"] == 0
        for prim in doc["meshes"][mesh_node["mesh"]]["primitives"]:
            js = glb.accessor(prim["attributes"]["JOINTS_0"])
            ws = glb.accessor(prim["attributes"]["WEIGHTS_0"])
            for j, w in zip(js, ws, strict=True):
                assert abs(sum(w) - 1.0) < 1e-5 and min(w) >= 0.0
                used = [joint for joint, weight in zip(j, w, strict=True) if weight > 0]
                assert all(joint < len(joints) for joint in used)


def test_inverse_bind_matrices_undo_each_joints_rest_position(glb: Glb) -> None:
    doc = glb.json
    skin = doc["skins"][0]
    world = world_translations(doc)
    matrices = glb.accessor(skin["inverseBindMatrices"])
    assert len(matrices) == len(skin["joints"])
    for node, m in zip(skin["joints"], matrices, strict=True):
        identity3 = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0)
        assert m[:12] == identity3 and m[15] == 1.0
        assert all(abs(m[12 + k] + world[node][k]) < 1e-5 for k in range(3))


def test_every_morph_target_matches_its_primitive(glb: Glb) -> None:
    morphed = [m for m in glb.json["meshes"] if any("targets" in p for p in m["primitives"])]
    assert morphed, "no mesh carries morph targets"
    for mesh in morphed:
        names = mesh["extras"]["targetNames"]
        assert len(mesh["weights"]) == len(names)
        for prim in mesh["primitives"]:
            count = glb.json["accessors"][prim["attributes"]["POSITION"]]["count"]
            assert len(prim["targets"]) == len(names)
            for target in prim["targets"]:
                assert glb.json["accessors"][target["POSITION"]]["count"] == count


def test_the_figure_stands_on_the_ground_at_child_height(glb: Glb) -> None:
    lows, highs = [], []
    for mesh in glb.json["meshes"]:
        for prim in mesh["primitives"]:
            acc = glb.json["accessors"][prim["attributes"]["POSITION"]]
            lows.append(acc["min"][1])
            highs.append(acc["max"][1])
    assert abs(min(lows)) < 0.01
    assert 1.0 < max(highs) < 1.6


def test_pygltflib_sees_the_same_document(glb: Glb) -> None:
    assert len(glb.gltf.nodes) == len(glb.json["nodes"])
    assert len(glb.gltf.accessors) == len(glb.json["accessors"])
    assert glb.gltf.binary_blob() == glb.bin[:glb.json["buffers"][0]["byteLength"]]
    assert glb.gltf.asset.version == "2.0"


def test_reader_rejects_a_truncated_file(tmp_path: Path) -> None:
    # Guards the checks above: the reader must notice damage, or it would prove nothing.
    bad = tmp_path / "cut.vrm"
    bad.write_bytes(default_avatar_path().read_bytes()[:-4])
    with pytest.raises(AssertionError):
        read_glb(bad)
