"""Posing for the thumbnail lowers the arms and leaves everything else where it was."""

from __future__ import annotations

import math

import pytest

from app.avatar.figure import build_figure
from app.avatar.pose import ARMS_DOWN, pose_positions, skinning_matrices
from app.avatar.rig import BONES, bone_index


def test_rest_pose_is_the_identity() -> None:
    for mat in skinning_matrices({}):
        assert mat.apply((0.3, 0.7, -0.2)) == (0.3, 0.7, -0.2)


def test_lowering_an_arm_swings_the_hand_down_around_the_shoulder() -> None:
    mats = skinning_matrices(ARMS_DOWN)
    for side in ("Left", "Right"):
        shoulder = BONES[bone_index(f"{side}UpperArm")].head
        hand = BONES[bone_index(f"{side}Hand")].head
        moved = mats[bone_index(f"{side}Hand")].apply(hand)
        assert moved[1] < hand[1] - 0.2
        assert math.dist(moved, shoulder) == pytest.approx(math.dist(hand, shoulder))
        assert abs(moved[0]) < abs(hand[0])  # towards the body, not across it
    head = bone_index("Head")
    assert mats[head].apply((0.0, 1.0, 0.1)) == (0.0, 1.0, 0.1)


def test_posed_body_keeps_its_head_and_feet() -> None:
    body = build_figure().meshes[0]
    for prim in body.primitives:
        posed, normals = pose_positions(prim, ARMS_DOWN)
        assert len(posed) == len(prim.positions) == len(normals)
        for before, after in zip(prim.positions, posed, strict=True):
            if before[1] > 0.9 or before[1] < 0.3:  # head, legs and shoes do not move
                assert math.dist(before, after) < 1e-9
