"""Build VRM files that are well-formed for Python's checks but that Godot cannot show."""

from __future__ import annotations

import json
import struct
from pathlib import Path

__all__ = ["without_meshes"]

_GLB_MAGIC = 0x46546C67
_JSON = 0x4E4F534A


def without_meshes(source: Path, out: Path) -> Path:
    """A copy of ``source`` whose nodes no longer reference meshes: valid glTF, nothing to draw."""
    data = source.read_bytes()
    magic, version, _length = struct.unpack_from("<III", data, 0)
    assert magic == _GLB_MAGIC and version == 2
    json_length, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == _JSON
    document = json.loads(data[20 : 20 + json_length])
    rest = data[20 + json_length :]
    for node in document.get("nodes", []):
        node.pop("mesh", None)
        node.pop("skin", None)
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), _JSON) + text + rest
    out.write_bytes(struct.pack("<III", _GLB_MAGIC, 2, 12 + len(body)) + body)
    return out
