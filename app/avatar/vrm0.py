"""VRM 0.x extension writer: the single ``VRM`` extension (UniVRM 0.x layout).

Field names, including the specification's own spellings ("stiffiness", "violentUssageName"),
follow the vrm-c/vrm-specification 0.0 JSON schemas. VRM 0.x models face -Z, so the
canonical figure is turned 180 degrees about Y before it is written.
"""

from __future__ import annotations

from typing import Any

from app.avatar.figure import EXPRESSIONS, MaterialSpec
from app.avatar.gltf_writer import GltfLayout
from app.avatar.rig import BONES, HAIR_CHAINS, bone_index, mirrored
from app.avatar.spring import COLLIDERS, JOINT_SETTINGS
from app.avatar.vrm1 import AUTHOR, BINARY, TITLE

__all__ = ["EXTENSIONS_USED", "PRESET_NAMES", "frame", "material_properties", "vrm_extensions"]

EXTENSIONS_USED = ["VRM"]
EXPORTER_VERSION = "CompanionStage-1"

#: Canonical expression -> (0.x presetName, group name). Unlisted 0.x presets do not exist.
PRESET_NAMES: dict[str, tuple[str, str]] = {
    "aa": ("a", "A"), "ih": ("i", "I"), "ou": ("u", "U"), "ee": ("e", "E"), "oh": ("o", "O"),
    "blink": ("blink", "Blink"), "blinkLeft": ("blink_l", "Blink_L"),
    "blinkRight": ("blink_r", "Blink_R"), "happy": ("joy", "Joy"), "angry": ("angry", "Angry"),
    "sad": ("sorrow", "Sorrow"), "relaxed": ("fun", "Fun"),
    "surprised": ("unknown", "Surprised"),
}


def frame(v: tuple[float, float, float]) -> tuple[float, float, float]:
    return mirrored(v)


def _xyz(v: tuple[float, float, float] | list[float]) -> dict[str, float]:
    return {"x": v[0], "y": v[1], "z": v[2]}


#: glTF alphaMode -> (_BlendMode, renderQueue, RenderType tag, keyword) as UniVRM writes them.
_BLEND_MODES: dict[str, tuple[float, int, str, str | None]] = {
    "OPAQUE": (0.0, 2000, "Opaque", None),
    "MASK": (1.0, 2450, "TransparentCutout", "_ALPHATEST_ON"),
    "BLEND": (2.0, 3000, "Transparent", "_ALPHABLEND_ON"),
}


def material_properties(spec: MaterialSpec) -> dict[str, Any]:
    outline = 1 if spec.outline else 0
    blend_mode, queue, render_type, keyword = _BLEND_MODES[spec.alpha_mode]
    blended = spec.alpha_mode == "BLEND"
    keywords: dict[str, bool] = {}
    if spec.outline:
        keywords.update({"MTOON_OUTLINE_WIDTH_WORLD": True, "MTOON_OUTLINE_COLOR_FIXED": True})
    if keyword:
        keywords[keyword] = True
    return {
        "name": spec.name,
        "shader": "VRM/MToon",
        "renderQueue": queue,
        "floatProperties": {
            "_Cutoff": 0.5, "_BumpScale": 1.0, "_ReceiveShadowRate": 1.0,
            "_ShadingGradeRate": 1.0, "_ShadeShift": spec.shading_shift,
            "_ShadeToony": spec.shading_toony, "_LightColorAttenuation": 0.0,
            "_IndirectLightIntensity": 0.1, "_RimLightingMix": 1.0, "_RimFresnelPower": 3.0,
            "_RimLift": 0.1, "_OutlineWidth": 0.3 if spec.outline else 0.0,
            "_OutlineScaledMaxDistance": 1.0, "_OutlineLightingMix": 1.0,
            "_UvAnimScrollX": 0.0, "_UvAnimScrollY": 0.0, "_UvAnimRotation": 0.0,
            "_MToonVersion": 38.0, "_DebugMode": 0.0, "_BlendMode": blend_mode,
            "_OutlineWidthMode": float(outline), "_OutlineColorMode": 0.0,
            "_CullMode": 0.0 if spec.double_sided else 2.0, "_OutlineCullMode": 1.0,
            "_SrcBlend": 5.0 if blended else 1.0, "_DstBlend": 10.0 if blended else 0.0,
            "_ZWrite": 0.0 if blended else 1.0,
        },
        "vectorProperties": {
            "_Color": [*spec.base, spec.alpha],
            "_ShadeColor": [*spec.shade, 1.0],
            "_RimColor": [*spec.rim, 1.0],
            "_OutlineColor": [0.26, 0.17, 0.25, 1.0],
            "_EmissionColor": [*spec.emissive, 1.0],
            "_MainTex": [0.0, 0.0, 1.0, 1.0],
            "_ShadeTexture": [0.0, 0.0, 1.0, 1.0],
        },
        "textureProperties": {},
        "keywordMap": keywords,
        "tagMap": {"RenderType": render_type},
    }


