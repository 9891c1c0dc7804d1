"""The skeleton is a proper tree and skin weights follow the nearest bones."""

from __future__ import annotations

import itertools

from app.avatar.rig import BONES, HAIR_CHAINS, bone_index, mirrored, skin_weights


def test_every_parent_comes_before_its_children() -> None:
    seen: set[str] = set()
    for bone in BONES:
        assert bone.parent is None or bone.parent in seen, bone.name
        seen.add(bone.name)
    assert [b.name for b in BONES if b.parent is None] == ["Hips"]


def test_left_bones_sit_on_plus_x_in_the_canonical_frame() -> None:
    for bone in BONES:
        if bone.name.startswith("Left") or bone.name.startswith("HairTailL"):
            mirror = bone.name.replace("Left", "Right").replace("HairTailL", "HairTailR")
            other = BONES[bone_index(mirror)]
            assert bone.head[0] > 0 and other.head == (-bone.head[0], bone.head[1], bone.head[2])


def test_weights_favour_the_bone_a_vertex_lies_on_and_blend_at_joints() -> None:
    arm = ["LeftUpperArm", "LeftLowerArm", "LeftHand"]
    (j0, _), (w0, w1) = skin_weights((0.18, 0.79, 0.0), arm)
    assert j0 == bone_index("LeftUpperArm") and w0 > 0.95 and w0 + w1 == 1.0
    (j0, j1), (w0, w1) = skin_weights((0.255, 0.79, 0.0), arm)  # at the elbow
    assert {j0, j1} == {bone_index("LeftUpperArm"), bone_index("LeftLowerArm")}
    assert 0.3 < w0 < 0.7 and abs(w0 + w1 - 1.0) < 1e-9


def test_hair_chains_run_down_from_the_head() -> None:
    for chain in HAIR_CHAINS.values():
        bones = [BONES[bone_index(n)] for n in chain]
        assert bones[0].parent == "Head"
        assert all(b.parent == a.name for a, b in itertools.pairwise(bones))
        assert bones[-1].head[1] < bones[0].head[1] - 0.25


def test_mirroring_turns_half_a_circle_about_y() -> None:
    assert mirrored((1.0, 2.0, 3.0)) == (-1.0, 2.0, -3.0)
