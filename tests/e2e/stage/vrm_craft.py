"""Build broken or stripped variants of real VRM files for the stage's refusal tests."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["without_meshes", "without_vrm"]

_GLB_MAGIC = 0x46546C67
_JSON = 0x4E4F534A


def without_meshes(source: Path, out: Path) -> Path:
    """A copy of ``source`` whose nodes no longer reference meshes: valid glTF, nothing to draw."""

    def strip(document: dict[str, Any]) -> None:
        for node in document.get("nodes", []):
            node.pop("mesh", None)
            node.pop("skin", None)

    return _rewrite(source, out, strip)


def without_vrm(source: Path, out: Path) -> Path:
    """A copy of ``source`` with every VRM extension removed: a plain glTF avatar."""

    def strip(document: dict[str, Any]) -> None:
        for key in ("extensionsUsed", "extensionsRequired"):
            if key in document:
                document[key] = [
                    e for e in document[key] if e != "VRM" and not e.startswith("VRMC_")
                ]
        extensions = document.get("extensions", {})
        for name in [e for e in extensions if e == "VRM" or e.startswith("VRMC_")]:
            del extensions[name]
        for material in document.get("materials", []):
            material.get("extensions", {}).pop("VRMC_materials_mtoon", None)

    return _rewrite(source, out, strip)


def _rewrite(source: Path, out: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = source.read_bytes()
    magic, version, _length = struct.unpack_from("<III", data, 0)
    assert magic == _GLB_MAGIC and version == 2
    json_length, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == _JSON
    document = json.loads(data[20 : 20 + json_length])
    rest = data[20 + json_length :]
    change(document)
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), _JSON) + text + rest
    out.write_bytes(struct.pack("<III", _GLB_MAGIC, 2, 12 + len(body)) + body)
    return out