def _meta(layout: GltfLayout) -> dict[str, Any]:
    return {
        "title": TITLE,
        "version": "1.0",
        "author": AUTHOR,
        "contactInformation": "",
        "reference": "",
        "texture": layout.thumbnail_texture,
        "allowedUserName": "Everyone",
        "violentUssageName": "Disallow",
        "sexualUssageName": "Disallow",
        "commercialUssageName": "Allow",
        "otherPermissionUrl": "",
        "licenseName": "CC0",
        "otherLicenseUrl": "",
    }


def _blend_shapes(layout: GltfLayout) -> dict[str, Any]:
    face = layout.mesh_indices["Face"]
    groups = [{"name": "Neutral", "presetName": "neutral", "binds": [], "materialValues": [],
               "isBinary": False}]
    for expr in EXPRESSIONS:
        preset, name = PRESET_NAMES[expr]
        groups.append({
            "name": name,
            "presetName": preset,
            "binds": [{"mesh": face, "index": layout.morph_indices[expr], "weight": 100.0}],
            "materialValues": [],
            "isBinary": expr in BINARY,
        })
    return {"blendShapeGroups": groups}


def _degree_map(y_range: float) -> dict[str, Any]:
    return {"curve": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0], "xRange": 90.0, "yRange": y_range}


def _secondary(layout: GltfLayout) -> dict[str, Any]:
    """One collider group per collider bone; capsules become rows of spheres.

    UniVRM 0.x stores offsets in Unity's axes (glTF with Z negated); every offset here has
    z == 0, so the value is the same whichever way a reader converts it.
    """
    s = JOINT_SETTINGS
    groups = []
    for collider in COLLIDERS:
        if any(c[2] != 0.0 for c in collider.spheres()):
            raise ValueError(f"collider on {collider.bone}: keep z == 0 (0.x axis ambiguity)")
        groups.append({
            "node": layout.bone_nodes[collider.bone],
            "colliders": [{"offset": _xyz(frame(c)), "radius": collider.radius}
                          for c in collider.spheres()],
        })
    return {
        "boneGroups": [{
            "comment": "TwinTails",
            "stiffiness": s["stiffness"],
            "gravityPower": s["gravityPower"],
            "gravityDir": _xyz(s["gravityDir"]),
            "dragForce": s["dragForce"],
            "center": -1,
            "hitRadius": s["hitRadius"],
            "bones": [layout.bone_nodes[chain[0]] for chain in HAIR_CHAINS.values()],
            "colliderGroups": list(range(len(groups))),
        }],
        "colliderGroups": groups,
    }


def vrm_extensions(layout: GltfLayout, materials: list[MaterialSpec]) -> dict[str, Any]:
    head = BONES[bone_index("Head")]
    eye = BONES[bone_index("LeftEye")]
    layout.extensions_used = list(EXTENSIONS_USED)
    return {
        "VRM": {
            "exporterVersion": EXPORTER_VERSION,
            "specVersion": "0.0",
            "meta": _meta(layout),
            "humanoid": {
                "humanBones": [{"bone": b.humanoid, "node": layout.bone_nodes[b.name],
                                "useDefaultValues": True} for b in BONES if b.humanoid],
                "armStretch": 0.05, "legStretch": 0.05, "upperArmTwist": 0.5,
                "lowerArmTwist": 0.5, "upperLegTwist": 0.5, "lowerLegTwist": 0.5,
                "feetSpacing": 0.0, "hasTranslationDoF": False,
            },
            "firstPerson": {
                "firstPersonBone": layout.bone_nodes["Head"],
                "firstPersonBoneOffset": _xyz([0.0, eye.head[1] - head.head[1], 0.0]),
                "meshAnnotations": [{"mesh": i, "firstPersonFlag": "Auto"}
                                    for i in sorted(layout.mesh_indices.values())],
                "lookAtTypeName": "Bone",
                "lookAtHorizontalInner": _degree_map(8.0),
                "lookAtHorizontalOuter": _degree_map(10.0),
                "lookAtVerticalDown": _degree_map(6.0),
                "lookAtVerticalUp": _degree_map(6.0),
            },
            "blendShapeMaster": _blend_shapes(layout),
            "secondaryAnimation": _secondary(layout),
            "materialProperties": [material_properties(m) for m in materials],
        }
    }
