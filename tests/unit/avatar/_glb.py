"""Test-side reader for the generated .vrm files: decodes accessors independently of the writer."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygltflib

__all__ = ["Glb", "read_glb", "world_translations"]

_SIZES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_FORMATS = {5120: "b", 5121: "B", 5122: "h", 5123: "H", 5125: "I", 5126: "f"}
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


@dataclass
class Glb:
    raw: bytes
    json: dict[str, Any]
    bin: bytes
    gltf: pygltflib.GLTF2

    def view_bytes(self, view_index: int) -> bytes:
        view = self.json["bufferViews"][view_index]
        start = view.get("byteOffset", 0)
        return self.bin[start:start + view["byteLength"]]

    def accessor(self, index: int) -> list[tuple[float, ...]]:
        acc = self.json["accessors"][index]
        n = _COMPONENTS[acc["type"]]
        fmt = "<" + _FORMATS[acc["componentType"]] * n
        data = self.view_bytes(acc["bufferView"])
        start = acc.get("byteOffset", 0)
        size = struct.calcsize(fmt)
        return [struct.unpack_from(fmt, data, start + i * size) for i in range(acc["count"])]

    @property
    def vrm(self) -> dict[str, Any]:
        ext = self.json["extensions"]
        return ext["VRM"] if "VRM" in ext else ext["VRMC_vrm"]


def read_glb(path: Path) -> Glb:
    raw = path.read_bytes()
    magic, version, total = struct.unpack_from("<4sII", raw, 0)
    assert (magic, version, total) == (b"glTF", 2, len(raw))
    json_len, json_type = struct.unpack_from("<I4s", raw, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    doc = json.loads(raw[20:20 + json_len])
    bin_at = 20 + json_len
    bin_len, bin_type = struct.unpack_from("<I4s", raw, bin_at)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0
    assert bin_at + 8 + bin_len == len(raw)
    gltf = pygltflib.GLTF2().load_binary(str(path))
    assert gltf is not None
    return Glb(raw, doc, raw[bin_at + 8:bin_at + 8 + bin_len], gltf)


def world_translations(doc: dict[str, Any]) -> dict[int, tuple[float, float, float]]:
    """World position of every node (the generator only uses translations)."""
    parents: dict[int, int] = {}
    for i, node in enumerate(doc["nodes"]):
        for child in node.get("children", []):
            assert child not in parents, f"node {child} has two parents"
            parents[child] = i
    out: dict[int, tuple[float, float, float]] = {}

    def world(i: int) -> tuple[float, float, float]:
        if i not in out:
            node = doc["nodes"][i]
            assert "rotation" not in node and "scale" not in node and "matrix" not in node
            t = node.get("translation", [0.0, 0.0, 0.0])
            p = world(parents[i]) if i in parents else (0.0, 0.0, 0.0)
            out[i] = (p[0] + t[0], p[1] + t[1], p[2] + t[2])
        return out[i]

    for i in range(len(doc["nodes"])):
        world(i)
    return out
