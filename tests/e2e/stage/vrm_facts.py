"""What a VRM file itself declares (read straight from its glTF JSON, without Godot).

The stage's scene.applied must agree with these counts: they are the independent side
of the comparison, so a loader that drops bones, expressions or chains is caught.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["VrmFacts", "gltf_json", "vrm_facts"]


@dataclass(frozen=True)
class VrmFacts:
    vrm_version: str
    humanoid_bones: int
    #: Expression (0.x: blend-shape group) count; names differ by version, so only the count.
    expressions: int
    spring_chains: int
    mtoon_materials: int


def gltf_json(path: Path) -> dict[str, Any]:
    """The JSON chunk of a GLB file."""
    data = path.read_bytes()
    (length,) = struct.unpack_from("<I", data, 12)
    document: dict[str, Any] = json.loads(data[20 : 20 + length])
    return document


def vrm_facts(path: Path) -> VrmFacts:
    document = gltf_json(path)
    extensions = document.get("extensions", {})
    if "VRMC_vrm" in extensions:
        vrm = extensions["VRMC_vrm"]
        groups = vrm.get("expressions", {})
        return VrmFacts(
            vrm_version="1.0",
            humanoid_bones=len(vrm["humanoid"]["humanBones"]),
            expressions=len(groups.get("preset", {})) + len(groups.get("custom", {})),
            spring_chains=len(extensions.get("VRMC_springBone", {}).get("springs", [])),
            mtoon_materials=sum(
                "VRMC_materials_mtoon" in m.get("extensions", {})
                for m in document.get("materials", [])
            ),
        )
    vrm = extensions["VRM"]
    return VrmFacts(
        vrm_version="0.x",
        humanoid_bones=len(vrm["humanoid"]["humanBones"]),
        expressions=len(vrm.get("blendShapeMaster", {}).get("blendShapeGroups", [])),
        # VRM 0.x: every root bone of a bone group starts its own chain.
        spring_chains=sum(
            len(group.get("bones", []))
            for group in vrm.get("secondaryAnimation", {}).get("boneGroups", [])
        ),
        mtoon_materials=sum(
            m.get("shader") == "VRM/MToon" for m in vrm.get("materialProperties", [])
        ),
    )
