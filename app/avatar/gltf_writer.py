"""Turns the figure into a glTF 2.0 document (pygltflib) with one packed binary buffer.

Version-neutral: the VRM 0.x and 1.0 writers pass a ``frame`` (which way the model faces)
and a per-material extension callback, then add their own top-level extensions to the
returned :class:`GltfLayout`. Every float is rounded before packing and every JSON object is
key-sorted, so equal inputs always give equal bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pygltflib

from app.avatar.figure import Figure, MaterialSpec
from app.avatar.geometry import Vec3
from app.avatar.geometry import snap as q  # every float written is snapped
from app.avatar.rig import BONES

__all__ = ["GltfLayout", "build_gltf", "canonical_json", "srgb_to_linear", "to_glb"]

GENERATOR = "Companion Stage avatar generator 1"

_FLOAT = pygltflib.FLOAT
_UBYTE = pygltflib.UNSIGNED_BYTE
_USHORT = pygltflib.UNSIGNED_SHORT


def srgb_to_linear(c: float) -> float:
    return q(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)


def canonical_json(value: Any) -> Any:
    """Sorted keys and rounded floats, recursively: the stable form of extension objects."""
    if isinstance(value, Mapping):
        return {k: canonical_json(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical_json(v) for v in value]
    if isinstance(value, float):
        return q(value)
    return value


@dataclass
class GltfLayout:
    """The document plus where things ended up, for the VRM extension writers."""

    gltf: pygltflib.GLTF2
    bone_nodes: dict[str, int]
    mesh_indices: dict[str, int]
    mesh_nodes: dict[str, int]
    material_indices: dict[str, int]
    morph_indices: dict[str, int]
    thumbnail_image: int
    thumbnail_texture: int
    extensions_used: list[str] = field(default_factory=list)


class _Blob:
    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[pygltflib.BufferView] = []

    def add(self, payload: bytes, target: int | None) -> int:
        self.data += b"\0" * (-len(self.data) % 4)
        self.views.append(pygltflib.BufferView(buffer=0, byteOffset=len(self.data),
                                               byteLength=len(payload), target=target))
        self.data += payload
        return len(self.views) - 1


class _Accessors:
    def __init__(self, blob: _Blob) -> None:
        self.blob = blob
        self.items: list[pygltflib.Accessor] = []
        self._shared: dict[bytes, int] = {}

    def _push(self, accessor: pygltflib.Accessor) -> int:
        self.items.append(accessor)
        return len(self.items) - 1

    def vec3(self, values: Iterable[Vec3], *, bounds: bool, share: bool = False) -> int:
        """``share``: reuse an identical earlier accessor (morph targets are mostly zeros)."""
        flat = [q(c) for v in values for c in v]
        payload = struct.pack(f"<{len(flat)}f", *flat)
        if share and payload in self._shared:
            return self._shared[payload]
        stored = struct.unpack(f"<{len(flat)}f", payload)  # what a reader sees (float32)
        count = len(flat) // 3
        acc = pygltflib.Accessor(bufferView=self.blob.add(payload, pygltflib.ARRAY_BUFFER),
                                 componentType=_FLOAT, count=count, type=pygltflib.VEC3)
        if bounds:
            acc.min = [min(stored[i::3]) for i in range(3)]
            acc.max = [max(stored[i::3]) for i in range(3)]
        index = self._push(acc)
        if share:
            self._shared[payload] = index
        return index

    def vec4_float(self, values: Iterable[tuple[float, float, float, float]]) -> int:
        flat = [q(c) for v in values for c in v]
        view = self.blob.add(struct.pack(f"<{len(flat)}f", *flat), pygltflib.ARRAY_BUFFER)
        return self._push(pygltflib.Accessor(bufferView=view, componentType=_FLOAT,
                                             count=len(flat) // 4, type=pygltflib.VEC4))

    def vec4_ubyte(self, values: Iterable[tuple[int, int, int, int]]) -> int:
        flat = [c for v in values for c in v]
        view = self.blob.add(bytes(flat), pygltflib.ARRAY_BUFFER)
        return self._push(pygltflib.Accessor(bufferView=view, componentType=_UBYTE,
                                             count=len(flat) // 4, type=pygltflib.VEC4))

    def indices(self, values: list[int]) -> int:
        payload = struct.pack(f"<{len(values)}H", *values)
        view = self.blob.add(payload, pygltflib.ELEMENT_ARRAY_BUFFER)
        return self._push(pygltflib.Accessor(bufferView=view, componentType=_USHORT,
                                             count=len(values), type=pygltflib.SCALAR,
                                             min=[min(values)], max=[max(values)]))

    def mat4(self, matrices: list[list[float]]) -> int:
        flat = [q(c) for m in matrices for c in m]
        view = self.blob.add(struct.pack(f"<{len(flat)}f", *flat), None)
        return self._push(pygltflib.Accessor(bufferView=view, componentType=_FLOAT,
                                             count=len(matrices), type=pygltflib.MAT4))


def _material(spec: MaterialSpec, extension: dict[str, Any] | None) -> pygltflib.Material:
    base = [srgb_to_linear(c) for c in spec.base] + [spec.alpha]
    return pygltflib.Material(
        name=spec.name,
        pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
            baseColorFactor=base, metallicFactor=0.0, roughnessFactor=1.0),
        emissiveFactor=[srgb_to_linear(c) for c in spec.emissive],
        alphaMode=spec.alpha_mode,
        alphaCutoff=0.5 if spec.alpha_mode == pygltflib.MASK else None,
        doubleSided=spec.double_sided,
        extensions=canonical_json(extension) if extension else {},
    )


def build_gltf(
    figure: Figure,
    *,
    frame: Callable[[Vec3], Vec3],
    thumbnail_png: bytes,
    material_extensions: Callable[[MaterialSpec], dict[str, Any] | None],
) -> GltfLayout:
    """Nodes, one skin, meshes, materials and the thumbnail image, in ``frame`` coordinates."""
    blob = _Blob()
    acc = _Accessors(blob)
    nodes: list[pygltflib.Node] = [pygltflib.Node(name="Root", children=[])]
    bone_nodes: dict[str, int] = {}
    heads = {b.name: frame(b.head) for b in BONES}
    for bone in BONES:
        bone_nodes[bone.name] = len(nodes)
        parent = heads[bone.parent] if bone.parent else (0.0, 0.0, 0.0)
        here = heads[bone.name]
        nodes.append(pygltflib.Node(name=bone.name, children=[],
                                    translation=[q(here[i] - parent[i]) for i in range(3)]))
    for bone in BONES:
        parent_node = nodes[bone_nodes[bone.parent]] if bone.parent else nodes[0]
        parent_node.children.append(bone_nodes[bone.name])

    inverse_binds = []
    for bone in BONES:
        x, y, z = heads[bone.name]
        inverse_binds.append([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0,
                              -x, -y, -z, 1.0])
    skin = pygltflib.Skin(name="Armature", joints=[bone_nodes[b.name] for b in BONES],
                          skeleton=bone_nodes["Hips"], inverseBindMatrices=acc.mat4(inverse_binds))

    material_indices = {m.name: i for i, m in enumerate(figure.materials)}
    materials = [_material(m, material_extensions(m)) for m in figure.materials]

    meshes: list[pygltflib.Mesh] = []
    mesh_indices: dict[str, int] = {}
    mesh_nodes: dict[str, int] = {}
    morph_indices: dict[str, int] = {}
    for spec in figure.meshes:
        prims = []
        for prim in spec.primitives:
            attrs = pygltflib.Attributes(
                POSITION=acc.vec3([frame(p) for p in prim.positions], bounds=True),
                NORMAL=acc.vec3([frame(n) for n in prim.normals], bounds=False),
                JOINTS_0=acc.vec4_ubyte(prim.joints),
                WEIGHTS_0=acc.vec4_float(prim.weights),
            )
            targets = [
                pygltflib.Attributes(POSITION=acc.vec3([frame(d) for d in prim.morphs[name]],
                                                       bounds=True, share=True))
                for name in spec.morph_names
            ]
            prims.append(pygltflib.Primitive(attributes=attrs, indices=acc.indices(prim.indices),
                                             material=material_indices[prim.material],
                                             mode=pygltflib.TRIANGLES, targets=targets))
        mesh = pygltflib.Mesh(name=spec.name, primitives=prims)
        if spec.morph_names:
            mesh.weights = [0.0] * len(spec.morph_names)
            mesh.extras = {"targetNames": list(spec.morph_names)}
            morph_indices = {name: i for i, name in enumerate(spec.morph_names)}
        mesh_indices[spec.name] = len(meshes)
        meshes.append(mesh)
        mesh_nodes[spec.name] = len(nodes)
        nodes.append(pygltflib.Node(name=spec.name, mesh=mesh_indices[spec.name], skin=0))

    image_view = blob.add(thumbnail_png, None)
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator=GENERATOR),
        scene=0,
        scenes=[pygltflib.Scene(name="Scene",
                                nodes=[0, *(mesh_nodes[m.name] for m in figure.meshes)])],
        nodes=nodes,
        skins=[skin],
        meshes=meshes,
        materials=materials,
        images=[pygltflib.Image(name="Thumbnail", mimeType="image/png", bufferView=image_view)],
        samplers=[pygltflib.Sampler(magFilter=pygltflib.LINEAR, minFilter=pygltflib.LINEAR,
                                    wrapS=pygltflib.CLAMP_TO_EDGE, wrapT=pygltflib.CLAMP_TO_EDGE)],
        textures=[pygltflib.Texture(name="Thumbnail", sampler=0, source=0)],
        accessors=acc.items,
        bufferViews=blob.views,
        buffers=[pygltflib.Buffer(byteLength=len(blob.data) + (-len(blob.data) % 4))],
    )
    gltf.set_binary_blob(bytes(blob.data) + b"\0" * (-len(blob.data) % 4))
    return GltfLayout(gltf, bone_nodes, mesh_indices, mesh_nodes, material_indices,
                      morph_indices, thumbnail_image=0, thumbnail_texture=0)


def to_glb(layout: GltfLayout, extensions: dict[str, Any]) -> bytes:
    """Attach the top-level extensions and serialise as a binary glTF (.vrm) file."""
    gltf = layout.gltf
    gltf.extensionsUsed = sorted(layout.extensions_used)
    gltf.extensions = canonical_json(extensions)
    return b"".join(gltf.save_to_bytes())
